"""``requeue_stale_tasks``: which rows it puts back to READY, and its options' errors.

Run in the test's process on the suite's database (its worker-process counterpart, a task
whose ``db_worker`` was killed and runs again, is in tests/test_engines_db_worker.py).
"""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tests.factories import DBTaskResultFactory
from tests.processes import run_manage

pytestmark = pytest.mark.django_db


def run_requeue(*args: str) -> tuple[str, str, int]:
    """Run ``requeue_stale_tasks`` as ``manage.py`` would: (stdout, stderr, exit status)."""
    stdout, stderr = StringIO(), StringIO()
    try:
        call_command("requeue_stale_tasks", *args, stdout=stdout, stderr=stderr)
    except CommandError as exc:
        stderr.write(f"CommandError: {exc}\n")
        return stdout.getvalue(), stderr.getvalue(), exc.returncode
    return stdout.getvalue(), stderr.getvalue(), 0


def status(task: DBTaskResult) -> str:
    task.refresh_from_db()
    return str(task.status)


def test_a_running_receiver_task_older_than_the_limit_is_put_back_to_ready() -> None:
    task = DBTaskResultFactory(started_at=timezone.now() - timedelta(seconds=120))

    stdout, _, code = run_requeue("--older-than", "60", "--backend", "database")

    assert (code, status(task)) == (0, "READY")
    assert stdout == (
        "Requeued 1 stale task of signalkit.deferred.run_receiver "
        "(backend 'database', database 'default').\n"
    )


def test_the_requeued_task_keeps_its_workers_so_the_next_attempt_counts_as_the_second() -> None:
    task = DBTaskResultFactory(worker_ids=["killed-worker"])

    run_requeue("--older-than", "0", "--backend", "database")

    task.refresh_from_db()
    assert task.worker_ids == ["killed-worker"]


def test_a_running_receiver_task_younger_than_the_limit_stays_running() -> None:
    task = DBTaskResultFactory(started_at=timezone.now() - timedelta(seconds=30))

    stdout, _, code = run_requeue("--older-than", "60", "--backend", "database")

    assert (code, status(task)) == (0, "RUNNING")
    assert stdout.startswith("Requeued 0 stale tasks of signalkit.deferred.run_receiver")


def test_older_than_zero_requeues_every_running_receiver_task() -> None:
    tasks = DBTaskResultFactory.create_batch(2, started_at=timezone.now())

    run_requeue("--older-than", "0", "--backend", "database")

    assert [status(task) for task in tasks] == ["READY", "READY"]


def test_a_running_task_of_another_task_path_is_never_requeued() -> None:
    task = DBTaskResultFactory(task_path="shop.tasks.charge_card")

    run_requeue("--older-than", "0", "--backend", "database")

    assert status(task) == "RUNNING"


@pytest.mark.parametrize("state", ["READY", "SUCCESSFUL", "FAILED"])
def test_a_receiver_task_that_is_not_running_keeps_its_status(state: str) -> None:
    task = DBTaskResultFactory(status=state)

    run_requeue("--older-than", "0", "--backend", "database")

    assert status(task) == state


@override_settings(
    TASKS={
        "database": {"BACKEND": "django_tasks_db.DatabaseBackend"},
        "other": {"BACKEND": "django_tasks_db.DatabaseBackend"},
    }
)
def test_only_the_tasks_of_the_named_backend_are_requeued() -> None:
    ours, theirs = DBTaskResultFactory(), DBTaskResultFactory(backend_name="other")

    run_requeue("--older-than", "0", "--backend", "database")

    assert (status(ours), status(theirs)) == ("READY", "RUNNING")


@override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}})
def test_the_backend_is_default_unless_named() -> None:
    task = DBTaskResultFactory(backend_name="default")

    run_requeue("--older-than", "0")

    assert status(task) == "READY"


def test_dry_run_counts_the_stale_tasks_and_writes_nothing() -> None:
    task = DBTaskResultFactory()

    stdout, _, code = run_requeue("--older-than", "0", "--backend", "database", "--dry-run")

    assert (code, status(task)) == (0, "RUNNING")
    assert stdout == (
        "1 stale task of signalkit.deferred.run_receiver to requeue "
        "(backend 'database', database 'default'); --dry-run: nothing written.\n"
    )


def test_verbosity_2_lists_the_ids_of_the_requeued_tasks() -> None:
    task = DBTaskResultFactory()

    stdout, _, _ = run_requeue("--older-than", "0", "--backend", "database", "-v", "2")

    assert stdout.splitlines()[1:] == [f"  {task.pk}"]


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (
            ("--backend", "database"),
            "--older-than SECONDS is required: how long ago a RUNNING task's last attempt "
            "must have started for its worker to count as dead.",
        ),
        (
            ("--older-than", "-1", "--backend", "database"),
            "--older-than '-1' is not a number of seconds from 0 up (how long ago a RUNNING "
            "task's last attempt must have started).",
        ),
        (
            ("--older-than", "nan", "--backend", "database"),
            "--older-than 'nan' is not a number of seconds from 0 up (how long ago a RUNNING "
            "task's last attempt must have started).",
        ),
        (
            ("--older-than", "soon", "--backend", "database"),
            "--older-than 'soon' is not a number of seconds from 0 up (how long ago a RUNNING "
            "task's last attempt must have started).",
        ),
        (
            ("--older-than", "0", "--backend", "nope"),
            "--backend 'nope' is not a configured task backend. Backends: default, database, "
            "dummy.",
        ),
        (
            ("--older-than", "0"),
            "--backend 'default' is ImmediateBackend, not django_tasks_db.DatabaseBackend: only "
            "its tasks can be left RUNNING. Database backends: database.",
        ),
    ],
    ids=["missing-older-than", "negative", "nan", "not-a-number", "unknown-backend", "immediate"],
)
def test_a_bad_option_is_one_line_naming_it_and_exit_status_1(
    args: tuple[str, ...], error: str
) -> None:
    task = DBTaskResultFactory()

    stdout, stderr, code = run_requeue(*args)

    assert (code, stdout, stderr) == (1, "", f"CommandError: {error}\n")
    assert status(task) == "RUNNING"


def test_older_than_from_call_command_may_be_a_number() -> None:
    task = DBTaskResultFactory()

    call_command("requeue_stale_tasks", older_than=0, backend="database", stdout=StringIO())

    assert status(task) == "READY"


def test_manage_py_with_a_bad_option_exits_1_with_one_line(tmp_path: Path) -> None:
    database = tmp_path / "db.sqlite3"

    result = run_manage(
        "requeue_stale_tasks",
        "--older-than",
        "soon",
        url=f"sqlite:///{database}",
        settings="tests.settings",
    )

    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr.startswith("CommandError: --older-than 'soon'")
    assert result.stderr.count("\n") == 1
