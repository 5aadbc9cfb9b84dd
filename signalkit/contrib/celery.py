"""A backend of Django's task framework that runs tasks on Celery workers.

``signalkit.contrib.celery.CeleryBackend`` sends every task of the framework as one Celery
task of signalkit's (``signalkit.run_django_task``) that carries the Django task's dotted
path and its arguments; the worker imports that path and runs it only if it is a ``Task``.
The arguments are checked (JSON) before anything is sent. The Celery task is acknowledged
after it ran (``acks_late``) and put back when its worker dies (``reject_on_worker_lost``):
at least once. Configuration and guarantees: the "Deferred receivers" page of the manual.
"""

from __future__ import annotations

import traceback
from typing import TYPE_CHECKING, Any

from celery import current_app, shared_task
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.dateparse import parse_datetime
from django.utils.module_loading import import_string

from signalkit import _compat

if TYPE_CHECKING:
    from celery import Celery
    from django.tasks import TaskContext, TaskResult, TaskResultStatus
    from django.tasks.backends.base import BaseTaskBackend
    from django.tasks.base import Task, TaskError
    from django.tasks.signals import task_enqueued, task_finished, task_started
    from django.utils.json import normalize_json


if not TYPE_CHECKING:  # this Django's task framework (signalkit._compat chooses it)
    _framework = _compat.tasks_framework()
    Task, TaskError = _compat.task_class(), _compat.task_error_class()
    TaskContext, TaskResult = _framework.TaskContext, _framework.TaskResult
    TaskResultStatus = _framework.TaskResultStatus
    BaseTaskBackend = _compat.base_task_backend()
    _signals = _compat.task_signals()
    task_enqueued, task_started = _signals.task_enqueued, _signals.task_started
    task_finished = _signals.task_finished
    normalize_json = _compat.normalize_json()

#: The name of signalkit's one Celery task; every Django task travels as its arguments.
CELERY_TASK_NAME = "signalkit.run_django_task"


class CeleryBackend(BaseTaskBackend):
    """Django's task framework on Celery: ``TASKS = {"celery": {"BACKEND":
    "signalkit.contrib.celery.CeleryBackend", "QUEUES": [...], "OPTIONS": {"CELERY_APP":
    "proj.celery.app"}}}``.

    ``enqueue()`` checks the task and its arguments, then sends one Celery message to the
    task's queue (``queue_name``), with ``eta=run_after``. ``CELERY_APP`` is the dotted path
    of the Celery app to send with (default: Celery's current app). Priorities are not
    supported (Celery's differ by broker), nor results (``get_result()``).
    """

    supports_defer = True
    supports_async_task = True  # Task.call() runs a coroutine function with async_to_sync
    supports_get_result = False
    supports_priority = False

    def __init__(self, alias: str, params: dict[str, Any]) -> None:
        super().__init__(alias, params)
        self._app_path: str | None = self.options.get("CELERY_APP")
        self._app: Celery | None = None

    def enqueue(self, task: Task[Any, Any], args: Any, kwargs: Any) -> TaskResult[Any, Any]:
        """Send ``task`` to Celery; the arguments must be JSON (checked before sending)."""
        self.validate_task(task)
        try:  # before anything is sent: a message the worker cannot decode is never sent
            json_args, json_kwargs = normalize_json(list(args)), normalize_json(dict(kwargs))
        except (TypeError, ValueError) as error:
            raise TypeError(
                f"{task.module_path}: the arguments of a task on {type(self).__name__} "
                f"must be JSON-serialisable, nothing was sent: {error}"
            ) from error
        assert isinstance(json_args, list)
        assert isinstance(json_kwargs, dict)
        enqueued_at = timezone.now()
        result = _task_result(
            task,
            id=get_random_string(32),
            status=TaskResultStatus.READY,
            args=json_args,
            kwargs=json_kwargs,
            enqueued_at=enqueued_at,
        )
        options: dict[str, Any] = {"task_id": result.id, "queue": task.queue_name}
        if task.run_after is not None:
            options["eta"] = task.run_after
        message = {
            "task_path": task.module_path,
            "backend": self.alias,
            "queue_name": task.queue_name,
            "args": json_args,
            "kwargs": json_kwargs,
            "enqueued_at": enqueued_at.isoformat(),
        }
        self.celery_app().send_task(CELERY_TASK_NAME, kwargs=message, **options)
        task_enqueued.send(type(self), task_result=result)
        return result

    def celery_app(self) -> Celery:
        """The Celery app that sends the messages: ``OPTIONS["CELERY_APP"]`` or the current."""
        if self._app is None:
            if self._app_path is None:
                self._app = current_app
            else:
                try:
                    self._app = import_string(self._app_path)
                except ImportError as error:
                    raise ImproperlyConfigured(
                        f"TASKS[{self.alias!r}]['OPTIONS']['CELERY_APP'] = "
                        f"{self._app_path!r} cannot be imported: {error}"
                    ) from error
        return self._app


def _task_result(task: Task[Any, Any], **fields: Any) -> TaskResult[Any, Any]:
    """A TaskResult of ``task`` (frozen on Django 6.x: every field given here)."""
    values: dict[str, Any] = {
        "enqueued_at": None,
        "started_at": None,
        "finished_at": None,
        "last_attempted_at": None,
        "errors": [],
        "worker_ids": [],
        **fields,
    }
    return TaskResult(task=task, backend=task.backend, **values)


def run_django_task(
    celery_task: Any,
    *,
    task_path: str,
    backend: str,
    queue_name: str,
    args: list[Any],
    kwargs: dict[str, Any],
    enqueued_at: str | None = None,
) -> None:
    """Run the Django task ``task_path`` (in the worker); refuse a path that is not a Task.

    Sends the framework's ``task_started`` and ``task_finished`` signals like the built-in
    workers; an exception is re-raised (Celery logs the failure and acknowledges it).
    """
    task = import_string(task_path)
    if not isinstance(task, Task):
        raise SuspiciousOperation(
            f"{task_path!r} is not a task of Django's task framework: refused to run it"
        )
    task = task.using(backend=backend, queue_name=queue_name)
    request = celery_task.request
    started_at = timezone.now()
    running = {
        "id": str(request.id),
        "args": args,
        "kwargs": kwargs,
        "enqueued_at": None if enqueued_at is None else parse_datetime(enqueued_at),
        "started_at": started_at,
        "last_attempted_at": started_at,
        "worker_ids": [str(request.hostname)],
    }
    result = _task_result(task, status=TaskResultStatus.RUNNING, **running)
    sender = type(task.get_backend())
    task_started.send(sender, task_result=result)
    try:
        call_args = (TaskContext(task_result=result), *args) if task.takes_context else args
        task.call(*call_args, **kwargs)
    except BaseException as error:
        error_path = f"{type(error).__module__}.{type(error).__qualname__}"
        failure = TaskError(
            exception_class_path=error_path,
            traceback="".join(traceback.format_exception(error)),
        )
        failed = _task_result(
            task,
            status=TaskResultStatus.FAILED,
            finished_at=timezone.now(),
            errors=[failure],
            **running,
        )
        task_finished.send(sender, task_result=failed)
        raise
    finished = _task_result(
        task, status=TaskResultStatus.SUCCESSFUL, finished_at=timezone.now(), **running
    )
    task_finished.send(sender, task_result=finished)


# Registered with every Celery app (shared_task) when this module is imported: a worker's
# app module imports it. The result (None) is never stored: get_result() is not supported.
run_django_task_on_celery = shared_task(
    name=CELERY_TASK_NAME,
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
)(run_django_task)
