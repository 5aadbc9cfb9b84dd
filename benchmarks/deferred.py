"""Deferred receivers: what ``@as_task`` saves a request, costs a send, costs a worker.

Three lines, each ``signalkit's figure / the other's`` (lower is better, as every line of
``python -m benchmarks``), on django-tasks-db's ``DatabaseBackend`` and a SQLite file in a
temporary directory (journal and fsync as deployed), and for the third on Celery too:

- ``deferred.request_latency`` (goal <= 0.1: the request is at least 10 times faster).
  The median latency of the demo shop's comment POST (the admin's add-comment form, ``POST
  /admin/blog/comment/add/``, through Django's test client, logged in as a superuser, with
  the demo's settings, middleware and apps) when the comment's ``post_save`` receiver,
  which sleeps 50 ms as an exchange with a mail server would, is ``@as_task`` (the request
  only writes the task row; no worker runs) against the same receiver run inline. The
  ratio printed is as_task / inline; its inverse (how many times faster) is printed beside.
- ``deferred.send_cost`` (goal <= 1.2). The cost per send of an ``@as_task`` receiver of a
  plain custom signal, sends made in ``atomic()`` (timed with the commit), against what
  one writes by hand: a receiver calling ``transaction.on_commit(partial(task.enqueue,
  number=...))`` of a module-level task. Both write one row of the same table per send,
  but not at the same moment: signalkit writes it inside the send's transaction (the
  backend writes to the send's database), the hand-written callbacks after the commit,
  each in its own autocommit transaction, which costs more. A third variant,
  ``task.enqueue()`` called inside the transaction by hand (the same writes at the same
  moment as signalkit's), is printed as a detail: it isolates what signalkit's own work
  (encoding the arguments, choosing where to enqueue) costs. CPU time is printed beside.
- ``deferred.worker_throughput`` (goal <= 1.11, that is at least 0.9 times the
  throughput). Tasks run per second by real workers over tasks enqueued beforehand:
  signalkit's ``run_receiver`` running an ``@as_task`` receiver of a custom signal against
  a hand-written task doing the same work (a SHA-256 of the number sent). On
  django-tasks-db: ``db_worker --batch --interval 0 --no-startup-delay --no-reload``
  processes over 500 tasks each, a run timed from the task rows (the first ``started_at``
  to the last ``finished_at``), so the worker's start-up (the same for both) does not dilute
  the ratio; each process's wall clock is printed beside. On Celery, when
  ``SIGNALKIT_REDIS_URL`` is set: signalkit's own backend
  (``signalkit.contrib.celery.CeleryBackend``), one ``celery worker --pool solo`` process
  per run over 2,000 messages (a task takes a fraction of a millisecond there: more tasks,
  less noise), timed in the worker from the first ``task_started`` to the last
  ``task_finished`` of the task framework (Celery keeps no results), then stopped; the Redis
  database is flushed before and after each run. Otherwise a line says Celery was skipped
  and why. The summary line is the worse engine; its ratio is of time per task, and the
  throughput ratio (goal >= 0.9) is printed beside.

Why it is fair: each comparison runs its variants with the same settings, database and
backend, doing the same work, and checks that before trusting a timing. Request latency:
each variant runs in a fresh process on a fresh database, the demo's own comment receiver
is disconnected and exactly the benchmark's receiver is connected to the comment's
``post_save``; every POST must answer 302 and create its comment, the inline receiver must
have run once per comment, and with ``@as_task`` it must not have run while one ``READY``
task row per comment names it. Send cost: one process, the three signals have one receiver
each and the same arguments; every run of every variant (warm-ups included) must have
added exactly one task row per send, and the variants take turns (the order rotates and
reverses) after untimed warm-ups; the statements of one send of each are printed. Worker
throughput: every run must end with its N tasks ``SUCCESSFUL``, all of the variant's task
(the rows, or what the Celery worker saw finish), after N messages were counted in Redis
for Celery; rows and messages are deleted before the next run; runs alternate A B B A.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.result import BenchmarkError, Result, Results, format_duration
from benchmarks.timing import (
    REPO,
    TIMEOUT_SECONDS,
    interleaved,
    run_child,
    run_process,
    turns,
)
from signalkit.deferred import RUN_RECEIVER_PATH

NAME = "deferred"

LATENCY_GOAL = 0.1  # as_task / inline: at least 10 times faster
SEND_GOAL = 1.2
THROUGHPUT_GOAL = 0.9  # signalkit's tasks per second / the hand-written task's
WORKER_GOAL = round(1 / THROUGHPUT_GOAL, 2)  # the same goal, as time per task: 1.11

REDIS_ENV = "SIGNALKIT_REDIS_URL"
CELERY_BACKEND_MODULE = "signalkit.contrib.celery"

COMMENT_URL = "/admin/blog/comment/add/"
DEMO_RECEIVER = "example_project.blog.signals.notify_post_author"
LATENCY_RECEIVERS = {
    "inline": "benchmarks.deferred_receivers.notify_inline",
    "as_task": "benchmarks.deferred_receivers.notify_as_task",
}
HAND_TASK_PATH = "bench_deferred.tasks.handle_event"
SEND_VARIANTS = ("as_task", "on_commit", "inside")
SEND_SIGNALS = {
    "as_task": "signalkit_event",
    "on_commit": "by_hand_event",
    "inside": "inside_event",
}
SEND_TASK_PATHS = {
    "as_task": RUN_RECEIVER_PATH,
    "on_commit": HAND_TASK_PATH,
    "inside": HAND_TASK_PATH,
}
# The worker's tasks are enqueued inside a transaction either way (untimed).
WORKER_SIGNALS = {"as_task": "signalkit_event", "by_hand": "inside_event"}
WORKER_TASK_PATHS = {"as_task": RUN_RECEIVER_PATH, "by_hand": HAND_TASK_PATH}

SETTINGS_MODULE = "bench_deferred.settings"
DATABASE_ENV = "BENCH_DEFERRED_DATABASE_URL"


@dataclass(frozen=True)
class Config:
    requests: int  # timed comment POSTs per variant
    request_warmups: int
    sends: int  # per timed run
    send_runs: int
    send_warmups: int
    tasks: int  # per db_worker run
    celery_tasks: int  # per Celery worker run (faster per task: more of them, less noise)
    worker_runs: int  # per variant
    worker_warmups: int


FULL = Config(
    requests=100,
    request_warmups=5,
    sends=200,
    send_runs=15,
    send_warmups=2,
    tasks=500,
    celery_tasks=2000,
    worker_runs=4,
    worker_warmups=1,
)
QUICK = Config(
    requests=2,
    request_warmups=1,
    sends=4,
    send_runs=1,
    send_warmups=0,
    tasks=3,
    celery_tasks=3,
    worker_runs=1,
    worker_warmups=0,
)


def run(quick: bool) -> Results:
    """Measure the three lines in fresh processes, each on its own SQLite file."""
    config = QUICK if quick else FULL
    with tempfile.TemporaryDirectory(prefix="signalkit-bench-deferred-") as tmp:
        root = Path(tmp)
        generate(root)
        parts = (
            request_latency(root, config, quick),
            send_cost(root, config, quick),
            worker_throughput(root, config, quick),
        )
    return Results.of(NAME, parts)


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def _runs(count: int) -> str:
    return f"{count} run{'s' if count != 1 else ''}"


# --- deferred.request_latency -------------------------------------------------------------


def request_latency(root: Path, config: Config, quick: bool) -> Result:
    """The demo's comment POST with a 50 ms receiver inline, then as_task (fresh processes)."""
    reports = {}
    for variant in ("inline", "as_task"):
        url = sqlite_url(root / f"latency-{variant}.sqlite3")
        report, _ = run_child(
            "benchmarks.deferred",
            "latency",
            variant,
            url,
            str(config.requests),
            str(config.request_warmups),
            cwd=root,
        )
        check_latency(variant, report, config.requests + config.request_warmups)
        reports[variant] = report
    inline = statistics.median(reports["inline"]["times"])
    deferred = statistics.median(reports["as_task"]["times"])
    posts = config.requests + config.request_warmups
    details = (
        f"POST {COMMENT_URL} on the demo's settings (SQLite file), a post_save receiver "
        f"sleeping 50 ms: inline {format_duration(inline)} vs as_task "
        f"{format_duration(deferred)} (django-tasks-db, no worker running), median of "
        f"{config.requests} requests each after {config.request_warmups} untimed; "
        f"as_task/inline {deferred / inline:.3f} (goal <= {LATENCY_GOAL:g}): "
        f"{inline / deferred:.1f}x lower latency (goal >= {1 / LATENCY_GOAL:g}x)",
        f"checks: passed - {posts} comments created by each variant; the inline receiver "
        f"ran {posts} times; as_task wrote {posts} READY task rows and ran 0 receivers in "
        f"the request process",
    )
    return Result(
        name=f"{NAME}.request_latency",
        subject=deferred,
        baseline=inline,
        goal=LATENCY_GOAL,
        runs=config.requests,
        quick=quick,
        subject_label="as_task (enqueue only)",
        baseline_label="inline receiver",
        statistic="median request latency",
        details=details,
    )


