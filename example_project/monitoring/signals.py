"""Log how long each request takes, from request_started to request_finished.

The start is kept in a ``ContextVar``, so concurrent requests (threads, asyncio tasks)
never see each other's. signalkit imports this module at start-up.

Works under WSGI (``runserver``, the test client) on every Django, and under ASGI on
Django 6.1+, where ``Signal.asend()`` hands the context changes of its receivers back to the
caller. Under ASGI on Django 5.2 and 6.0 ``asend()`` runs the receivers in a child task whose
context is a copy, so the start set by request_started is gone when request_finished
arrives: nothing is logged then (never a wrong duration); a middleware would time them.
"""

from __future__ import annotations

import logging
import time
from contextvars import ContextVar
from typing import Any, NamedTuple

from django.core.signals import request_finished, request_started
from django.dispatch import receiver

logger = logging.getLogger("example_project.monitoring")


class _Started(NamedTuple):
    at: float
    method: str
    path: str


_current: ContextVar[_Started | None] = ContextVar("example_project_request", default=None)


@receiver(request_started)
def start_request_timer(
    sender: Any,
    environ: dict[str, Any] | None = None,
    scope: dict[str, Any] | None = None,
    **kwargs: Any,
) -> None:
    """Note when the request started; WSGI sends ``environ``, ASGI sends ``scope``."""
    if environ is not None:
        method, path = environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", "")
    elif scope is not None:
        method, path = scope.get("method", ""), scope.get("path", "")
    else:
        method = path = ""
    _current.set(_Started(time.perf_counter(), method, path))


@receiver(request_finished)
def log_request_duration(sender: Any, **kwargs: Any) -> None:
    """Log the request's duration at INFO on ``example_project.monitoring``."""
    started = _current.get()
    if started is None:  # finished without a start seen in this context
        return
    _current.set(None)
    duration_ms = (time.perf_counter() - started.at) * 1000
    logger.info("%s %s took %.1f ms", started.method, started.path, duration_ms)
