"""Deferred receivers: :func:`after_commit` runs a receiver when the send's transaction
commits, :func:`as_task` runs it on Django's task framework (one module-level task of
signalkit's carries the receiver's dotted path and the send's arguments)."""

from __future__ import annotations

import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

#: The attribute of a deferred receiver's wrapper that describes it (a :class:`Deferral`).
DEFERRAL_ATTRIBUTE = "signalkit_deferred"


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
