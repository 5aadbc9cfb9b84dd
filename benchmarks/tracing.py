"""What tracing costs: nothing while nothing traces; per receiver run while it traces.

Three lines, each ``signalkit's time / the baseline's`` (lower is better). The send is
``post_save.send(sender=User, instance=user, created=False, update_fields=None,
raw=False, using="default")`` with one receiver connected for ``User``.

- ``tracing.idle`` (goal <= 1.02: when nothing traces, a send costs what it costs in
  pristine Django). The send, its receiver counting its calls, in a process with
  signalkit installed (in ``INSTALLED_APPS``, its ``ready()`` run) that entered and left
  ``trace_signals()`` (sending once inside it) before the timing, against the same send in
  a process that never imported signalkit: Django's own ``Signal.send``. Timed as the
  ``muting`` lines are (:mod:`benchmarks.send_timing`): fresh processes of the two variants
  alternating, each keeping its fastest timeit-style repeat in CPU time, the ratio of the
  medians over the processes (minima and paired ratios beside). This is
  ``trace_signals()`` of every signal, as the debug toolbar panel, ``--signal-durations``
  and the OpenTelemetry instrumentor trace; a trace naming its signals
  (``trace_signals(post_save)``) leaves those signals the per-object cost
  ``muting.unmuted_send`` shows for a mute naming them.
- ``tracing.traced`` (goal <= 1.15). The send with a receiver doing one database query
  (``User.objects.filter(pk=...).exists()`` on SQLite in memory), inside
  ``trace_signals()``, against the same send untraced. The overhead per receiver run
  (traced minus untraced, per run) is printed beside.
- ``tracing.opentelemetry`` (no goal: reported). The same workload while
  ``SignalInstrumentor().instrument(tracer_provider=...)`` is instrumented with the SDK's
  ``TracerProvider`` exporting each span at once (``SimpleSpanProcessor``) to an
  ``InMemorySpanExporter``, against the same untraced batches; the overhead per receiver
  run is printed beside.

How the workload is timed: one fresh process (``contenttypes``, ``auth`` and
``signalkit``, SQLite in memory, migrated, one user saved) in which the three variants
(untraced, traced, instrumented) take turns, one batch of sends each per round; the order
rotates every round and runs backwards every other one (:func:`benchmarks.timing.turns`),
after untimed rounds. A batch is timed in CPU time (``time.process_time``) from its first
send to its last, after a ``gc.collect()``, with the garbage collector on: what a trace
allocates and keeps is part of its cost. The trace, or the instrumentation, begins
before the clock starts and ends after it stops, a new one per batch; the span exporter
is emptied after each batch, so memory does not grow from batch to batch. Each line
compares the medians of the time per send over the rounds (the median of the per-round
ratios beside); the untraced batches are the baseline of both.

Why it is fair: the variants send the same signal with the same arguments to the same
receiver, which makes the same query, in one process, taking turns. Checks, the benchmark
aborting otherwise: ``post_save`` has no receiver but the benchmark's; every batch ran the
receiver once per send and every query found the user; every trace recorded each send
of its batch, with exactly one run of the receiver and its one query, and nothing else;
every instrumented batch exported exactly one span per send, named after the signal and
the receiver; and before every untraced batch no gate of signalkit's is in place
(``trace_signals()`` ended and ``uninstrument()`` gave the signals their own ``send``
back). For ``tracing.idle``, inside its trace the send was recorded (one send, one run),
and afterwards a send runs the receiver once on Django's own ``Signal.send`` and class,
with no gate left.
"""

from __future__ import annotations

import importlib.util
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from benchmarks import send_timing
from benchmarks.result import BenchmarkError, Result, Results
from benchmarks.send_timing import (
    SEND,
    WITHOUT_SIGNALKIT,
    Comparison,
    Setup,
    Variant,
    check_pristine,
    check_sent_once,
)
from benchmarks.timing import REPO, run_child, turns

NAME = "tracing"
TRACED_GOAL = 1.15

IDLE = Comparison(
    name=f"{NAME}.idle",
    subject="idle_after_a_trace",
    baseline="without_signalkit",
    goal=1.02,
    subject_label="signalkit installed, nothing tracing",
    baseline_label="pristine Django (signalkit never imported)",
    timed=f"{SEND} with one receiver",
)

# The workload's variants, in the order of their first round.
WORKLOAD = ("untraced", "traced", "opentelemetry")
SHORT = {"untraced": "untraced", "traced": "traced", "opentelemetry": "instrumented"}
RECEIVER_PATH = "benchmarks.tracing.read_user"
SPAN_NAME = f"post_save {RECEIVER_PATH}"
SDK_MISSING = (
    "the tracing.opentelemetry line needs the OpenTelemetry SDK and instrumentation "
    'packages, which are not installed (python -m pip install -e ".[dev]")'
)


@dataclass(frozen=True)
class Config:
    idle: send_timing.Config
    sends: int  # per batch
    rounds: int  # timed batches per workload variant
    warmups: int  # untimed rounds first