def check_latency(variant: str, report: dict[str, Any], posts: int) -> None:
    """Raise :class:`BenchmarkError` unless a latency child made ``posts`` comments and its
    receiver ran inline (``inline``) or was only enqueued (``as_task``), once per comment."""
    problems = list(report.get("problems", []))
    if len(report.get("times", [])) + report.get("warmups", 0) != posts:
        problems.append(f"{len(report.get('times', []))} timed requests reported")
    if report.get("comments") != posts:
        problems.append(f"{report.get('comments')} comments created, not {posts}")
    sent, tasks = report.get("sent"), report.get("tasks")
    if variant == "inline" and (sent, tasks) != (posts, 0):
        problems.append(
            f"the inline receiver ran {sent} times and {tasks} tasks were written, "
            f"not {posts} and 0"
        )
    if variant == "as_task" and (sent, tasks) != (0, posts):
        problems.append(
            f"the as_task receiver ran {sent} times in the request process and {tasks} "
            f"READY tasks name it, not 0 and {posts}"
        )
    if problems:
        raise BenchmarkError(
            f"deferred.request_latency: the {variant} variant did not do what it claims, "
            f"so its timing would not compare:\n  " + "\n  ".join(problems)
        )


def _latency_child(variant: str, url: str, requests: int, warmups: int) -> dict[str, Any]:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="example_project.settings",
        SIGNALKIT_DATABASE_URL=url,
        DJANGO_DEBUG="0",
    )
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db.models.signals import post_save
    from django.test import Client
    from django_tasks_db.models import DBTaskResult

    from benchmarks import deferred_receivers
    from example_project.blog import signals as blog_signals
    from example_project.blog.models import Comment, Post
    from signalkit import _compat

    call_command("migrate", verbosity=0)
    problems = []
    if not post_save.disconnect(blog_signals.notify_post_author, sender=Comment):
        problems.append(f"the demo's own {DEMO_RECEIVER} was not connected")
    receiver = getattr(deferred_receivers, LATENCY_RECEIVERS[variant].rsplit(".", 1)[1])
    post_save.connect(receiver, sender=Comment)
    connected, _ = _compat.live_receivers(post_save, Comment)
    if connected != [receiver]:
        problems.append(f"a comment's post_save calls {connected!r}, not only {receiver!r}")

    admin = get_user_model()._default_manager.create(
        username="admin", is_staff=True, is_superuser=True
    )
    post = Post.objects.create(title="Benchmarks", body="...", author=admin)
    client = Client(HTTP_HOST="localhost")
    client.force_login(admin)

    def comment(number: int) -> float:
        data = {"post": post.pk, "author_name": "Bob", "email": "bob@example.com"}
        start = time.perf_counter()
        response = client.post(COMMENT_URL, {**data, "body": f"Comment {number}"})
        elapsed = time.perf_counter() - start
        if response.status_code != 302:
            problems.append(f"POST {COMMENT_URL} answered {response.status_code}")
        return elapsed

    for number in range(warmups):
        comment(number)
    times = [comment(number) for number in range(warmups, warmups + requests)]
    tasks = DBTaskResult.objects.filter(
        status="READY",
        task_path=RUN_RECEIVER_PATH,
        args_kwargs__kwargs__receiver=LATENCY_RECEIVERS["as_task"],
    ).count()
    return {
        "times": times,
        "warmups": warmups,
        "comments": Comment.objects.count(),
        "sent": len(deferred_receivers.SENT),
        "tasks": tasks,
        "problems": sorted(set(problems)),
    }


