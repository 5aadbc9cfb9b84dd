"""Deferred receivers: :func:`after_commit` runs a receiver when the send's transaction
commits, :func:`as_task` runs it on Django's task framework (one module-level task of
signalkit's, :data:`run_receiver`, carries the receiver's dotted path and the send's
arguments).

Importing this module imports no task framework: ``run_receiver`` is created on first use.
"""

from __future__ import annotations

import functools
import logging
import math
import sys
import threading
import traceback
import types
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal, TypeVar, overload

from asgiref.sync import async_to_sync, iscoroutinefunction
from django.apps import apps
from django.db import DEFAULT_DB_ALIAS, models, router, transaction
from django.db.models.signals import post_delete, pre_delete
from django.dispatch import Signal
from django.utils import timezone

from signalkit import _compat

logger = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])

#: The attribute of a deferred receiver's wrapper that describes it (a :class:`Deferral`).
DEFERRAL_ATTRIBUTE = "signalkit_deferred"

#: The dotted path of signalkit's one task (what a task backend stores and imports).
RUN_RECEIVER_PATH = "signalkit.deferred.run_receiver"


@dataclass(frozen=True)
class Deferral:
    """How a receiver decorated with :func:`after_commit` or :func:`as_task` runs."""

    kind: Literal["commit", "task"]
    function: Callable[..., Any]  # the decorated receiver itself
    path: str  # its module + __qualname__: the key of signalkit's table of task receivers
    using: str | None = None  # after_commit(using=...): None means the send's database
    robust: bool = False  # after_commit(robust=...)
    queue_name: str | None = None  # as_task(...): None means the backend's default
    priority: int | None = None
    backend: str | None = None
    retries: int = 0
    retry_delay: float = 0.0


def deferral_of(receiver: object) -> Deferral | None:
    """The :class:`Deferral` of a connected receiver, None for any other; never raises.

    Read from the function's own ``__dict__`` (no attribute lookup on arbitrary objects).
    """
    if not issubclass(type(receiver), types.FunctionType):
        return None
    value = vars(receiver).get(DEFERRAL_ATTRIBUTE)
    return value if issubclass(type(value), Deferral) else None


class DeferredArgumentError(TypeError):
    """A send's argument cannot travel to an :func:`as_task` receiver's worker.

    Raised by the send itself (nothing is enqueued); ``argument`` names the argument
    (``"sender"``, ``"signal"`` or a keyword), ``receiver`` the receiver's dotted path.
    """

    def __init__(self, message: str, *, argument: str, receiver: str) -> None:
        super().__init__(message)
        self.argument = argument
        self.receiver = receiver


class UnknownTaskReceiver(LookupError):
    """A task names a receiver that no :func:`as_task` of this codebase decorated.

    The worker runs only receivers in signalkit's own table, never whatever dotted path a
    task's payload names: a writable queue must not become code execution.
    """


#: Sent when an :func:`as_task` receiver failed its last attempt. ``sender``: the receiver
#: function; keywords ``receiver`` (its dotted path), ``signal_path`` (the dotted path of the
#: signal it received: ``signal`` is this signal, as in every send), ``exception`` and
#: ``attempts`` (how many ran).
deferred_receiver_failed = Signal()

# The table of task receivers: dotted path -> Deferral, filled by @as_task at import.
_task_receivers: dict[str, Deferral] = {}


# --- after_commit -----------------------------------------------------------------------------


@overload
def after_commit(function: F, /) -> F: ...


@overload
def after_commit(
    function: None = None, /, *, using: str | None = None, robust: bool = False
) -> Callable[[F], F]: ...