FULL = Config(
    idle=send_timing.Config(processes=15, warmups=1, repeats=15, numbers={IDLE.name: 20_000}),
    sends=500,
    rounds=21,
    warmups=2,
)
QUICK = Config(
    idle=send_timing.Config(processes=1, warmups=0, repeats=1, numbers={IDLE.name: 200}),
    sends=20,
    rounds=1,
    warmups=0,
)


def run(quick: bool) -> Results:
    """``tracing.idle`` in fresh processes, then the workload's two lines in one process."""
    if not opentelemetry_installed():
        raise BenchmarkError(SDK_MISSING)
    config = QUICK if quick else FULL
    idle = send_timing.compare(__name__, IDLE, config.idle, quick)
    report, _ = run_child(
        __name__, "workload", str(config.sends), str(config.rounds), str(config.warmups), cwd=REPO
    )
    check_workload(report, config.sends, config.rounds)
    return Results.of(NAME, (idle, *workload_results(report, config, quick)))


def opentelemetry_installed() -> bool:
    """Whether the SDK and the instrumentation package the workload imports are there."""
    try:
        return all(
            importlib.util.find_spec(name) is not None
            for name in ("opentelemetry.sdk", "opentelemetry.instrumentation")
        )
    except ModuleNotFoundError:  # no opentelemetry package at all
        return False


def check_workload(report: dict[str, Any], sends: int, rounds: int) -> None:
    """Raise :class:`BenchmarkError` unless the workload child found nothing wrong and
    timed ``rounds`` batches of ``sends`` sends of each variant."""
    problems = [str(problem) for problem in report.get("problems", ["no list of problems"])]
    if report.get("sends") != sends:
        problems.append(f"batches of {report.get('sends')} sends, not {sends}")
    times = report.get("times", {})
    for variant in WORKLOAD:
        if len(times.get(variant, [])) != rounds:
            problems.append(f"{variant}: {len(times.get(variant, []))} timed batches, not {rounds}")
    if problems:
        raise BenchmarkError(
            "tracing: the traced, instrumented and untraced sends did not do the work they "
            "claim, so their timings would not compare:\n  " + "\n  ".join(problems)
        )


def workload_results(report: dict[str, Any], config: Config, quick: bool) -> tuple[Result, Result]:
    """``tracing.traced`` and ``tracing.opentelemetry`` from a checked workload report."""
    sends = config.sends
    per_send = {variant: [t / sends for t in report["times"][variant]] for variant in WORKLOAD}
    untraced = statistics.median(per_send["untraced"])
    rounds = f"{config.rounds} round{'s' if config.rounds != 1 else ''}"
    workload = (
        f"timed: {SEND}, one receiver ({RECEIVER_PATH}) making one query: {report['query']} "
        f"(SQLite in memory); batches of {sends:,} sends, the variants taking turns in one "
        f"process, {rounds} after {config.warmups} untimed, CPU time"
    )

    def result(
        variant: str, goal: float | None, labels: tuple[str, str], timed: str, checks: str
    ) -> Result:
        median = statistics.median(per_send[variant])
        paired = statistics.median(
            x / y for x, y in zip(per_send[variant], per_send["untraced"], strict=True)
        )
        overhead = (
            f"overhead per receiver run: {(median - untraced) * 1e6:.2f} us ({SHORT[variant]} "
            f"minus untraced, per send of one receiver run); median of the per-round ratios "
            f"{paired:.3f}"
        )
        return Result(
            name=f"{NAME}.{variant}",
            subject=median,
            baseline=untraced,
            goal=goal,
            runs=config.rounds,
            quick=quick,
            subject_label=labels[0],
            baseline_label=labels[1],
            statistic="median per send",
            details=(timed, overhead, checks),
        )

    rounds_run = f"{config.rounds + config.warmups}, warm-ups included"
    traced = result(
        "traced",
        TRACED_GOAL,
        ("inside trace_signals()", "untraced"),
        workload,
        f"checks: passed - in every round ({rounds_run}) each variant's batch ran the "
        f"receiver once per send, finding the user; each trace recorded every send of its "
        f"batch, with one run of {RECEIVER_PATH} and its 1 query, and nothing else; no "
        f"gate in place for the untraced batches",
    )
    instrumented = result(
        "opentelemetry",
        None,
        ("SignalInstrumentor (SimpleSpanProcessor, InMemorySpanExporter)", "not instrumented"),
        f"timed: the workload of {NAME}.traced, against the same untraced batches",
        f"checks: passed - every instrumented batch ({rounds_run}) exported one span per "
        f"send, named {SPAN_NAME!r}, the exporter emptied after each; uninstrument() left "
        f"no gate",
    )
    return traced, instrumented


# --- the child processes --------------------------------------------------------------------


def child(argv: Sequence[str]) -> None:
    """In a child: ``workload <sends> <rounds> <warmups>`` prints the workload's JSON report;
    otherwise ``argv`` names a ``tracing.idle`` variant (see :func:`send_timing.child`)."""
    if argv[0] == "workload":
        import json

        print(json.dumps(_workload_child(int(argv[1]), int(argv[2]), int(argv[3]))))
    else:
        send_timing.child(argv, VARIANTS)


