"""Every branch on the Django version (5.2, 6.0, 6.1), and the private names of Django's
dispatcher that signalkit reads: the one module to change when Django changes them.

The rest of signalkit imports these names and reads as if there were one Django.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable, Coroutine, Hashable, Sequence
from importlib import import_module
from types import ModuleType
from typing import Any, TypeVar

import django
from asgiref.sync import sync_to_async
from django.core.exceptions import ImproperlyConfigured
from django.dispatch import Signal, dispatcher

#: Django 6.0 keeps a weak reference to the sender in each ``Signal.receivers`` entry,
#: ``(lookup_key, receiver_ref, sender_ref, is_async)``; 5.2 keeps only ``id(sender)`` in
#: the lookup key: ``(lookup_key, receiver_ref, is_async)``. Only indexes 0 and 1 mean the
#: same everywhere; these say where the rest is (``None``: not kept).
RECEIVER_SENDER_REF_INDEX: int | None = 2 if django.VERSION >= (6, 0) else None
RECEIVER_IS_ASYNC_INDEX = 3 if django.VERSION >= (6, 0) else 2

#: Django 6.1 runs ``asend()``'s sync receivers first, then the async ones in one shared
#: context whose changes reach the caller (``_run_parallel``); 5.2 and 6.0 run both groups
#: at once under ``asyncio.gather`` (each in a copied context, changes lost).
ASYNC_RECEIVERS_SHARE_CONTEXT = django.VERSION >= (6, 1)

#: The key of "any sender" (``sender=None``) in a ``Signal.receivers`` lookup key.
ANY_SENDER_KEY: Hashable = dispatcher.NONE_ID


def receiver_key(receiver: object) -> Hashable:
    """Django's key for a receiver connected without ``dispatch_uid`` (``id()`` based)."""
    key: Hashable = dispatcher._make_id(receiver)  # type: ignore[attr-defined]
    return key


def live_receivers(signal: Signal, sender: object) -> tuple[list[Any], list[Any]]:
    """(sync receivers, async receivers) that a send from ``sender`` would call now.

    Ask only about a signal with receivers (``registry.has_receivers``), as
    ``Signal.send()`` does: a caching signal cannot look up a sender that is not weakly
    referenceable (``None``) in its cache.
    """
    sync_receivers, async_receivers = signal._live_receivers(sender)
    return list(sync_receivers), list(async_receivers)


def log_robust_failure(signal: Signal, receiver: object, error: Exception) -> None:
    """Log a receiver's exception the way ``send_robust()`` does (on ``django.dispatch``)."""
    signal._log_robust_failure(receiver, error)  # type: ignore[attr-defined]


async def run_parallel(*coroutines: Awaitable[Any]) -> list[Any]:
    """Run receiver coroutines concurrently the way this Django's dispatcher does."""
    if ASYNC_RECEIVERS_SHARE_CONTEXT:
        return list(await dispatcher._run_parallel(*coroutines))  # type: ignore[attr-defined]
    return list(await asyncio.gather(*coroutines))


async def run_asend(
    sync_send: Callable[[], list[Any]] | None, coroutines: Sequence[Awaitable[Any]]
) -> tuple[list[Any], list[Any]]:
    """Run ``asend()``'s two groups in this Django's order: (sync results, async results).

    ``sync_send`` calls the sync receivers, in a thread (``sync_to_async``); None when there
    are none to call. ``coroutines`` are the async receivers' calls.
    """
    if ASYNC_RECEIVERS_SHARE_CONTEXT:  # the sync receivers first, then the async ones
        sync_results = await sync_to_async(sync_send)() if sync_send is not None else []
        return sync_results, await run_parallel(*coroutines)
    sync_results, async_results = await asyncio.gather(
        sync_to_async(sync_send)() if sync_send is not None else _no_results(),
        run_parallel(*coroutines),
    )
    return sync_results, async_results


async def _no_results() -> list[Any]:
    return []


_T = TypeVar("_T")


