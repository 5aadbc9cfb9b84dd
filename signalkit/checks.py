"""System checks on connected receivers, run by ``manage.py check`` (and runserver, migrate).

:data:`CHECK_IDS` is the one table of signalkit's check ids; the "System checks" page of
the docs explains each. The receiver checks (``W001`` to ``W005``, ``W007``, ``W008``) read
the inspector and the task checks (``E002``) the task framework's backends too; both are
registered by ``SignalkitConfig.ready()``. The stock checks (``E001``, ``W006``) live with
:class:`~signalkit.mixins.StockMovementMixin`, which registers them when it is imported.
Lazy ``"app.Model"`` senders that never resolved are Django's own ``signals.E001``.
``manage.py check <app_label>`` limits the checks to receivers defined in those apps.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Sequence
from datetime import timedelta
from types import ModuleType
from typing import TYPE_CHECKING, Any

from django.apps import AppConfig
from django.core.checks import CheckMessage, Tags, register
from django.core.checks import Error as CheckError
from django.core.checks import Warning as CheckWarning
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from signalkit._compat import tasks_framework
from signalkit.presentation import type_name

if TYPE_CHECKING:
    from signalkit.deferred import Deferral
    from signalkit.registry import ReceiverInfo


#: Every check id signalkit reports, by the problem it names.
CHECK_IDS = {
    "duplicate": "signalkit.W001",  # one callable that one send calls more than once
    "no_kwargs": "signalkit.W002",  # a receiver without **kwargs
    "abstract_sender": "signalkit.W003",  # listens to an abstract model: never runs
    "swapped_sender": "signalkit.W004",  # listens to a swapped model: never runs
    "dead": "signalkit.W005",  # a weakly connected function that was garbage collected
    "ignores_raw": "signalkit.W007",  # a pre_save/post_save receiver that loaddata runs
    "unreachable_task": "signalkit.W008",  # an as_task receiver not importable by its path
    "task_options": "signalkit.E002",  # an as_task receiver whose options the framework refuses
    "stock_manager": "signalkit.W006",  # a stock model's manager whose bulk writes skip stock
    "stock_field": "signalkit.E001",  # Stock.stock_field is not a numeric field
}


def check_receivers(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """One warning per problem of the connected receivers (``W001`` to ``W005``, ``W007``,
    ``W008``)."""
    # Imported here, not at start-up: only runs of the checks pay for the inspector.
    from signalkit.registry import snapshot

    registry = snapshot()
    if app_configs is not None:
        registry = registry.filter(app=[config.label for config in app_configs])
    return [
        CheckWarning(problem.message, obj=_located(problem.receiver), id=CHECK_IDS[problem.kind])
        for problem in registry.problems()
        if problem.kind in CHECK_IDS
    ]


def check_task_receivers(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """One error per ``as_task`` receiver whose options the task framework refuses (``E002``).

    Its backend alias must be in ``TASKS``, its queue in that backend's ``QUEUES``, its
    priority valid for that backend, and a ``retry_delay`` needs a backend that can run a
    task later (``supports_defer``). Then the options are built into a task through the
    framework, which must accept them too.
    """
    from signalkit.registry import snapshot

    registry = snapshot()
    if app_configs is not None:
        registry = registry.filter(app=[config.label for config in app_configs])
    tasks = [
        (receiver, receiver.deferred)
        for receiver in registry.receivers
        if receiver.alive and receiver.deferred is not None and receiver.deferred.kind == "task"
    ]
    if not tasks:
        return []
    try:
        framework = tasks_framework()
    except ImproperlyConfigured as exc:
        return [_task_error(receiver, str(exc)) for receiver, _ in tasks]
    return [
        _task_error(receiver, refusal)
        for receiver, deferral in tasks
        for refusal in _refusals(framework, deferral)
    ]


def register_checks() -> None:
    """Register the receiver checks (Django keeps a set: registering again changes nothing)."""
    register(check_receivers, Tags.signals)
    register(check_task_receivers, Tags.signals)


#: Problems that Django's own checks report, so signalkit's do not, by kind.
DJANGO_CHECK_IDS = {
    "unresolved_sender": "signals.E001",  # a lazy "app.Model" sender that is not installed
}


def check_id(kind: str) -> str | None:
    """The id of the system check that reports a :class:`~signalkit.registry.Problem` of
    this ``kind``: signalkit's (:data:`CHECK_IDS`) or Django's own; None for no check.

        >>> check_id("no_kwargs")
        'signalkit.W002'
    """
    return CHECK_IDS.get(kind) or DJANGO_CHECK_IDS.get(kind)


def _located(receiver: ReceiverInfo) -> str:
    if receiver.file and receiver.line:
        return f"{receiver.path} ({receiver.file}:{receiver.line})"
    return str(receiver.path)


def _task_error(receiver: ReceiverInfo, refusal: str) -> CheckError:
    return CheckError(
        f"The as_task receiver {receiver.path} cannot be enqueued: {refusal}",
        obj=_located(receiver),
        id=CHECK_IDS["task_options"],
    )


def _refusals(framework: ModuleType, deferral: Deferral) -> Iterator[str]:
    """What the task framework refuses of an ``as_task`` receiver's options, one text each."""
    base = importlib.import_module(f"{framework.__name__}.base")
    backends = framework.task_backends
    alias = framework.DEFAULT_TASK_BACKEND_ALIAS if deferral.backend is None else deferral.backend
    aliases = list(backends.settings)
    if alias not in aliases:
        named = "backend" if deferral.backend is not None else "default backend"
        yield (
            f"its {named} {alias!r} is not in the TASKS setting, which defines {_choices(aliases)}."
        )
        return
    try:
        backend = backends[alias]
    except Exception as exc:  # a BACKEND that cannot be imported or built
        yield f"its backend {alias!r} cannot be loaded: {type_name(exc)}: {exc}"
        return
    queue = (
        framework.DEFAULT_TASK_QUEUE_NAME if deferral.queue_name is None else deferral.queue_name
    )
    queues = sorted(backend.queues)
    found = list(_option_refusals(base, backend, alias, queue, queues, deferral))
    if found:
        yield from found
        return
    # The options the checks above know are fine; the framework must accept the task too.
    try:
        task = framework.task(
            priority=base.DEFAULT_TASK_PRIORITY if deferral.priority is None else deferral.priority,
            queue_name=queue,
            backend=alias,
        )(_probe)
        if deferral.retries and deferral.retry_delay:
            task.using(run_after=timezone.now() + timedelta(seconds=deferral.retry_delay))
    except Exception as exc:
        yield f"the task framework refuses its options: {type_name(exc)}: {exc}"


