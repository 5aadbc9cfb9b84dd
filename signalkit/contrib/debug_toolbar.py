"""A "Signals" panel for django-debug-toolbar: this request's sends, traced, as a tree.

``signalkit.contrib.debug_toolbar.SignalsPanel`` replaces the toolbar's own Signals panel
(which lists the receivers connected to a few signals, not what ran) in
``DEBUG_TOOLBAR_PANELS``::

    DEBUG_TOOLBAR_PANELS = [
        ...
        "signalkit.contrib.debug_toolbar.SignalsPanel",  # instead of debug_toolbar's
        ...
    ]

While the toolbar handles a request, the panel traces it with a :class:`~signalkit.Trace`
(what ``trace_signals()`` uses) and shows every send that reached a receiver, with its
receiver runs (duration, queries, the exception raised, ``[commit]``/``[task]`` for a
deferred receiver) and the sends they caused nested under them; sends that reached no
receiver are counted by signal. The side bar reads ``14 sends · 6 receivers · 3.2 ms``.

Only this request's sends: the trace watches the sends made in the request's own context
(a ``ContextVar`` set while the view runs: the request's thread, or its task under ASGI,
and what they hand work to with ``sync_to_async``/``async_to_sync``), not those of the
other requests a threaded server (``runserver``) handles at the same time. A send made in
a thread the view starts itself (``threading.Thread`` starts with an empty context) is not
in the panel. ``request_started`` and ``request_finished`` are sent outside the toolbar's
middleware, so they are not either.
"""

from __future__ import annotations

from collections.abc import Awaitable
from contextvars import ContextVar
from inspect import iscoroutine
from typing import TYPE_CHECKING, Any

from debug_toolbar.panels import Panel
from django.dispatch import Signal
from django.utils.translation import gettext_lazy as _

from signalkit import presentation
from signalkit.presentation import duration_text, error_text, short_signal_name
from signalkit.tracing import ReceiverRun, Trace, TracedSend

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

__all__ = ["SignalsPanel"]

# The trace of the request being handled in this context, if the panel traces it.
_request_trace: ContextVar[Trace | None] = ContextVar("signalkit_toolbar_trace", default=None)
# Pixels each level of nesting indents a row by.
_INDENT = 24


class _RequestTrace(Trace):
    """A trace of the sends made in one request's context only."""

    def wants(self, signal: Signal) -> bool:
        return _request_trace.get() is self and super().wants(signal)


class SignalsPanel(Panel):
    """This request's signal sends, their receiver runs and what those sent, as a tree."""

    title = _("Signals")
    template = "signalkit/debug_toolbar/signals.html"
    is_async = True

    _trace: _RequestTrace | None = None

    @property
    def nav_subtitle(self) -> str:
        stats = self.get_stats()
        if "sends" not in stats:
            return ""
        return subtitle(stats["send_count"], stats["run_count"], stats["duration"])

    def enable_instrumentation(self) -> None:
        if self._trace is None:
            trace = _RequestTrace()
            trace.start()
            self._trace = trace

    def disable_instrumentation(self) -> None:
        if self._trace is not None and self._trace.tracing:
            self._trace.stop()

    def process_request(self, request: HttpRequest) -> Any:
        trace = self._trace
        if trace is None:
            return super().process_request(request)
        token = _request_trace.set(trace)
        try:
            response = super().process_request(request)
        finally:
            _request_trace.reset(token)
        if iscoroutine(response):  # ASGI: the view runs when the toolbar awaits it
            return _traced(trace, response)
        return response

    def generate_stats(self, request: HttpRequest, response: HttpResponse) -> None:
        trace = self._trace if self._trace is not None else Trace()
        self.record_stats(stats_of(trace))


async def _traced(trace: Trace, response: Awaitable[Any]) -> Any:
    token = _request_trace.set(trace)
    try:
        return await response
    finally:
        _request_trace.reset(token)


def subtitle(sends: int, runs: int, duration: float) -> str:
    """``14 sends · 6 receivers · 3.2 ms``."""
    return " \N{MIDDLE DOT} ".join(
        (
            presentation.count(sends, "send"),
            presentation.count(runs, "receiver"),
            duration_text(duration),
        )
    )


def stats_of(trace: Trace) -> dict[str, Any]:
    """What the panel shows, as JSON-serialisable data (the toolbar stores it as JSON).

    ``rows``: one per send that reached a receiver and one per receiver run, depth first,
    with their nesting ``depth``; ``unreceived``: ``(signal, number)`` pairs, most first;
    ``send_count``: every send, nested and unreceived ones included; ``run_count``: every
    receiver run; ``duration``: the time of the top-level sends (seconds), nested ones
    included in them.
    """
    rows: list[dict[str, Any]] = []
    sends = list(trace.sends)
    for send in sends:
        _add_send(send, 0, rows)
    unreceived = sorted(trace.unreceived.items(), key=lambda item: (-item[1], item[0]))
    received = sum(1 for row in rows if row["kind"] == "send")
    return {
        "rows": rows,
        "sends": received,
        "unreceived": [[short_signal_name(path), path, number] for path, number in unreceived],
        "unreceived_count": sum(number for _path, number in unreceived),
        "send_count": received + sum(number for _path, number in unreceived),
        "run_count": sum(1 for row in rows if row["kind"] == "run"),
        "duration": sum(send.duration for send in sends),
    }


def _add_send(send: TracedSend, depth: int, rows: list[dict[str, Any]]) -> None:
    origin = None
    if send.origin is not None:
        origin = f"{presentation.readable_path(send.origin[0])}:{send.origin[1]}"
    rows.append(
        {
            "kind": "send",
            "depth": depth,
            "indent": depth * _INDENT,
            "signal": short_signal_name(send.signal_path),
            "signal_path": send.signal_path,
            "sender": send.sender_label,
            "origin": origin,
            "method": send.method,
            "receivers": presentation.count(len(send.runs), "receiver"),
            "duration": duration_text(send.duration),
            "queries": send.total_queries,
            "query_time": duration_text(send.total_query_time) if send.total_queries else "",
        }
    )
    for run in send.runs:
        _add_run(run, depth + 1, rows)


def _add_run(run: ReceiverRun, depth: int, rows: list[dict[str, Any]]) -> None:
    rows.append(
        {
            "kind": "run",
            "depth": depth,
            "indent": depth * _INDENT,
            "receiver": run.receiver_path,
            "deferral": run.deferral,
            "duration": duration_text(run.duration),
            "queries": run.queries,
            "query_time": duration_text(run.query_time) if run.queries else "",
            "error": None if run.error is None else error_text(run.error),
        }
    )
    for nested in run.sends:
        _add_send(nested, depth + 1, rows)