# --- deferred.send_cost ---------------------------------------------------------------------


def send_cost(root: Path, config: Config, quick: bool) -> Result:
    """as_task vs on_commit(partial(task.enqueue)) vs enqueue inside, in one process."""
    url = sqlite_url(root / "send-cost.sqlite3")
    report, _ = run_child(
        "benchmarks.deferred",
        "send_cost",
        url,
        str(config.sends),
        str(config.send_runs),
        str(config.send_warmups),
        cwd=root,
        path=[root],
    )
    check_send_cost(report, config.sends, config.send_runs + config.send_warmups)

    def per_send(variant: str, kind: str = "wall") -> float:
        return float(statistics.median(report[variant][kind])) / config.sends

    ratio_cpu = per_send("as_task", "cpu") / per_send("on_commit", "cpu")
    inside = per_send("as_task") / per_send("inside")
    details = [
        f"{config.sends} sends of a custom signal in atomic(), timed with the commit, "
        f"SQLite file, wall clock; CPU: as_task {format_duration(per_send('as_task', 'cpu'))}"
        f" vs on_commit {format_duration(per_send('on_commit', 'cpu'))} per send, ratio "
        f"{ratio_cpu:.3f}",
        f"against task.enqueue() by hand inside the transaction (the same writes as "
        f"as_task's): ratio {inside:.3f} - as_task {format_duration(per_send('as_task'))} vs "
        f"{format_duration(per_send('inside'))} per send",
    ]
    for variant in SEND_VARIANTS:
        statements = ", ".join(report[variant]["statements"])
        details.append(f"one send, {variant}: {statements}")
    details.append(
        f"checks: passed - each of the {config.send_runs + config.send_warmups} runs of "
        f"each variant added one task row per send"
    )
    return Result(
        name=f"{NAME}.send_cost",
        subject=per_send("as_task"),
        baseline=per_send("on_commit"),
        goal=SEND_GOAL,
        runs=config.send_runs,
        quick=quick,
        subject_label="as_task receiver",
        baseline_label="on_commit(partial(task.enqueue))",
        statistic="median per send",
        details=tuple(details),
    )