def after_commit(
    function: Callable[..., Any] | None = None,
    /,
    *,
    using: str | None = None,
    robust: bool = False,
) -> Any:
    """Run a receiver when the transaction of the send commits, never if it rolls back.

    Put it under ``@receiver``::

        @receiver(post_save, sender=Order)
        @after_commit                        # or @after_commit(using="orders", robust=True)
        def notify_warehouse(sender, instance, created, **kwargs): ...

    The send registers ``transaction.on_commit()`` on ``using``, else on the send's
    ``using=`` keyword (model signals), else on the default database; in autocommit the
    receiver runs at once. A receiver sent inside a savepoint that rolls back never runs.
    ``robust=True``: an exception of the receiver is logged (``django.db.backends.base``)
    instead of raised from the commit. A coroutine function runs with ``async_to_sync``.
    The send gets None from the receiver.
    """
    if using is not None and type(using) is not str:
        raise TypeError(f"after_commit(using=...) takes a database alias, not {using!r}.")
    if type(robust) is not bool:
        raise TypeError(f"after_commit(robust=...) takes True or False, not {robust!r}.")

    def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
        _check_receiver(function, "after_commit")
        path = receiver_path(function)
        deferral = Deferral("commit", function, path, using=using, robust=robust)
        run = _sync_caller(function)

        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> None:
            def callback() -> None:
                run(*args, **kwargs)

            callback.__qualname__ = path  # Django's robust on_commit log line names it
            transaction.on_commit(callback, using=_alias(using, kwargs), robust=robust)

        return _finish(wrapper, deferral)

    return decorate if function is None else decorate(function)


# --- as_task ----------------------------------------------------------------------------------


@overload
def as_task(function: F, /) -> F: ...


@overload
def as_task(
    function: None = None,
    /,
    *,
    queue_name: str | None = None,
    priority: int | None = None,
    backend: str | None = None,
    retries: int = 0,
    retry_delay: float = 0.0,
) -> Callable[[F], F]: ...


def as_task(
    function: Callable[..., Any] | None = None,
    /,
    *,
    queue_name: str | None = None,
    priority: int | None = None,
    backend: str | None = None,
    retries: int = 0,
    retry_delay: float = 0.0,
) -> Any:
    """Run a receiver on Django's task framework, after the send's data is committed.

    Put it under ``@receiver``, on a function defined at module level::

        @receiver(post_save, sender=Order)
        @as_task                             # or @as_task(queue_name="mail", retries=3, ...)
        def send_invoice(sender, instance, created, **kwargs): ...

    The send encodes its arguments (a model instance travels as label, pk and database and
    is fetched again in the worker; on ``pre_delete``/``post_delete`` its field values
    travel instead; model classes as labels; sets and tuples as lists; anything else must
    be JSON) and fails at once with :exc:`DeferredArgumentError` when it cannot. It then
    enqueues :data:`run_receiver` with ``queue_name``, ``priority`` and ``backend`` (the
    backend's defaults when None): inside the transaction when the backend is
    django-tasks-db's ``DatabaseBackend`` writing to the send's database, else when the
    send's transaction commits (at once in autocommit).

    ``retries``: how many more attempts after a failure; the first ``retry_delay`` seconds
    after it, each later one twice as long after its failure (0: at once). After the last
    one, :data:`deferred_receiver_failed` is sent. Receivers run at least once: make them
    idempotent.
    """
    if type(retries) is not int:
        raise TypeError(f"as_task(retries=...) takes a whole number, not {retries!r}.")
    if retries < 0:
        raise ValueError(f"as_task(retries=...) cannot be negative: {retries!r}.")
    if type(retry_delay) not in (int, float):
        raise TypeError(f"as_task(retry_delay=...) takes seconds as a number, not {retry_delay!r}.")
    if not math.isfinite(retry_delay) or retry_delay < 0:
        raise ValueError(
            f"as_task(retry_delay=...) takes seconds, zero or more: not {retry_delay!r}."
        )

    def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
        _check_receiver(function, "as_task")
        path = receiver_path(function)
        deferral = Deferral(
            "task",
            function,
            path,
            queue_name=queue_name,
            priority=priority,
            backend=backend,
            retries=retries,
            retry_delay=float(retry_delay),
        )

        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> None:
            _schedule(deferral, args, kwargs)

        _task_receivers[path] = deferral
        return _finish(wrapper, deferral)

    return decorate if function is None else decorate(function)


def receiver_path(function: Callable[..., Any]) -> str:
    """A receiver's dotted path: its module and ``__qualname__``."""
    module = getattr(function, "__module__", None)
    qualname = getattr(function, "__qualname__", None)
    if type(module) is not str or type(qualname) is not str:
        return repr(function)
    return f"{module}.{qualname}"


