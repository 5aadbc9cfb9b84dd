"""django-tasks-db's real ``db_worker`` processes, on an SQLite file and on PostgreSQL.

Every step runs in a process of its own, as in production: a child enqueues, a worker
runs, the test reads the trace the task left (tests/engines_tasks.py). The PostgreSQL
variants need the suite on PostgreSQL; they work in a throwaway database. The fixtures
``workers`` and ``worker_database`` are tests/workers.py's.
"""

from __future__ import annotations

from pathlib import Path

from tests.workers import Workers, enqueue, records, task_status, wait_for

BATCH = ("--batch", "--interval", "0")


def test_a_batch_db_worker_runs_the_task_another_process_enqueued_then_exits(
    workers: Workers, tmp_path: Path
) -> None:
    trace = tmp_path / "trace.jsonl"
    result_id = enqueue(workers.url, "record_run", str(trace), "ran")

    worker = workers.db_worker(*BATCH)

    assert worker.wait() == 0, workers.logs()
    assert [line["label"] for line in records(trace)] == ["ran"]
    assert records(trace)[0]["pid"] == worker.pid
    assert task_status(workers.url, result_id) == "SUCCESSFUL"


def test_a_running_db_worker_runs_tasks_enqueued_on_each_of_its_queues(
    workers: Workers, tmp_path: Path
) -> None:
    trace = tmp_path / "trace.jsonl"
    workers.db_worker()

    enqueue(workers.url, "record_run_with_context", str(trace), "one", queue_name="default")
    enqueue(workers.url, "record_run_with_context", str(trace), "two", queue_name="mail")

    wait_for(lambda: len(records(trace)) == 2, "both tasks ran", details=workers.logs)
    ran = {line["label"]: (line["queue"], line["attempt"]) for line in records(trace)}
    assert ran == {"one": ("default", 1), "two": ("mail", 1)}


def test_a_task_whose_db_worker_was_killed_stays_running_and_no_new_worker_runs_it(
    workers: Workers, tmp_path: Path
) -> None:
    started, release, trace = tmp_path / "started", tmp_path / "release", tmp_path / "trace"
    result_id = enqueue(
        workers.url, "wait_then_record", str(started), str(release), str(trace), "ran"
    )
    worker = workers.db_worker()
    wait_for(started.exists, "the task started", details=workers.logs)

    worker.kill()
    release.touch()
    again = workers.db_worker(*BATCH)

    assert again.wait() == 0, workers.logs()
    assert records(trace) == []
    assert task_status(workers.url, result_id) == "RUNNING"