def check_send_cost(report: dict[str, Any], sends: int, runs: int) -> None:
    """Raise :class:`BenchmarkError` unless every run of every variant added one task row
    per send (and the child found one receiver per signal)."""
    problems = list(report.get("problems", []))
    for variant in SEND_VARIANTS:
        added = report.get(variant, {}).get("rows_added", [])
        if len(added) != runs or any(count != sends for count in added):
            problems.append(
                f"{variant}: {sends} sends per run should add {sends} task rows each run, "
                f"they added {added}"
            )
    if problems:
        raise BenchmarkError(
            "deferred.send_cost: the variants did not do the same work, so their timings "
            "would not compare it:\n  " + "\n  ".join(problems)
        )


def _setup_bench_deferred(url: str) -> None:
    os.environ.update(DJANGO_SETTINGS_MODULE=SETTINGS_MODULE, **{DATABASE_ENV: url})
    import django

    django.setup()


def _send_cost_child(url: str, sends: int, runs: int, warmups: int) -> dict[str, Any]:
    _setup_bench_deferred(url)
    from bench_deferred import signals  # type: ignore[import-not-found]
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django_tasks_db.models import DBTaskResult

    call_command("migrate", verbosity=0)
    problems = []
    events = {variant: getattr(signals, name) for variant, name in SEND_SIGNALS.items()}
    for variant, event in events.items():
        if len(event.receivers) != 1:
            problems.append(f"{SEND_SIGNALS[variant]} has {len(event.receivers)} receivers")

    def rows(variant: str) -> int:
        return DBTaskResult.objects.filter(task_path=SEND_TASK_PATHS[variant]).count()

    def send(variant: str) -> None:
        event = events[variant]
        with transaction.atomic():
            for number in range(sends):
                event.send(sender=None, number=number)

    statements = {}
    for variant in SEND_VARIANTS:  # one send each, untimed: what it writes
        with CaptureQueriesContext(connection) as queries, transaction.atomic():
            events[variant].send(sender=None, number=0)
        statements[variant] = [_statement(query["sql"]) for query in queries.captured_queries]

    report: dict[str, Any] = {
        variant: {"wall": [], "cpu": [], "rows_added": [], "statements": statements[variant]}
        for variant in SEND_VARIANTS
    }
    for round_number in range(warmups + runs):
        for variant in turns(SEND_VARIANTS, round_number):
            before = rows(variant)
            cpu, wall = time.process_time(), time.perf_counter()
            send(variant)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            report[variant]["rows_added"].append(rows(variant) - before)
            if round_number >= warmups:
                report[variant]["wall"].append(wall)
                report[variant]["cpu"].append(cpu)
    report["problems"] = problems
    return report


