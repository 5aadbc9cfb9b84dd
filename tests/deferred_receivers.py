"""Module-level deferred receivers and a signal for the deferred receivers' tests.

``as_task`` receivers must be reachable by their dotted path, so they live here rather than
in a test. None is connected at import: a test connects the ones it needs with
:func:`connected`, so the rest of the suite never schedules anything. Each receiver records
its call in :data:`calls` (a test clears it with the ``calls`` fixture).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.dispatch import Signal

from signalkit import after_commit, as_task

#: A custom signal at module level: the catalogue knows it as
#: "tests.deferred_receivers.order_shipped".
order_shipped = Signal()

#: (receiver name, keywords it got: signal and sender included), in call order.
calls: list[tuple[str, dict[str, Any]]] = []


def _record(name: str, kwargs: dict[str, Any]) -> None:
    calls.append((name, kwargs))


@after_commit
def on_commit_receiver(**kwargs: Any) -> None:
    _record("on_commit_receiver", kwargs)


@after_commit()
def on_commit_with_options(**kwargs: Any) -> None:
    _record("on_commit_with_options", kwargs)


@after_commit(using="other")
def on_other_commit(**kwargs: Any) -> None:
    _record("on_other_commit", kwargs)


@after_commit
def on_commit_failing(**kwargs: Any) -> None:
    raise RuntimeError("the warehouse is closed")


@after_commit(robust=True)
def on_commit_failing_robust(**kwargs: Any) -> None:
    raise RuntimeError("the warehouse is closed")


@after_commit
async def on_commit_coroutine(**kwargs: Any) -> None:
    _record("on_commit_coroutine", kwargs)


@as_task
def task_receiver(**kwargs: Any) -> None:
    _record("task_receiver", kwargs)


@as_task()
def task_with_options(**kwargs: Any) -> None:
    _record("task_with_options", kwargs)


@as_task(queue_name="mail", priority=5, backend="dummy")
def task_on_mail_queue(**kwargs: Any) -> None:
    _record("task_on_mail_queue", kwargs)


@as_task(backend="database")
def database_task(**kwargs: Any) -> None:
    _record("database_task", kwargs)


@as_task(backend="database", retries=1)
def database_task_failing(**kwargs: Any) -> None:
    _record("database_task_failing", kwargs)
    raise RuntimeError("the mail server is down")


@as_task
async def task_coroutine(**kwargs: Any) -> None:
    _record("task_coroutine", kwargs)


@as_task(backend="dummy", retries=3, retry_delay=10)
def task_failing_with_delay(**kwargs: Any) -> None:
    _record("task_failing_with_delay", kwargs)
    raise RuntimeError("the mail server is down")


@as_task(backend="dummy", retries=2)
def task_failing(**kwargs: Any) -> None:
    _record("task_failing", kwargs)
    raise RuntimeError("the mail server is down")


@as_task(backend="dummy", retries=2)
def task_failing_once(**kwargs: Any) -> None:
    _record("task_failing_once", kwargs)
    if len([name for name, _ in calls if name == "task_failing_once"]) == 1:
        raise RuntimeError("the mail server is down")


def not_a_task_receiver(**kwargs: Any) -> None:
    """Importable, but never decorated with as_task: the worker must refuse it."""
    _record("not_a_task_receiver", kwargs)


@contextmanager
def connected(signal: Signal, receiver: Any, sender: object = None) -> Iterator[None]:
    """Connect ``receiver`` to ``signal`` for the block."""
    signal.connect(receiver, sender=sender, weak=False)
    try:
        yield
    finally:
        signal.disconnect(receiver, sender=sender)
