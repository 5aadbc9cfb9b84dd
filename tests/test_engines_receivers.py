"""``@as_task`` receivers run by real workers: django-tasks-db's ``db_worker`` (SQLite file,
PostgreSQL) and ``celery worker`` (Redis).

A child process saves a note (tests/engines_app, tests/engines_celery_app) as a web process
would; its ``post_save`` receiver runs in the worker and leaves a trace
(tests.engines_tasks.behave). Fixtures: tests/workers.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.workers import Workers, records, run_django, run_in_django, wait_for

BATCH = ("--batch", "--interval", "0")


def save_note(
    url: str,
    trace: Path,
    text: str,
    behaviour: str = "record",
    *,
    model: str = "Note",
    rollback: bool = False,
) -> dict[str, Any]:
    """Save a note in a transaction of a child process (rolled back if told); returns the
    note's pk (None when rolled back) and the task rows that the child sees after it."""
    app = "engines_app" if model == "Note" else "engines_celery_app"
    return dict(
        run_in_django(
            url,
            "from django.db import transaction\n"
            "from django_tasks_db.models import DBTaskResult\n"
            f"from tests.{app}.models import {model}\n"
            "class Rollback(Exception): pass\n"
            "pk = None\n"
            "try:\n"
            "    with transaction.atomic():\n"
            f"        note = {model}.objects.create(text={text!r}, behaviour={behaviour!r}, "
            f"trace={str(trace)!r})\n"
            "        inside = DBTaskResult.objects.count()\n"
            f"        if {rollback!r}: raise Rollback\n"
            "        pk = note.pk\n"
            "except Rollback:\n"
            "    pass\n"
            "output = {'pk': pk, 'tasks_inside': inside, "
            "'tasks': list(DBTaskResult.objects.values_list('status', flat=True))}",
        )
    )


def statuses(url: str) -> list[str]:
    return sorted(
        run_in_django(
            url,
            "from django_tasks_db.models import DBTaskResult\n"
            "output = list(DBTaskResult.objects.values_list('status', flat=True))",
        )
    )


# --- django-tasks-db's db_worker --------------------------------------------------------------


def test_a_receiver_runs_in_a_db_worker_with_the_saved_instance(
    workers: Workers, tmp_path: Path
) -> None:
    trace = tmp_path / "trace.jsonl"
    saved = save_note(workers.url, trace, "hello")

    worker = workers.db_worker(*BATCH)

    assert worker.wait() == 0, workers.logs()
    [line] = records(trace)
    assert (line["label"], line["note"], line["text"], line["created"]) == (
        "ran",
        saved["pk"],
        "hello",
        True,
    )
    assert line["pid"] == worker.pid
    assert statuses(workers.url) == ["SUCCESSFUL"]


def test_the_task_is_written_inside_the_transaction_and_commits_with_it(
    workers: Workers, tmp_path: Path
) -> None:
    saved = save_note(workers.url, tmp_path / "trace.jsonl", "committed")

    assert (saved["tasks_inside"], saved["tasks"]) == (1, ["READY"])


def test_a_rolled_back_save_leaves_no_task_and_the_worker_runs_nothing(
    workers: Workers, tmp_path: Path
) -> None:
    trace = tmp_path / "trace.jsonl"
    saved = save_note(workers.url, trace, "rolled back", rollback=True)

    worker = workers.db_worker(*BATCH)

    assert saved == {"pk": None, "tasks_inside": 1, "tasks": []}
    assert worker.wait() == 0, workers.logs()
    assert records(trace) == []


def test_a_failed_attempt_runs_again_in_the_db_worker_after_its_retry_delay(
    workers: Workers, tmp_path: Path
) -> None:
    trace = tmp_path / "trace.jsonl"
    workers.db_worker()

    save_note(workers.url, trace, "flaky", "fail-once")

    wait_for(lambda: len(records(trace)) == 2, "the second attempt ran", details=workers.logs)
    failed, ran = records(trace)
    assert (failed["label"], ran["label"]) == ("failed", "ran")
    assert ran["time"] - failed["time"] >= 1.0  # the receiver's retry_delay
    assert statuses(workers.url) == ["FAILED", "SUCCESSFUL"]