def _statement(sql: str) -> str:
    """``'INSERT django_tasks_database_dbtaskresult'``, ``'SAVEPOINT'``: verb and table."""
    words = sql.replace('"', "").replace("`", "").split()
    verb = words[0].upper()
    if verb == "UPDATE":
        return f"UPDATE {words[1]}"
    for keyword in ("INTO", "FROM"):
        if keyword in words:
            return f"{verb} {words[words.index(keyword) + 1]}"
    return verb


# --- deferred.worker_throughput -------------------------------------------------------------


def worker_throughput(root: Path, config: Config, quick: bool) -> Result:
    """Real workers over pre-enqueued tasks: run_receiver vs a hand-written task, on
    django-tasks-db's db_worker, and on Celery when it can be measured."""
    url = sqlite_url(root / "worker.sqlite3")
    run_child("benchmarks.deferred", "worker_setup", url, cwd=root, path=[root])
    engines = [measure_db_worker(root, url, config)]
    skipped = celery_skipped()
    if skipped is None:
        engines.append(measure_celery(root, url, config))
    worst = max(engines, key=lambda engine: engine.ratio)
    details = [line for engine in engines for line in engine.describe()]
    if skipped is not None:
        details.append(skipped)
    return Result(
        name=f"{NAME}.worker_throughput",
        subject=worst.subject,
        baseline=worst.baseline,
        goal=WORKER_GOAL,
        runs=config.worker_runs,
        quick=quick,
        subject_label=f"run_receiver on {worst.name}",
        baseline_label=f"hand-written task on {worst.name}",
        statistic="median time per task",
        details=tuple(details),
    )


@dataclass(frozen=True)
class Engine:
    """One task engine's figures: median time per task, and median whole-process time."""

    name: str
    tasks: int  # per worker process
    timed: str  # how a run is timed
    subject: float
    baseline: float
    walls: dict[str, float]

    @property
    def ratio(self) -> float:
        return self.subject / self.baseline

    def describe(self) -> list[str]:
        tasks = self.tasks
        return [
            f"{self.name}: ratio {self.ratio:.3f} (goal <= {WORKER_GOAL:g}) - "
            f"{1 / self.subject:.0f} vs {1 / self.baseline:.0f} tasks per second, throughput "
            f"ratio {self.baseline / self.subject:.3f} (goal >= {THROUGHPUT_GOAL:g}); {tasks} "
            f"tasks per worker process, timed {self.timed}; whole processes (start-up "
            f"included): {format_duration(self.walls['as_task'])} vs "
            f"{format_duration(self.walls['by_hand'])}",
            f"{self.name}, checks: passed - every run ended with its {tasks} tasks "
            f"SUCCESSFUL, all of the variant's task",
        ]


def _engine(
    name: str,
    tasks: int,
    timed: str,
    spans: tuple[list[float], list[float]],
    walls: dict[str, list[float]],
) -> Engine:
    """An :class:`Engine` from each run's time per task (signalkit's, the hand-written)."""
    signalkit_per_task, by_hand_per_task = spans
    return Engine(
        name=name,
        tasks=tasks,
        timed=timed,
        subject=statistics.median(signalkit_per_task),
        baseline=statistics.median(by_hand_per_task),
        walls={kind: statistics.median(times) for kind, times in walls.items()},
    )


def measure_db_worker(root: Path, url: str, config: Config) -> Engine:
    """``db_worker --batch`` processes, each over ``config.tasks`` tasks of one variant."""
    walls: dict[str, list[float]] = {"as_task": [], "by_hand": []}

    def one_run(kind: str) -> float:
        run_child(
            "benchmarks.deferred", "enqueue", url, kind, str(config.tasks), cwd=root, path=[root]
        )
        start = time.perf_counter()
        run_process(db_worker_command(), cwd=root, env=worker_env(root, url))
        walls[kind].append(time.perf_counter() - start)
        report, _ = run_child("benchmarks.deferred", "report", url, cwd=root, path=[root])
        check_worker_run(kind, report, config.tasks)
        return float(report["span"]) / config.tasks

    spans = interleaved(
        lambda: one_run("as_task"),
        lambda: one_run("by_hand"),
        runs=config.worker_runs,
        warmups=config.worker_warmups,
    )
    return _engine(
        "django-tasks-db (SQLite file)",
        config.tasks,
        "from the first task's start to the last one's end, read from the task rows",
        spans,
        walls,
    )


