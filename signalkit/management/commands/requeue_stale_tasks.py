"""``python manage.py requeue_stale_tasks``: run again the deferred receivers of dead workers.

    $ python manage.py requeue_stale_tasks --older-than 3600             # backend "default"
    $ python manage.py requeue_stale_tasks --older-than 600 --backend db --dry-run

django-tasks-db marks a task RUNNING when a worker claims it and never looks at it again: a
worker killed mid-task (``kill -9``, out of memory, a lost machine) leaves it RUNNING for
ever. This command puts the RUNNING tasks of signalkit's own task
(``signalkit.deferred.run_receiver``) whose last attempt started more than ``--older-than``
seconds ago back to READY, so that a worker runs them again: at least once. Other tasks are
never touched (nothing says they may run twice). Every option is checked before anything is
read or written: a bad value is one line naming it, exit status 1.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import router, transaction
from django.utils import timezone

from signalkit import _compat
from signalkit.deferred import RUN_RECEIVER_PATH

DATABASE_BACKEND = "django_tasks_db.DatabaseBackend"
INSTALL = 'python -m pip install "django-signalkit[tasks]"'


def _task_backends() -> Any:
    """This Django's task backends (django.tasks, or the django_tasks backport on 5.2)."""
    try:
        return _compat.tasks_framework().task_backends
    except ImproperlyConfigured as error:
        raise CommandError(" ".join(str(error).split())) from error


class Command(BaseCommand):
    """``requeue_stale_tasks --older-than SECONDS [--backend ALIAS] [--dry-run]``."""

    help = (
        "Put signalkit's deferred-receiver tasks that a django-tasks-db worker left RUNNING "
        "(the worker died mid-task) back to READY when their last attempt started more than "
        "--older-than seconds ago, so that a worker runs them again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than",
            metavar="SECONDS",
            help=(
                "Required. A RUNNING task whose last attempt started more than this many "
                "seconds ago is stale: longer than any receiver runs (0: every RUNNING task, "
                "when no worker is running)."
            ),
        )
        parser.add_argument(
            "--backend",
            default="default",
            metavar="ALIAS",
            help=f"The task backend, a {DATABASE_BACKEND} (default: 'default').",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Only count the stale tasks; write nothing.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.verbosity: int = options["verbosity"]
        seconds = self._older_than(options["older_than"])
        alias = self._backend(options["backend"])
        from django_tasks_db.models import DBTaskResult

        database = router.db_for_write(DBTaskResult)
        cutoff = timezone.now() - timedelta(seconds=seconds)
        stale = DBTaskResult.objects.using(database).filter(
            status="RUNNING",
            task_path=RUN_RECEIVER_PATH,
            backend_name=alias,
            started_at__lte=cutoff,
        )
        where = f"backend {alias!r}, database {database!r}"
        if options["dry_run"]:
            ids = [str(pk) for pk in stale.values_list("pk", flat=True)]
            self._report(
                ids, f"{_tasks(len(ids))} to requeue ({where}); --dry-run: nothing written."
            )
            return
        with transaction.atomic(using=database):
            ids = [str(pk) for pk in stale.select_for_update().values_list("pk", flat=True)]
            DBTaskResult.objects.using(database).filter(pk__in=ids, status="RUNNING").update(
                status="READY"
            )
        self._report(ids, f"Requeued {_tasks(len(ids))} ({where}).")

    def _older_than(self, value: object) -> float:
        if value is None:
            raise CommandError(
                "--older-than SECONDS is required: how long ago a RUNNING task's last attempt "
                "must have started for its worker to count as dead."
            )
        seconds = _seconds(value)
        if seconds is not None:
            return seconds
        raise CommandError(
            f"--older-than {value!r} is not a number of seconds from 0 up (how long ago a "
            f"RUNNING task's last attempt must have started)."
        )

    def _backend(self, alias: str) -> str:
        task_backends = _task_backends()
        configured = list(task_backends.settings)
        if alias not in configured:
            raise CommandError(
                f"--backend {alias!r} is not a configured task backend. "
                f"Backends: {', '.join(configured) or 'none'}."
            )
        if not apps.is_installed("django_tasks_db"):
            raise CommandError(
                f"--backend {alias!r}: django_tasks_db is not in INSTALLED_APPS ({INSTALL})."
            )
        from django_tasks_db import DatabaseBackend

        try:
            backend = task_backends[alias]
        except ImproperlyConfigured as error:
            raise CommandError(f"--backend {alias!r} cannot be loaded: {error}") from error
        if not isinstance(backend, DatabaseBackend):
            database_aliases = [
                name
                for name, params in task_backends.settings.items()
                if params.get("BACKEND") == DATABASE_BACKEND
            ]
            raise CommandError(
                f"--backend {alias!r} is {type(backend).__name__}, not {DATABASE_BACKEND}: "
                f"only its tasks can be left RUNNING. Database backends: "
                f"{', '.join(database_aliases) or 'none'}."
            )
        return alias

    def _report(self, ids: list[str], summary: str) -> None:
        if self.verbosity >= 1:
            self.stdout.write(summary)
        if self.verbosity >= 2:
            for pk in ids:
                self.stdout.write(f"  {pk}")


def _seconds(value: object) -> float | None:
    """A number of seconds from 0 up, from the command line (str) or call_command()."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return None
    if isinstance(value, int | float) and math.isfinite(value) and value >= 0:
        return float(value)
    return None


def _tasks(count: int) -> str:
    noun = "stale task" if count == 1 else "stale tasks"
    return f"{count:,} {noun} of {RUN_RECEIVER_PATH}"