def _check_receiver(function: object, decorator: str) -> None:
    if not callable(function):
        raise TypeError(f"@{decorator} decorates a receiver function, not {function!r}.")
    known = deferral_of(function)
    if known is not None:
        raise TypeError(
            f"{known.path} is already deferred (@{_DECORATORS[known.kind]}); "
            f"use one of @after_commit and @as_task."
        )
    if decorator == "as_task" and (
        type(getattr(function, "__module__", None)) is not str
        or type(getattr(function, "__qualname__", None)) is not str
    ):
        raise TypeError(
            f"@as_task decorates a function defined at module level, not {function!r}: "
            f"the worker finds the receiver by its dotted path."
        )


_DECORATORS = {"commit": "after_commit", "task": "as_task"}


def _finish(wrapper: Callable[..., Any], deferral: Deferral) -> Callable[..., Any]:
    namespace = vars(wrapper)
    # functools.wraps copies the function's __dict__: never let a coroutine marker make the
    # dispatcher treat the (synchronous) wrapper as a coroutine function.
    namespace.pop("_is_coroutine", None)
    namespace.pop("_is_coroutine_marker", None)
    namespace[DEFERRAL_ATTRIBUTE] = deferral
    return wrapper


def _sync_caller(function: Callable[..., Any]) -> Callable[..., Any]:
    return async_to_sync(function) if iscoroutinefunction(function) else function


def _alias(using: str | None, kwargs: Mapping[str, Any]) -> str:
    """The database whose transaction a deferred receiver waits for."""
    if using is not None:
        return using
    sent = kwargs.get("using")
    return sent if type(sent) is str else DEFAULT_DB_ALIAS