def measure_celery(root: Path, url: str, config: Config) -> Engine:
    """Celery workers (solo pool) over ``config.celery_tasks`` messages of one variant in Redis."""
    redis_url = os.environ[REDIS_ENV]
    walls: dict[str, list[float]] = {"as_task": [], "by_hand": []}
    runs = iter(range(1_000_000))

    def one_run(kind: str) -> float:
        flush_redis(redis_url)
        try:
            run_child(
                "benchmarks.deferred",
                "enqueue_celery",
                url,
                kind,
                str(config.celery_tasks),
                cwd=root,
                path=[root],
            )
            probe = root / f"celery-probe-{next(runs)}.json"
            start = time.perf_counter()
            report = run_celery_worker(root, url, probe, config.celery_tasks)
            walls[kind].append(time.perf_counter() - start)
        finally:
            flush_redis(redis_url)
        check_worker_run(kind, report, config.celery_tasks)
        return float(report["span"]) / config.celery_tasks

    spans = interleaved(
        lambda: one_run("as_task"),
        lambda: one_run("by_hand"),
        runs=config.worker_runs,
        warmups=config.worker_warmups,
    )
    return _engine(
        "Celery (Redis, solo pool)",
        config.celery_tasks,
        "from the first task's start to the last one's end (the task framework's signals "
        "in the worker)",
        spans,
        walls,
    )


def flush_redis(url: str) -> None:
    """Empty the Redis database of ``SIGNALKIT_REDIS_URL``: no message of a run survives it."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()


def run_celery_worker(root: Path, url: str, probe: Path, tasks: int) -> dict[str, Any]:
    """Start a Celery worker, wait until it wrote ``probe`` (all ``tasks`` finished), stop it."""
    env = worker_env(root, url)
    env.update(BENCH_DEFERRED_PROBE_FILE=str(probe), BENCH_DEFERRED_PROBE_TASKS=str(tasks))
    log = probe.with_suffix(".log")
    with log.open("wb") as output:
        process = subprocess.Popen(
            celery_worker_command(),
            cwd=root,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped as a whole
        )
    try:
        deadline = time.monotonic() + TIMEOUT_SECONDS
        while not probe.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    if not probe.exists():
        output_text = log.read_text(encoding="utf-8", errors="replace")
        raise BenchmarkError(
            f"the Celery worker did not finish its {tasks} tasks (exit status "
            f"{process.returncode}):\n{output_text[-3000:]}"
        )
    report: dict[str, Any] = json.loads(probe.read_text(encoding="utf-8"))
    return report


def celery_skipped() -> str | None:
    """The line printed instead of Celery's figures, saying why; None when it is measured."""
    if not os.environ.get(REDIS_ENV):
        return (
            f"Celery: skipped - set {REDIS_ENV}=redis://127.0.0.1:6379/<db> to include it "
            f"(the benchmark flushes that Redis database)"
        )
    if importlib.util.find_spec("celery") is None:
        return 'Celery: skipped - Celery is not installed (python -m pip install -e ".[celery]")'
    if importlib.util.find_spec(CELERY_BACKEND_MODULE) is None:
        return (
            f"Celery: skipped: Celery backend not available ({CELERY_BACKEND_MODULE} is not "
            f"in this checkout)"
        )
    return None


def check_worker_run(kind: str, report: dict[str, Any], tasks: int) -> None:
    """Raise :class:`BenchmarkError` unless a worker run ran exactly the ``tasks`` tasks of
    its variant, all successfully."""
    problems = []
    expected = {WORKER_TASK_PATHS[kind]: {"SUCCESSFUL": tasks}}
    if report.get("rows") != expected:
        problems.append(f"the task rows are {report.get('rows')}, not {expected}")
    if not report.get("span", 0) > 0:
        problems.append(f"no time between the first start and the last end: {report}")
    if problems:
        raise BenchmarkError(
            f"deferred.worker_throughput: a db_worker run of the {kind} tasks did not run "
            f"them all:\n  " + "\n  ".join(problems)
        )