def test_a_receiver_whose_db_worker_was_killed_runs_again_after_requeue_stale_tasks(
    workers: Workers, tmp_path: Path
) -> None:
    trace = tmp_path / "trace.jsonl"
    started, release = Path(f"{trace}.started"), Path(f"{trace}.release")
    save_note(workers.url, trace, "slow", "wait")
    worker = workers.db_worker()
    wait_for(started.exists, "the receiver started", details=workers.logs)

    worker.kill()
    requeued = run_django(workers.url, "requeue_stale_tasks", "--older-than", "0")
    release.touch()
    again = workers.db_worker(*BATCH)

    assert requeued.stdout.startswith("Requeued 1 stale task of signalkit.deferred.run_receiver")
    assert again.wait() == 0, workers.logs()
    assert [(line["label"], line["pid"]) for line in records(trace)] == [("ran", again.pid)]
    assert statuses(workers.url) == ["SUCCESSFUL"]


def test_without_requeue_stale_tasks_the_killed_workers_receiver_never_runs_again(
    workers: Workers, tmp_path: Path
) -> None:
    trace = tmp_path / "trace.jsonl"
    started, release = Path(f"{trace}.started"), Path(f"{trace}.release")
    save_note(workers.url, trace, "slow", "wait")
    worker = workers.db_worker()
    wait_for(started.exists, "the receiver started", details=workers.logs)

    worker.kill()
    release.touch()
    again = workers.db_worker(*BATCH)

    assert again.wait() == 0, workers.logs()
    assert records(trace) == []
    assert statuses(workers.url) == ["RUNNING"]


# --- Celery ------------------------------------------------------------------------------------


@pytest.mark.redis
@pytest.mark.usefixtures("redis_db")
def test_a_receiver_runs_in_a_celery_worker_after_the_save_commits(
    workers: Workers, tmp_path: Path
) -> None:
    trace = tmp_path / "trace.jsonl"
    worker = workers.celery_worker()

    saved = save_note(workers.url, trace, "hello", model="CeleryNote")

    wait_for(lambda: bool(records(trace)), "the receiver ran", details=workers.logs)
    [line] = records(trace)
    assert (line["label"], line["note"], line["text"], line["pid"]) == (
        "ran",
        saved["pk"],
        "hello",
        worker.pid,
    )


@pytest.mark.redis
def test_a_rolled_back_save_sends_nothing_to_the_celery_worker(
    workers: Workers, tmp_path: Path, redis_db: Any
) -> None:
    trace = tmp_path / "trace.jsonl"
    save_note(workers.url, trace, "rolled back", model="CeleryNote", rollback=True)
    assert redis_db.llen("mail") == 0  # nothing was sent to the receiver's queue
    workers.celery_worker()

    save_note(workers.url, trace, "committed", model="CeleryNote")

    wait_for(
        lambda: bool(records(trace)), "the committed save's receiver ran", details=workers.logs
    )
    assert [line["text"] for line in records(trace)] == ["committed"]


@pytest.mark.redis
@pytest.mark.usefixtures("redis_db")
def test_a_failed_attempt_runs_again_in_the_celery_worker_after_its_retry_delay(
    workers: Workers, tmp_path: Path
) -> None:
    trace = tmp_path / "trace.jsonl"
    workers.celery_worker()

    save_note(workers.url, trace, "flaky", "fail-once", model="CeleryNote")

    wait_for(lambda: len(records(trace)) == 2, "the second attempt ran", details=workers.logs)
    failed, ran = records(trace)
    assert (failed["label"], ran["label"]) == ("failed", "ran")
    assert ran["time"] - failed["time"] >= 1.0  # the receiver's retry_delay