def _schedule(deferral: Deferral, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """The send's part of an as_task receiver: encode, then enqueue now or on commit."""
    if args or "signal" not in kwargs or "sender" not in kwargs:
        name = getattr(deferral.function, "__name__", "receiver")
        raise TypeError(
            f"{deferral.path} is an as_task receiver: a signal's send calls it with the "
            f"keywords signal= and sender=. To run the function itself, call "
            f"{name}.__wrapped__(...)."
        )
    signal = kwargs.pop("signal")
    sender = kwargs.pop("sender")
    payload = encode_payload(deferral, signal, sender, kwargs)
    task = _configured_task(deferral)
    alias = _alias(None, kwargs)
    enqueue = functools.partial(task.enqueue, receiver=deferral.path, payload=payload, attempt=1)
    if not transaction.get_connection(alias).in_atomic_block or _enqueues_inside(task, alias):
        enqueue()
        return

    # What enqueue() would refuse (an unknown queue...) fails the send, not the commit.
    task.get_backend().validate_task(task)

    def callback() -> None:
        enqueue()

    # Robust: a backend that fails after the commit must not stop the transaction's other
    # on_commit callbacks; Django logs the error, naming this callback.
    callback.__qualname__ = f"enqueue of {deferral.path}"
    transaction.on_commit(callback, using=alias, robust=True)


def _configured_task(deferral: Deferral) -> Any:
    """run_receiver with the receiver's options (``using()`` validates them)."""
    task = _task()
    options = {
        name: value
        for name, value in (
            ("queue_name", deferral.queue_name),
            ("priority", deferral.priority),
            ("backend", deferral.backend),
        )
        if value is not None
    }
    return task.using(**options) if options else task


def _enqueues_inside(task: Any, alias: str) -> bool:
    """Whether the task's row is written in the send's transaction: django-tasks-db's
    DatabaseBackend whose table the router puts on the send's database."""
    module = sys.modules.get("django_tasks_db.backend")  # imported if a backend uses it
    if module is None or not isinstance(task.get_backend(), module.DatabaseBackend):
        return False
    from django_tasks_db.models import DBTaskResult

    return bool(router.db_for_write(DBTaskResult) == alias)


# --- the payload ------------------------------------------------------------------------------

_DELETE_SIGNALS = (pre_delete, post_delete)

# Signal <-> catalogue path, refreshed from the catalogue when a signal is not known yet.
_signal_paths: weakref.WeakKeyDictionary[Signal, str] = weakref.WeakKeyDictionary()
_signals_by_path: weakref.WeakValueDictionary[str, Signal] = weakref.WeakValueDictionary()


def _refresh_signal_paths() -> None:
    from signalkit.discovery import catalogue

    for path, signal in catalogue().items():
        _signal_paths[signal] = path
        _signals_by_path[path] = signal


def encode_payload(
    deferral: Deferral, signal: object, sender: object, arguments: Mapping[str, Any]
) -> dict[str, Any]:
    """The JSON a task carries for one send to an as_task receiver.

    Raises :exc:`DeferredArgumentError` naming the argument that cannot travel.
    """
    deleting = any(signal is known for known in _DELETE_SIGNALS)
    alias = _alias(None, arguments)
    return {
        "signal": _signal_path(deferral, signal),
        "sender": _encode(deferral, "sender", sender, deleting=False, alias=alias),
        "arguments": {
            name: _encode(deferral, name, value, deleting, alias)
            for name, value in arguments.items()
        },
    }


def _signal_path(deferral: Deferral, signal: object) -> str:
    if not issubclass(type(signal), Signal):
        raise _argument_error(deferral, "signal", f"is {signal!r}, not a Signal")
    path = _signal_paths.get(signal)  # type: ignore[call-overload]
    if path is None:
        _refresh_signal_paths()
        path = _signal_paths.get(signal)  # type: ignore[call-overload]
    if path is None:
        raise _argument_error(
            deferral,
            "signal",
            "is not held by a module-level variable, so the worker cannot find it; "
            "name it with signalkit.registry.register_signal(signal, name=...)",
        )
    return str(path)


def _encode(deferral: Deferral, name: str, value: object, deleting: bool, alias: str) -> Any:
    if isinstance(value, models.Model):
        label = value._meta.label
        if deleting:
            return {
                "deleted": label,
                "database": value._state.db or alias,
                "fields": {
                    field.attname: _field_json(deferral, name, field, value)
                    for field in value._meta.concrete_fields
                },
            }
        if value.pk is None:
            raise _argument_error(
                deferral,
                name,
                f"is an unsaved {label} (no primary key), which the worker cannot fetch; "
                f"connect the receiver to a signal sent after the save, such as post_save",
            )
        pk_field = value._meta.pk
        assert pk_field is not None
        return {
            "instance": label,
            "pk": _field_json(deferral, name, pk_field, value),
            "database": value._state.db or alias,
        }
    if isinstance(value, type) and issubclass(value, models.Model):
        return {"model": value._meta.label}
    if deleting and isinstance(value, models.QuerySet):  # delete signals' origin=
        return {"model": value.model._meta.label}
    return {"value": _json(deferral, name, value, name)}


def _field_json(deferral: Deferral, name: str, field: Any, instance: models.Model) -> Any:
    """A field's value as JSON, the way Django's serializers write it (``to_python`` reads
    it back)."""
    value = field.value_from_object(instance)
    if value is None or type(value) in (bool, int, float, str):
        return value
    return _json(deferral, name, field.value_to_string(instance), f"{name}.{field.attname}")


def _json(deferral: Deferral, name: str, value: object, where: str) -> Any:
    """``value`` as plain JSON types (sets and tuples become lists); refuses the rest."""
    if value is None or type(value) in (bool, int, str):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _argument_error(deferral, name, f"holds {value!r} at {where}, which JSON lacks")
        return float(value)
    if isinstance(value, str):
        return str.__str__(value)  # a plain str (an enum member's value, a SafeString...)
    if isinstance(value, int):  # an IntEnum member... (bool is final: handled above)
        return int(value)
    if isinstance(value, list | tuple):
        return [_json(deferral, name, item, f"{where}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, set | frozenset):
        items = [_json(deferral, name, item, f"{where}[...]") for item in value]
        try:
            return sorted(items)
        except TypeError:
            return items
    if isinstance(value, dict):
        encoded = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise _argument_error(
                    deferral, name, f"has the key {key!r} at {where}: JSON keys are strings"
                )
            encoded[str.__str__(key)] = _json(deferral, name, item, f"{where}[{key!r}]")
        return encoded
    kind = type(value).__qualname__
    if isinstance(value, models.Model):
        problem = (
            f"holds a {value._meta.label} instance at {where}: only a top-level argument can "
            f"be a model instance (it travels as its pk); pass pks instead"
        )
    else:
        article = "an" if kind[:1].lower() in "aeiou" else "a"
        problem = (
            f"is {article} {kind}" if where == name else f"holds {article} {kind} at {where}"
        ) + ", which is not JSON (str, int, float, bool, None, list, dict with str keys)"
    raise _argument_error(deferral, name, problem)


def _argument_error(deferral: Deferral, name: str, problem: str) -> DeferredArgumentError:
    return DeferredArgumentError(
        f"The as_task receiver {deferral.path} cannot be scheduled: its argument "
        f"{name!r} {problem}. Nothing was enqueued.",
        argument=name,
        receiver=deferral.path,
    )


class _RowGone(Exception):
    def __init__(self, label: str, pk: object) -> None:
        super().__init__(label, pk)
        self.label = label
        self.pk = pk


def decode_payload(payload: Mapping[str, Any]) -> tuple[Signal, Any, dict[str, Any]]:
    """(signal, sender, keywords) from :func:`encode_payload`'s JSON, fetching instances.

    Raises ``_RowGone`` when an instance's row no longer exists.
    """
    if not isinstance(payload, Mapping) or not {"signal", "sender", "arguments"} <= set(payload):
        raise ValueError(f"Not a signalkit task payload: {payload!r}.")
    path = payload["signal"]
    signal = _signals_by_path.get(path)
    if signal is None:
        _refresh_signal_paths()
        signal = _signals_by_path.get(path)
    if signal is None:
        raise LookupError(
            f"The signal {path!r} of this task is not known to this process: define it at "
            f"module level of a module imported at start-up, or name it with "
            f"signalkit.registry.register_signal()."
        )
    sender = _decode(payload["sender"])
    arguments = {name: _decode(value) for name, value in payload["arguments"].items()}
    return signal, sender, arguments


def _decode(encoded: Mapping[str, Any]) -> Any:
    if "value" in encoded:
        return encoded["value"]
    if "model" in encoded:
        return apps.get_model(encoded["model"])
    if "instance" in encoded:
        model = apps.get_model(encoded["instance"])
        pk_field = model._meta.pk
        assert pk_field is not None
        pk = pk_field.to_python(encoded["pk"])
        try:
            return model._base_manager.db_manager(encoded["database"]).get(pk=pk)
        except model.DoesNotExist:
            raise _RowGone(encoded["instance"], pk) from None
    if "deleted" in encoded:
        model = apps.get_model(encoded["deleted"])
        values = encoded["fields"]
        fields = [field for field in model._meta.concrete_fields if field.attname in values]
        return model.from_db(
            encoded["database"],
            [field.attname for field in fields],
            [field.to_python(values[field.attname]) for field in fields],
        )
    raise ValueError(f"Not a signalkit task argument: {encoded!r}.")


# --- the worker -------------------------------------------------------------------------------


def _run_receiver(receiver: str, payload: dict[str, Any], attempt: int) -> None:
    """signalkit's task: run one as_task receiver for one send (attempt ``attempt``)."""
    deferral = _task_receivers.get(receiver) if type(receiver) is str else None
    if deferral is None:
        logger.error("signalkit refused to run the unknown task receiver %r.", receiver)
        raise UnknownTaskReceiver(
            f"No @as_task receiver is known as {receiver!r} in this process, so signalkit "
            f"does not run it (the worker runs only receivers decorated with @as_task, "
            f"never any dotted path a task names). If it is yours, define it at module "
            f"level in a module imported at start-up, such as the app's signals.py."
        )
    try:
        if type(attempt) is not int or attempt < 1:
            raise ValueError(f"A task attempt is a whole number from 1, not {attempt!r}.")
        try:
            signal, sender, arguments = decode_payload(payload)
        except _RowGone as gone:
            logger.warning(
                "Skipped the as_task receiver %s: the %s with pk %r no longer exists.",
                receiver,
                gone.label,
                gone.pk,
            )
            return
        _sync_caller(deferral.function)(signal=signal, sender=sender, **arguments)
    except Exception as exc:
        _failed(deferral, payload, attempt, exc)
        raise


_run_receiver.__name__ = _run_receiver.__qualname__ = "run_receiver"


def _failed(deferral: Deferral, payload: Mapping[str, Any], attempt: int, exc: Exception) -> None:
    """Enqueue the next attempt, or report the last one's failure."""
    if type(attempt) is int and attempt <= deferral.retries:
        delay = deferral.retry_delay * 2 ** (attempt - 1)
        logger.warning(
            "The as_task receiver %s failed (attempt %d of %d); attempt %d runs in %ss.",
            deferral.path,
            attempt,
            deferral.retries + 1,
            attempt + 1,
            delay,
            exc_info=exc,
        )
        try:
            _enqueue_retry(deferral, payload, attempt + 1, delay)
            return
        except Exception:
            logger.exception("signalkit could not enqueue the next attempt of %s.", deferral.path)
    else:
        logger.error(
            "The as_task receiver %s failed its last attempt (%s).",
            deferral.path,
            attempt,
            exc_info=exc,
        )
    deferred_receiver_failed.send_robust(
        sender=deferral.function,
        receiver=deferral.path,
        signal_path=payload.get("signal") if isinstance(payload, Mapping) else None,
        exception=exc,
        attempts=attempt,
    )


def _enqueue_retry(
    deferral: Deferral, payload: Mapping[str, Any], attempt: int, delay: float
) -> None:
    # The receiver's backend, queue and priority, as for its first attempt: any backend can
    # run signalkit's task, it needs no task context.
    task = _configured_task(deferral)
    if delay > 0:
        if task.get_backend().supports_defer:
            task = task.using(run_after=timezone.now() + timedelta(seconds=delay))
        else:
            logger.warning(
                "The task backend %r cannot delay a task: attempt %d of %s runs at once.",
                task.backend,
                attempt,
                deferral.path,
            )
    task.enqueue(receiver=deferral.path, payload=payload, attempt=attempt)


_task_lock = threading.Lock()


def _task() -> Any:
    """signalkit's one task, created on first use (in the framework of this Django)."""
    task = globals().get("run_receiver")
    if task is None:
        with _task_lock:
            task = globals().get("run_receiver")
            if task is None:
                task = _compat.tasks_framework().task(_run_receiver)
                globals()["run_receiver"] = task
    return task


def __getattr__(name: str) -> Any:
    # run_receiver: the Task a worker imports by its path (signalkit.deferred.run_receiver).
    if name == "run_receiver":
        return _task()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# --- testing ----------------------------------------------------------------------------------


def run_enqueued(backend: str = "default") -> int:
    """Run what a ``DummyBackend`` holds, as a worker would; return how many tasks ran.

    For tests: with ``TASKS = {"default": {"BACKEND": ".../DummyBackend"}}`` nothing runs
    at enqueue; ``run_enqueued()`` then runs every task still ``READY``, whatever its
    ``run_after``, and the ones they enqueue (a retry), until none is left. Each result's
    status, times and errors are updated; a failure is logged, never raised::

        with django_capture_on_commit_callbacks(execute=True):
            OrderFactory()
        assert run_enqueued() == 1
    """
    framework = _compat.tasks_framework()
    task_backend = framework.task_backends[backend]
    if not isinstance(task_backend, _compat.dummy_task_backend()):
        raise TypeError(
            f"run_enqueued() runs the tasks a DummyBackend holds; the task backend "
            f"{backend!r} is a {type(task_backend).__qualname__}."
        )
    ran = 0
    while True:
        ready = [r for r in task_backend.results if r.status == framework.TaskResultStatus.READY]
        if not ready:
            return ran
        for result in ready:
            _execute(framework, result)
            ran += 1


def _execute(framework: types.ModuleType, result: Any) -> None:
    status = framework.TaskResultStatus
    started = timezone.now()
    object.__setattr__(result, "status", status.RUNNING)
    object.__setattr__(result, "started_at", started)
    object.__setattr__(result, "last_attempted_at", started)
    result.worker_ids.append("signalkit.run_enqueued")
    task = result.task
    try:
        if task.takes_context:
            context = framework.TaskContext(task_result=result)
            value = task.call(context, *result.args, **result.kwargs)
        else:
            value = task.call(*result.args, **result.kwargs)
    except Exception as exc:
        if task.func is not _run_receiver:  # which logs its own failures
            logger.error("The task %s failed.", task.module_path, exc_info=exc)
        error = _compat.task_error_class()(
            exception_class_path=f"{type(exc).__module__}.{type(exc).__qualname__}",
            traceback="".join(traceback.format_exception(exc)),
        )
        result.errors.append(error)
        object.__setattr__(result, "status", status.FAILED)
    else:
        object.__setattr__(result, "_return_value", value)
        object.__setattr__(result, "status", status.SUCCESSFUL)
    object.__setattr__(result, "finished_at", timezone.now())