def db_worker_command() -> list[str]:
    return [
        sys.executable,
        "-m",
        "django",
        "db_worker",
        "--batch",
        "--interval",
        "0",
        "--no-startup-delay",
        "--no-reload",
    ]


def celery_worker_command() -> list[str]:
    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "bench_deferred.celery_app",
        "worker",
        "--pool",
        "solo",
        "--concurrency",
        "1",
        "--queues",
        "default",
        "--loglevel",
        "WARNING",
        "--without-heartbeat",
        "--without-gossip",
        "--without-mingle",
        "--hostname",
        f"bench-deferred-{os.getpid()}@%h",
    ]


def worker_env(root: Path, url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE=SETTINGS_MODULE,
        PYTHONPATH=os.pathsep.join([str(REPO), str(root)]),
        **{DATABASE_ENV: url},
    )
    return env


def _worker_setup_child(url: str) -> dict[str, Any]:
    _setup_bench_deferred(url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return {"migrated": True}


def _enqueue_child(url: str, kind: str, tasks: int) -> dict[str, Any]:
    _setup_bench_deferred(url)
    from bench_deferred import signals
    from django.db import transaction
    from django_tasks_db.models import DBTaskResult

    event = getattr(signals, WORKER_SIGNALS[kind])
    with transaction.atomic():
        for number in range(tasks):
            event.send(sender=None, number=number)
    return {"ready": DBTaskResult.objects.filter(status="READY").count()}


def _enqueue_celery_child(url: str, kind: str, tasks: int) -> dict[str, Any]:
    """Send ``tasks`` messages of one variant to Celery (autocommit: sent at once)."""
    _setup_bench_deferred(url)
    import redis
    from bench_deferred import signals
    from bench_deferred import tasks as bench_tasks

    if kind == "as_task":
        for number in range(tasks):
            signals.celery_event.send(sender=None, number=number)
    else:
        task = bench_tasks.handle_event.using(backend="celery")
        for number in range(tasks):
            task.enqueue(number=number)
    client = redis.Redis.from_url(os.environ[REDIS_ENV])
    try:
        queued = int(client.llen("default"))
    finally:
        client.close()
    if queued != tasks:
        raise BenchmarkError(f"{queued} messages in Celery's default queue, not {tasks}")
    return {"queued": queued}


def _report_child(url: str) -> dict[str, Any]:
    """The rows of the run just made (by task and status) and its span; then delete them."""
    _setup_bench_deferred(url)
    from django.db.models import Count, Max, Min
    from django_tasks_db.models import DBTaskResult

    rows: dict[str, dict[str, int]] = {}
    grouped = DBTaskResult.objects.values("task_path", "status").annotate(n=Count("id"))
    for row in grouped:
        rows.setdefault(row["task_path"], {})[row["status"]] = row["n"]
    times = DBTaskResult.objects.aggregate(first=Min("started_at"), last=Max("finished_at"))
    span = (
        (times["last"] - times["first"]).total_seconds()
        if times["first"] is not None and times["last"] is not None
        else 0.0
    )
    DBTaskResult.objects.all().delete()
    return {"rows": rows, "span": span}


# --- the generated app ----------------------------------------------------------------------


def generate(root: Path) -> None:
    """Write ``bench_deferred``: settings, the three signals and receivers, the task."""
    from signalkit._compat import TASKS_MODULE

    app = root / "bench_deferred"
    app.mkdir(parents=True, exist_ok=True)
    (app / "__init__.py").write_text("", encoding="utf-8")
    (app / "settings.py").write_text(SETTINGS_PY, encoding="utf-8")
    (app / "signals.py").write_text(SIGNALS_PY.format(tasks=TASKS_MODULE), encoding="utf-8")
    (app / "tasks.py").write_text(TASKS_PY.format(tasks=TASKS_MODULE), encoding="utf-8")
    (app / "celery_app.py").write_text(CELERY_APP_PY, encoding="utf-8")


SETTINGS_PY = f"""\
import os

from example_project.database import database_from_url

SECRET_KEY = "signalkit-benchmark-not-secret"
DEBUG = False
INSTALLED_APPS = ["django.contrib.contenttypes", "signalkit", "django_tasks_db", "bench_deferred"]
DATABASES = {{"default": database_from_url(os.environ["{DATABASE_ENV}"], "")}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TASKS = {{"default": {{"BACKEND": "django_tasks_db.DatabaseBackend"}}}}
if os.environ.get("{REDIS_ENV}"):
    TASKS["celery"] = {{
        "BACKEND": "signalkit.contrib.celery.CeleryBackend",
        "OPTIONS": {{"CELERY_APP": "bench_deferred.celery_app.app"}},
    }}
"""

SIGNALS_PY = """\
import json
import os
import time
from functools import partial

from django.conf import settings
from django.db import transaction
from django.dispatch import Signal, receiver

from signalkit import as_task

from bench_deferred.tasks import handle_event, work

# Three signals of one shape, sent as event.send(sender=None, number=n), one receiver each.
signalkit_event = Signal()
by_hand_event = Signal()
inside_event = Signal()


@receiver(signalkit_event)
@as_task
def on_event(sender, number, **kwargs):
    work(number)


@receiver(by_hand_event)
def enqueue_on_commit(sender, number, **kwargs):
    transaction.on_commit(partial(handle_event.enqueue, number=number))


@receiver(inside_event)
def enqueue_inside(sender, number, **kwargs):
    handle_event.enqueue(number=number)


if "celery" in settings.TASKS:  # the same receiver on signalkit's Celery backend
    celery_event = Signal()

    @receiver(celery_event)
    @as_task(backend="celery")
    def on_event_on_celery(sender, number, **kwargs):
        work(number)


# In a Celery worker: the task framework's own signals time the run (Celery keeps no
# result); once PROBE_TASKS tasks finished, their span and statuses go to PROBE_FILE.
PROBE_FILE = os.environ.get("BENCH_DEFERRED_PROBE_FILE")
if PROBE_FILE:
    from {tasks}.signals import task_finished, task_started

    PROBE_TASKS = int(os.environ["BENCH_DEFERRED_PROBE_TASKS"])
    probe = {{"first": None, "last": None, "rows": {{}}}}

    @receiver(task_started)
    def first_start(sender, task_result, **kwargs):
        if probe["first"] is None:
            probe["first"] = time.perf_counter()

    @receiver(task_finished)
    def count_finish(sender, task_result, **kwargs):
        probe["last"] = time.perf_counter()
        statuses = probe["rows"].setdefault(task_result.task.module_path, {{}})
        status = str(task_result.status.value)
        statuses[status] = statuses.get(status, 0) + 1
        if sum(sum(counts.values()) for counts in probe["rows"].values()) == PROBE_TASKS:
            span = probe["last"] - probe["first"]
            with open(PROBE_FILE + ".part", "w") as file:
                json.dump({{"rows": probe["rows"], "span": span}}, file)
            os.replace(PROBE_FILE + ".part", PROBE_FILE)
"""

CELERY_APP_PY = f"""\
import os

from celery import Celery

import signalkit.contrib.celery  # registers the Celery task that runs Django's tasks

app = Celery("bench_deferred")
app.conf.update(
    broker_url=os.environ["{REDIS_ENV}"],
    broker_connection_retry_on_startup=True,
    task_default_queue="default",
    worker_hijack_root_logger=False,
)
"""

TASKS_PY = """\
import hashlib

from {tasks} import task


def work(number):
    hashlib.sha256(str(number).encode()).hexdigest()


@task
def handle_event(number):
    work(number)
"""


# --- the child process ----------------------------------------------------------------------

CHILDREN = {
    "latency": lambda args: _latency_child(args[0], args[1], int(args[2]), int(args[3])),
    "send_cost": lambda args: _send_cost_child(args[0], int(args[1]), int(args[2]), int(args[3])),
    "worker_setup": lambda args: _worker_setup_child(args[0]),
    "enqueue": lambda args: _enqueue_child(args[0], args[1], int(args[2])),
    "enqueue_celery": lambda args: _enqueue_celery_child(args[0], args[1], int(args[2])),
    "report": lambda args: _report_child(args[0]),
}


def child(argv: Sequence[str]) -> None:
    """In a child process: ``argv[0]`` names the step (see ``CHILDREN``); prints its JSON."""
    print(json.dumps(CHILDREN[argv[0]](argv[1:])))