def _option_refusals(
    base: ModuleType, backend: Any, alias: str, queue: object, queues: list[str], deferral: Deferral
) -> Iterator[str]:
    if queues and queue not in queues:
        named = "queue_name" if deferral.queue_name is not None else "default queue"
        yield (
            f"its {named} {queue!r} is not a queue of the task backend {alias!r}, whose "
            f"QUEUES are {_choices(queues)}."
        )
    priority = deferral.priority
    if priority is not None:
        low, high = base.TASK_MIN_PRIORITY, base.TASK_MAX_PRIORITY
        if type(priority) is not int or not low <= priority <= high:
            yield f"its priority {priority!r} is not a whole number from {low} to {high}."
        elif priority != base.DEFAULT_TASK_PRIORITY and not backend.supports_priority:
            yield (
                f"its priority {priority!r} needs a backend that supports priorities; "
                f"{alias!r} ({type_name(backend)}) does not."
            )
    if deferral.retries and deferral.retry_delay and not backend.supports_defer:
        yield (
            f"its retry_delay={deferral.retry_delay!r} needs a backend that can run a task "
            f"later (supports_defer); {alias!r} ({type_name(backend)}) cannot. Use "
            f"retry_delay=0 (retry at once) or another backend."
        )


def _choices(values: list[str]) -> str:
    return ", ".join(repr(value) for value in values) if values else "none"


def _probe() -> None:
    """A module-level function to build a task of (the framework refuses nested ones)."""