async def in_own_context(coroutine: Coroutine[Any, Any, _T]) -> _T:
    """Await an async receiver's call in a context of its own, as 5.2 and 6.0 run each one.

    On Django 6.1, ``asend()``'s async receivers share one context (see
    :data:`ASYNC_RECEIVERS_SHARE_CONTEXT`): a ``ContextVar`` one of them sets is what the
    others, running at the same time, see. This runs ``coroutine`` as a task in a copy of
    the current context, then copies the values it changed back into the current one, as
    Django's ``_run_parallel`` does for the caller: the receiver's changes still reach the
    caller, while what is set and reset around it (a signalkit observer's state) stays its
    own. On 5.2 and 6.0 ``asyncio.gather`` already gives each a copy: awaited as it is.
    """
    if not ASYNC_RECEIVERS_SHARE_CONTEXT:
        return await coroutine
    context = contextvars.copy_context()
    try:
        return await asyncio.create_task(coroutine, context=context)
    finally:
        dispatcher._restore_context(context)  # type: ignore[attr-defined]


# --- Django's task framework (as_task) -------------------------------------------------------
# Django 6.0 ships it as django.tasks; on 5.2 the django-tasks backport provides the same API
# as django_tasks (both read settings.TASKS: signalkit uses exactly one, never both). Nothing
# here imports it before it is asked for: importing signalkit needs no task framework.

#: The module of Django's task framework on this Django.
TASKS_MODULE = "django.tasks" if django.VERSION >= (6, 0) else "django_tasks"

_TASKS_EXTRA = 'python -m pip install "django-signalkit[tasks]"'


def tasks_framework() -> ModuleType:
    """The task framework's package (``django.tasks``, or ``django_tasks`` on Django 5.2).

    Raises ImproperlyConfigured naming the install command when the backport is missing.
    """
    try:
        framework = import_module(TASKS_MODULE)
        # Its setting_changed receiver forgets the backends when TASKS changes (tests).
        import_module(f"{TASKS_MODULE}.signals")
    except ModuleNotFoundError as exc:
        if exc.name != TASKS_MODULE:
            raise
        raise ImproperlyConfigured(
            f"signalkit's as_task needs Django's task framework, which Django "
            f"{django.get_version()} does not include: install the django-tasks backport "
            f"with {_TASKS_EXTRA}."
        ) from exc
    return framework


def _tasks_module(name: str) -> ModuleType:
    tasks_framework()  # the clear error when the framework is missing
    return import_module(f"{TASKS_MODULE}.{name}")


def task_class() -> type[Any]:
    """The framework's ``Task`` class (the backport exports it only from ``.base``)."""
    task: type[Any] = _tasks_module("base").Task
    return task


def task_error_class() -> type[Any]:
    """The framework's ``TaskError`` (an attempt's recorded exception)."""
    error: type[Any] = _tasks_module("base").TaskError
    return error


def invalid_task_error() -> type[Exception]:
    """``InvalidTask`` (Django 6.x) / ``InvalidTaskError`` (the backport)."""
    exceptions = _tasks_module("exceptions")
    error: type[Exception] = getattr(
        exceptions, "InvalidTask" if django.VERSION >= (6, 0) else "InvalidTaskError"
    )
    return error


def invalid_task_backend_error() -> type[Exception]:
    """``InvalidTaskBackend`` (Django 6.x) / ``InvalidTaskBackendError`` (the backport)."""
    exceptions = _tasks_module("exceptions")
    error: type[Exception] = getattr(
        exceptions,
        "InvalidTaskBackend" if django.VERSION >= (6, 0) else "InvalidTaskBackendError",
    )
    return error


def base_task_backend() -> type[Any]:
    """The framework's ``BaseTaskBackend``, the class every task backend derives from."""
    base: type[Any] = _tasks_module("backends.base").BaseTaskBackend
    return base


def dummy_task_backend() -> type[Any]:
    """The framework's ``DummyBackend`` (keeps what is enqueued in ``.results``)."""
    dummy: type[Any] = _tasks_module("backends.dummy").DummyBackend
    return dummy


def task_signals() -> ModuleType:
    """The framework's signals module (``task_enqueued``, ``task_started``, ``task_finished``)."""
    return _tasks_module("signals")


def normalize_json() -> Callable[[Any], Any]:
    """The framework's check that task arguments are JSON (``django.utils.json`` on 6.x,
    ``django_tasks.utils`` in the backport); raises TypeError on anything else."""
    tasks_framework()
    module = import_module(
        "django.utils.json" if django.VERSION >= (6, 0) else "django_tasks.utils"
    )
    check: Callable[[Any], Any] = module.normalize_json
    return check