def _idle_after_a_trace(
    namespace: dict[str, Any], send_once: Callable[[], int], problems: list[str]
) -> Setup:
    from signalkit import gate, trace_signals

    def setup() -> None:
        with trace_signals() as trace:
            if not gate.is_installed():
                problems.append("trace_signals() put no gate in place")
            if (n := send_once()) != 1:
                problems.append(f"inside trace_signals() the receiver ran {n} times, not once")
        runs = len(list(trace.runs()))
        if (len(trace.sends), runs) != (1, 1):
            problems.append(
                f"the trace recorded {len(trace.sends)} sends and {runs} receiver runs, not 1 and 1"
            )
        check_sent_once(send_once, problems, "a send after the trace")
        if gate.is_installed():
            problems.append("signalkit's gate is still in place after the trace")
        check_pristine(namespace["post_save"], problems)

    return setup, SEND, 1


VARIANTS: dict[str, Variant] = {
    "idle_after_a_trace": Variant(
        _idle_after_a_trace, imports_signalkit=True, installs_signalkit=True
    ),
    "without_signalkit": WITHOUT_SIGNALKIT,
}

# The workload receiver's calls, and the queries of them that found the user.
_runs = 0
_found = 0


def read_user(sender: object, instance: Any, **kwargs: Any) -> None:
    """The workload's receiver: one query, reading whether the user sent still exists."""
    global _runs, _found
    _runs += 1
    if type(instance)._default_manager.filter(pk=instance.pk).exists():
        _found += 1


def _take_counts() -> tuple[int, int]:
    """(runs, found) of :func:`read_user` since the last call; start counting again."""
    global _runs, _found
    counts, _runs, _found = (_runs, _found), 0, 0
    return counts


def _workload_child(sends: int, rounds: int, warmups: int) -> dict[str, Any]:
    """Migrate SQLite in memory, then time batches of the three variants taking turns."""
    import gc
    import time

    import django
    from django.conf import settings

    settings.configure(
        INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "signalkit"],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        USE_TZ=True,
    )
    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection
    from django.db.models.signals import post_save
    from django.test.utils import CaptureQueriesContext
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from signalkit import gate, trace_signals
    from signalkit.contrib.opentelemetry import SignalInstrumentor

    call_command("migrate", verbosity=0)
    user = User.objects.create(username="bench")
    problems: list[str] = []
    if post_save.receivers:
        problems.append(
            f"post_save has {len(post_save.receivers)} receivers before the benchmark's"
        )
    post_save.connect(read_user, sender=User)

    namespace = {"post_save": post_save, "User": User, "user": user}
    statement = compile(SEND, "<send>", "eval")

    def send() -> None:
        eval(statement, namespace)

    with CaptureQueriesContext(connection) as captured:  # one send, untimed: its query
        send()
    queries = [query["sql"] for query in captured.captured_queries]
    if len(queries) != 1:
        problems.append(f"one send made {len(queries)} queries, not 1: {queries}")
    _take_counts()

    def batch() -> float:
        gc.collect()
        start = time.process_time()
        for _ in range(sends):
            send()
        return time.process_time() - start

    def untraced() -> float:
        if gate.is_installed():
            problems.append("untraced: a gate of signalkit's is in place")
        return batch()

    def traced() -> float:
        with trace_signals() as trace:
            elapsed = batch()
        wrong = [
            traced_send
            for traced_send in trace.sends
            if [(r.receiver_path, r.queries, r.error) for r in traced_send.runs]
            != [(RECEIVER_PATH, 1, None)]
        ]
        unreceived = sum(trace.unreceived.values())
        if len(trace.sends) != sends or wrong or unreceived:
            problems.append(
                f"traced: the trace recorded {len(trace.sends)} sends ({len(wrong)} of them "
                f"not one run of {RECEIVER_PATH} with 1 query) and {unreceived} unreceived, "
                f"not {sends} sends"
            )
        return elapsed

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    instrumentor = SignalInstrumentor()

    def instrumented() -> float:
        instrumentor.instrument(tracer_provider=provider)
        try:
            elapsed = batch()
        finally:
            instrumentor.uninstrument()
        spans = exporter.get_finished_spans()
        exporter.clear()
        names = sorted({span.name for span in spans})
        if len(spans) != sends or names != [SPAN_NAME]:
            problems.append(
                f"opentelemetry: {len(spans)} spans exported (named {names}), not {sends} "
                f"named {SPAN_NAME!r}"
            )
        return elapsed

    measure = {"untraced": untraced, "traced": traced, "opentelemetry": instrumented}
    times: dict[str, list[float]] = {variant: [] for variant in WORKLOAD}
    for round_number in range(warmups + rounds):
        for variant in turns(WORKLOAD, round_number):
            elapsed = measure[variant]()
            runs, found = _take_counts()
            if (runs, found) != (sends, sends):
                problems.append(
                    f"{variant}: the receiver ran {runs} times and found the user {found} "
                    f"times in a batch of {sends} sends"
                )
            if round_number >= warmups:
                times[variant].append(elapsed)
    return {
        "sends": sends,
        "times": times,
        "query": queries[0] if len(queries) == 1 else None,
        "problems": list(dict.fromkeys(problems)),
    }
