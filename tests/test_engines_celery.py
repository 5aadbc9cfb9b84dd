"""signalkit.contrib.celery: the CeleryBackend of Django's task framework, and real workers.

The first tests run in the test's process with a stand-in Celery app that keeps what would
be sent. The ``redis`` ones start ``celery worker`` processes on the Redis database that
``SIGNALKIT_REDIS_URL`` names (flushed before and after each test: tests/workers.py's
``redis_db``) and enqueue through the backend from the test's process, as a web process does.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("celery", reason="needs Celery: python -m pip install -e '.[dev]'")

from django.core.exceptions import SuspiciousOperation
from django.test import override_settings
from django.utils import timezone

from signalkit.contrib.celery import (
    CELERY_TASK_NAME,
    CeleryBackend,
    run_django_task_on_celery,
    task_finished,
    task_started,
)
from tests import engines_tasks
from tests.workers import Workers, records, wait_for


@dataclass
class SentMessages:
    """A stand-in Celery app: keeps what ``send_task`` would send."""

    sent: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def send_task(self, name: str, **options: Any) -> None:
        self.sent.append((name, options))


STAND_IN = SentMessages()
CELERY_TASKS = {
    "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "mail"]},
    "celery": {
        "BACKEND": "signalkit.contrib.celery.CeleryBackend",
        "QUEUES": ["default", "mail"],
        "OPTIONS": {"CELERY_APP": "tests.test_engines_celery.STAND_IN"},
    },
}


@pytest.fixture
def sent() -> Iterator[list[tuple[str, dict[str, Any]]]]:
    STAND_IN.sent.clear()
    with override_settings(TASKS=CELERY_TASKS):
        yield STAND_IN.sent
    STAND_IN.sent.clear()


def test_enqueue_sends_one_message_of_signalkits_celery_task_to_the_tasks_queue(
    sent: list[tuple[str, dict[str, Any]]],
) -> None:
    task = engines_tasks.record_run.using(backend="celery", queue_name="mail")

    result = task.enqueue("/tmp/trace", "ran")

    [(name, options)] = sent
    assert name == CELERY_TASK_NAME
    assert (options["task_id"], options["queue"]) == (result.id, "mail")
    assert "eta" not in options
    assert options["kwargs"] == {
        "task_path": "tests.engines_tasks.record_run",
        "backend": "celery",
        "queue_name": "mail",
        "args": ["/tmp/trace", "ran"],
        "kwargs": {},
        "enqueued_at": result.enqueued_at.isoformat(),
    }
    assert (result.status, result.backend) == ("READY", "celery")


def test_run_after_is_sent_as_the_messages_eta(sent: list[tuple[str, dict[str, Any]]]) -> None:
    run_after = timezone.now() + timedelta(minutes=5)
    task = engines_tasks.record_run.using(backend="celery", run_after=run_after)

    task.enqueue("/tmp/trace", "later")

    assert sent[0][1]["eta"] == run_after


def test_arguments_that_are_not_json_fail_the_enqueue_and_nothing_is_sent(
    sent: list[tuple[str, dict[str, Any]]],
) -> None:
    task = engines_tasks.record_run.using(backend="celery")

    with pytest.raises(TypeError, match=r"^tests\.engines_tasks\.record_run: the arguments .*"):
        task.enqueue("/tmp/trace", {"a", "set"})

    assert sent == []


def test_the_backend_supports_run_after_but_neither_priorities_nor_results() -> None:
    assert CeleryBackend.supports_defer is True
    assert (CeleryBackend.supports_priority, CeleryBackend.supports_get_result) == (False, False)


def test_a_missing_celery_app_is_an_error_naming_the_option(
    sent: list[tuple[str, dict[str, Any]]],
) -> None:
    tasks = {
        **CELERY_TASKS,
        "celery": {**CELERY_TASKS["celery"], "OPTIONS": {"CELERY_APP": "no.app"}},
    }
    with (
        override_settings(TASKS=tasks),
        pytest.raises(
            Exception, match=r"TASKS\['celery'\]\['OPTIONS'\]\['CELERY_APP'\] = 'no\.app' cannot"
        ),
    ):
        engines_tasks.record_run.using(backend="celery").enqueue("/tmp/trace", "x")


def test_the_celery_task_is_acknowledged_late_and_rejected_when_its_worker_is_lost() -> None:
    assert run_django_task_on_celery.acks_late is True
    assert run_django_task_on_celery.reject_on_worker_lost is True


def message(task_path: str, *args: Any) -> dict[str, Any]:
    return {
        "task_path": task_path,
        "backend": "celery",
        "queue_name": "default",
        "args": list(args),
        "kwargs": {},
    }


def test_the_celery_task_runs_the_django_task_its_message_names(
    sent: list[tuple[str, dict[str, Any]]], tmp_path: Path
) -> None:
    trace = tmp_path / "trace.jsonl"

    outcome = run_django_task_on_celery.apply(
        kwargs=message("tests.engines_tasks.record_run", str(trace), "ran")
    )

    assert outcome.successful()
    assert [line["label"] for line in records(trace)] == ["ran"]


def test_the_celery_task_sends_the_frameworks_started_and_finished_signals(
    sent: list[tuple[str, dict[str, Any]]], tmp_path: Path
) -> None:
    seen: list[tuple[str, str, type]] = []

    def started(sender: type, task_result: Any, **kwargs: Any) -> None:
        seen.append(("started", task_result.status, sender))

    def finished(sender: type, task_result: Any, **kwargs: Any) -> None:
        seen.append(("finished", task_result.status, sender))

    task_started.connect(started)
    task_finished.connect(finished)
    try:
        run_django_task_on_celery.apply(
            kwargs=message("tests.engines_tasks.record_run", str(tmp_path / "t"), "ran")
        )
    finally:
        task_started.disconnect(started)
        task_finished.disconnect(finished)

    assert seen == [
        ("started", "RUNNING", CeleryBackend),
        ("finished", "SUCCESSFUL", CeleryBackend),
    ]


def test_the_celery_task_refuses_a_path_that_is_not_a_task_of_the_framework(
    sent: list[tuple[str, dict[str, Any]]], tmp_path: Path
) -> None:
    trace = tmp_path / "trace.jsonl"

    outcome = run_django_task_on_celery.apply(
        kwargs=message("tests.engines_tasks.not_a_task", str(trace), "ran")
    )

    assert outcome.failed()
    assert isinstance(outcome.result, SuspiciousOperation)
    assert str(outcome.result) == (
        "'tests.engines_tasks.not_a_task' is not a task of Django's task framework: "
        "refused to run it"
    )
    assert records(trace) == []


# --- real workers on Redis ------------------------------------------------------------------


@pytest.fixture
def celery_workers(tmp_path: Path, redis_db: Any) -> Iterator[Workers]:
    started = Workers(tmp_path, "")  # the workers' Django database: SQLite in memory
    try:
        yield started
    finally:
        started.stop_all()


@pytest.fixture
def enqueue_on_celery() -> Iterator[None]:
    with override_settings(
        TASKS=CELERY_TASKS
        | {"celery": {**CELERY_TASKS["celery"], "OPTIONS": {"CELERY_APP": "tests.celery_app.app"}}}
    ):
        yield


@pytest.mark.redis
@pytest.mark.usefixtures("enqueue_on_celery")
def test_a_celery_worker_runs_a_task_enqueued_through_the_backend(
    celery_workers: Workers, tmp_path: Path
) -> None:
    trace = tmp_path / "trace.jsonl"
    worker = celery_workers.celery_worker()

    engines_tasks.record_run_with_context.using(backend="celery").enqueue(str(trace), "ran")

    wait_for(lambda: bool(records(trace)), "the task ran", details=celery_workers.logs)
    [line] = records(trace)
    assert (line["label"], line["queue"], line["attempt"], line["pid"]) == (
        "ran",
        "default",
        1,
        worker.pid,
    )


@pytest.mark.redis
@pytest.mark.usefixtures("enqueue_on_celery")
def test_a_celery_worker_does_not_run_a_task_before_its_run_after(
    celery_workers: Workers, tmp_path: Path
) -> None:
    trace = tmp_path / "trace.jsonl"
    celery_workers.celery_worker()
    run_after = timezone.now() + timedelta(seconds=3)

    engines_tasks.record_run.using(backend="celery", run_after=run_after).enqueue(str(trace), "x")

    wait_for(lambda: bool(records(trace)), "the task ran", details=celery_workers.logs)
    assert records(trace)[0]["time"] >= run_after.timestamp()


@pytest.mark.redis
@pytest.mark.usefixtures("enqueue_on_celery")
def test_a_task_goes_to_its_queue_and_only_a_worker_of_that_queue_runs_it(
    celery_workers: Workers, tmp_path: Path, redis_db: Any
) -> None:
    trace = tmp_path / "trace.jsonl"
    celery_workers.celery_worker(queues="mail")

    engines_tasks.record_run.using(backend="celery").enqueue(str(trace), "default queue")
    engines_tasks.record_run.using(backend="celery", queue_name="mail").enqueue(str(trace), "mail")

    wait_for(lambda: bool(records(trace)), "the mail task ran", details=celery_workers.logs)
    assert [line["label"] for line in records(trace)] == ["mail"]
    assert redis_db.llen("default") == 1  # still waiting for a worker of its queue


@pytest.mark.redis
@pytest.mark.usefixtures("enqueue_on_celery")
def test_a_task_whose_celery_worker_was_killed_runs_on_the_next_worker(
    celery_workers: Workers, tmp_path: Path
) -> None:
    started, release, trace = tmp_path / "started", tmp_path / "release", tmp_path / "trace"
    short = {"SIGNALKIT_TESTS_VISIBILITY_TIMEOUT": "1"}
    worker = celery_workers.celery_worker(pool="prefork", **short)
    task = engines_tasks.wait_then_record.using(backend="celery")
    task.enqueue(str(started), str(release), str(trace), "ran")
    wait_for(started.exists, "the task started", details=celery_workers.logs)

    worker.kill()  # the worker and its pool process
    release.touch()
    again = celery_workers.celery_worker(**short)

    wait_for(lambda: bool(records(trace)), "the task ran again", details=celery_workers.logs)
    assert [(line["label"], line["pid"]) for line in records(trace)] == [("ran", again.pid)]


@pytest.mark.redis
@pytest.mark.usefixtures("enqueue_on_celery")
def test_a_task_whose_pool_process_was_killed_is_handed_back_and_runs_again(
    celery_workers: Workers, tmp_path: Path
) -> None:
    started, release, trace = tmp_path / "started", tmp_path / "release", tmp_path / "trace"
    celery_workers.celery_worker(pool="prefork")
    task = engines_tasks.wait_then_record.using(backend="celery")
    task.enqueue(str(started), str(release), str(trace), "ran")
    wait_for(started.exists, "the task started", details=celery_workers.logs)
    pool_process = int(started.read_text(encoding="utf-8"))

    os.kill(pool_process, signal.SIGKILL)
    release.touch()

    wait_for(lambda: bool(records(trace)), "the task ran again", details=celery_workers.logs)
    [line] = records(trace)
    assert line["label"] == "ran"
    assert line["pid"] != pool_process


@pytest.mark.redis
@pytest.mark.usefixtures("enqueue_on_celery")
def test_a_celery_worker_refuses_a_message_naming_a_function_that_is_not_a_task(
    celery_workers: Workers, tmp_path: Path
) -> None:
    from tests.celery_app import app

    trace = tmp_path / "trace.jsonl"
    celery_workers.celery_worker()

    app.send_task(
        CELERY_TASK_NAME,
        kwargs=message("tests.engines_tasks.not_a_task", str(trace), "refused"),
        queue="default",
    )
    engines_tasks.record_run.using(backend="celery").enqueue(str(trace), "after it")

    wait_for(lambda: bool(records(trace)), "the task after it ran", details=celery_workers.logs)
    assert [line["label"] for line in records(trace)] == ["after it"]
    assert "is not a task of Django's task framework: refused" in celery_workers.logs()


@pytest.mark.redis
@pytest.mark.usefixtures("enqueue_on_celery")
def test_arguments_that_are_not_json_never_reach_redis(redis_db: Any) -> None:
    task = engines_tasks.record_run.using(backend="celery")

    with pytest.raises(TypeError, match="must be JSON-serialisable, nothing was sent"):
        task.enqueue("/tmp/trace", {"a", "set"})

    assert redis_db.dbsize() == 0
