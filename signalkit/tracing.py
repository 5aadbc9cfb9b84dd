"""``trace_signals``: what was sent, which receivers ran, how long they took, what they queried.

    >>> with trace_signals() as trace:
    ...     client.post("/orders/", {"product": 1, "quantity": 2})
    >>> print(trace.render())
    post_save from shop.Order at shop/views.py:42  (2 receivers, 3.1 ms)
      shop.signals.update_stock  1.2 ms, 2 queries (0.8 ms)
        post_save from shop.Product at shop/signals.py:17  (1 receiver, 0.4 ms)
          shop.signals.reindex  0.3 ms
      shop.signals.notify  [task]  0.3 ms, 1 query (0.1 ms)
    ... and 5 sends that reached no receiver (pre_init ×3, post_init ×2)

A :class:`Trace` is an observer of signalkit's send gate (:class:`signalkit.gate.Observer`):
while it traces, the sends of the signals it watches (every signal when none are named)
run through the gate, which calls the receivers with Django's own loops inside the
trace's context managers. Every other signal's send stays Django's own function; when
nothing traces (or mutes, or records), a send runs Django's code and nothing else.

What a trace holds:

- :attr:`Trace.sends`: the sends that reached at least one receiver and were not made
  while a traced receiver ran, as :class:`TracedSend` (signal, sender, where it was sent
  from, the receiver runs), in the order they finished.
- each :class:`ReceiverRun`: the receiver's dotted path, its wall time, the database
  queries it made itself (count and time, on every connection), the exception it raised,
  whether it is deferred (``after_commit``/``as_task``: the run is the scheduling, not the
  work), and the sends it caused, nested: a send made while a receiver runs belongs to
  that run, in the same thread or task (an async receiver's own tasks and
  ``sync_to_async`` calls inherit it). A send made in a thread started by a receiver
  (``threading.Thread``, which starts with an empty context) is a top-level send, nested
  under its own receivers as usual.
- :attr:`Trace.unreceived`: sends that reached no receiver, counted by signal path
  (wherever they were made, nested or not), not itemised.

Queries are counted per run, excluding the runs nested in it: :attr:`ReceiverRun.queries`
is the run's own, :attr:`ReceiverRun.total_queries` adds its nested runs'. They are
counted with ``connection.execute_wrapper()`` on every connection of
``django.db.connections.all()`` in the thread that entered the trace (for the whole trace)
and in the thread a receiver runs in (while it runs); a query an async receiver makes
through ``sync_to_async`` counts when its thread is one of those (a sync view or test
sending to async receivers: yes; an async test or ASGI request, whose ``sync_to_async``
calls run in asgiref's own thread: no).

Muted receivers do not run and are not traced; a send muted as a whole (every receiver)
is not traced at all, neither itemised nor counted (``record_signals`` sees it). One trace
records from every thread and task, like a recorder; what it keeps are strings, numbers
and the exceptions raised, never a send's arguments.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import types
import weakref
from collections import Counter
from collections.abc import Callable, Iterator
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from time import perf_counter
from typing import TYPE_CHECKING, Any, TypeVar

import asgiref
import django
from django.dispatch import Signal

import signalkit
from signalkit import decorating, gate, presentation
from signalkit.deferred import deferral_of
from signalkit.presentation import duration_text, error_message, error_text, short_signal_name
from signalkit.registry import receiver_path, send_sender_label

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper

__all__ = ["ReceiverRun", "Trace", "TracedSend", "trace_signals"]

F = TypeVar("F", bound=Callable[..., Any])

# Where a send's origin is not: Django's and signalkit's own code, and the plumbing that
# runs coroutines and threads for them (asyncio, asgiref).
_NOT_ORIGINS = tuple(
    os.path.dirname(package.__file__ or "") + os.sep
    for package in (django, signalkit, asyncio, asgiref)
)
# (dotted path, deferral kind) of the function receivers seen, while they live.
_described: weakref.WeakKeyDictionary[Callable[..., Any], tuple[str, str | None]] = (
    weakref.WeakKeyDictionary()
)


def describe_receiver(receiver: Callable[..., Any]) -> tuple[str, str | None]:
    """(dotted path, ``"commit"``/``"task"``/None) of the callable the gate hands an
    observer; cached for functions, as observers ask on every run."""
    function = type(receiver) is types.FunctionType
    if function:
        described = _described.get(receiver)
        if described is not None:
            return described
    deferral = deferral_of(receiver)
    described = (receiver_path(receiver), None if deferral is None else deferral.kind)
    if function:
        _described[receiver] = described
    return described


@dataclass(eq=False)
class ReceiverRun:
    """One call of a receiver in a traced send.

    ``duration`` is wall time in seconds (``time.perf_counter``); ``queries`` and
    ``query_time`` (seconds) are the queries the receiver made itself, not counting the
    runs nested in it (see :attr:`total_queries`). ``error`` is the exception it raised
    (also for ``send_robust``, which returned it), else None. ``deferred``: an
    ``after_commit`` or ``as_task`` receiver (``deferral``: ``"commit"`` or ``"task"``),
    whose run schedules the work rather than doing it. ``sends``: the sends it caused.
    """

    receiver_path: str
    signal_path: str
    deferred: bool = False
    deferral: str | None = None
    duration: float = 0.0
    queries: int = 0
    query_time: float = 0.0
    error: BaseException | None = None
    sends: list[TracedSend] = field(default_factory=list)

    @property
    def total_queries(self) -> int:
        """The run's queries and those of every run nested in it."""
        return self.queries + sum(send.total_queries for send in self.sends)

    @property
    def total_query_time(self) -> float:
        """The time of :attr:`total_queries`, in seconds."""
        return self.query_time + sum(send.total_query_time for send in self.sends)

    def runs(self) -> Iterator[ReceiverRun]:
        """This run and every run nested in it, depth first."""
        yield self
        for send in self.sends:
            yield from send.runs_nested()

    def to_dict(self) -> dict[str, Any]:
        return {
            "receiver_path": self.receiver_path,
            "signal_path": self.signal_path,
            "deferred": self.deferred,
            "deferral": self.deferral,
            "duration": self.duration,
            "queries": self.queries,
            "query_time": self.query_time,
            "error": None if self.error is None else _error_dict(self.error),
            "sends": [send.to_dict() for send in self.sends],
        }


@dataclass(eq=False)
class TracedSend:
    """One send that reached at least one receiver.

    ``signal_path``: the signal's dotted path (its ``repr()`` when signalkit does not know
    it); ``sender_label``: ``shop.Order`` for a model, a class's dotted path, ``None``, or
    the sender's ``repr()``; ``origin``: ``(file, line)`` of the first frame outside Django
    and signalkit (and asyncio and asgiref, which run coroutines and threads for them)
    that led to the send (None if there is none); ``method``: ``send``,
    ``send_robust``, ``asend`` or ``asend_robust``; ``runs``: the receivers it ran, in the
    order they started; ``duration``: the whole send's wall time in seconds.
    """

    signal_path: str
    sender_label: str
    origin: tuple[str, int] | None
    method: gate.SendMethod
    runs: list[ReceiverRun] = field(default_factory=list)
    duration: float = 0.0
    signal: Signal | None = field(default=None, repr=False)

    @property
    def total_queries(self) -> int:
        """The queries of every run of this send, nested ones included."""
        return sum(run.total_queries for run in self.runs)

    @property
    def total_query_time(self) -> float:
        return sum(run.total_query_time for run in self.runs)

    def runs_nested(self) -> Iterator[ReceiverRun]:
        """Every run of this send and of the sends they caused, depth first."""
        for run in self.runs:
            yield from run.runs()

    def to_dict(self) -> dict[str, Any]:
        return {
            "signal_path": self.signal_path,
            "sender_label": self.sender_label,
            "origin": None
            if self.origin is None
            else {"file": self.origin[0], "line": self.origin[1]},
            "method": self.method,
            "duration": self.duration,
            "runs": [run.to_dict() for run in self.runs],
        }


class Trace:
    """What :func:`trace_signals` saw: :attr:`sends`, :attr:`unreceived`, and views of them.

    It is the observer the gate calls (:class:`signalkit.gate.Observer`): ``signals``,
    ``wants()``, ``send()`` and ``receiver()`` are that protocol, not for other callers.
    """

    def __init__(self, signals: tuple[Signal, ...] = ()) -> None:
        for signal in signals:
            if not isinstance(signal, Signal):
                raise TypeError(f"trace_signals() takes Signal objects, not {signal!r}.")
        self.signals = frozenset(signals)
        #: The top-level sends that reached a receiver, in the order they finished.
        self.sends: list[TracedSend] = []
        #: Sends that reached no receiver, by signal path.
        self.unreceived: Counter[str] = Counter()
        self._lock = threading.Lock()
        # The innermost send or receiver run of this trace in the current context.
        self._current: ContextVar[TracedSend | ReceiverRun | None] = ContextVar(
            "signalkit_trace", default=None
        )
        self._names: dict[Signal, str] = {}
        self._sender_labels: dict[type, str] = {}
        # Threads whose connections count queries for the whole trace (the one entering it).
        self._counting: set[int] = set()
        # While tracing: the connections start() added the query counter to.
        self._started: list[BaseDatabaseWrapper] | None = None

    def __repr__(self) -> str:
        return (
            f"<Trace: {presentation.count(len(self.sends), 'send')}, "
            f"{sum(self.unreceived.values())} unreceived>"
        )

    # --- the views ------------------------------------------------------------------------

    def runs(self) -> Iterator[ReceiverRun]:
        """Every receiver run, nested ones included, depth first."""
        for send in list(self.sends):
            yield from send.runs_nested()

    def slowest(self, n: int) -> list[ReceiverRun]:
        """The ``n`` receiver runs that took the longest (nested ones included), longest
        first. A run's duration includes the runs nested in it."""
        if isinstance(n, bool) or not isinstance(n, int):
            raise TypeError(f"slowest() takes the number of runs as an int, not {n!r}.")
        if n < 0:
            raise ValueError(f"slowest() takes the number of runs, 0 or more, not {n!r}.")
        return sorted(self.runs(), key=lambda run: run.duration, reverse=True)[:n]

    def to_dict(self) -> dict[str, Any]:
        """The trace as JSON-serialisable data: ``sends`` (nested dictionaries of
        :meth:`TracedSend.to_dict`) and ``unreceived`` (signal path -> number of sends)."""
        return {
            "sends": [send.to_dict() for send in list(self.sends)],
            "unreceived": dict(self.unreceived),
        }

    def render(self) -> str:
        """The trace as an indented text tree, one line per send and per receiver run."""
        lines: list[str] = []
        for send in list(self.sends):
            _render_send(send, 0, lines)
        unreceived = sum(self.unreceived.values())
        if unreceived:
            counts = ", ".join(
                f"{short_signal_name(path)} \N{MULTIPLICATION SIGN}{number}"
                for path, number in sorted(self.unreceived.items(), key=lambda i: (-i[1], i[0]))
            )
            sends = presentation.count(unreceived, "send")
            if lines:
                lines.append(f"... and {sends} that reached no receiver ({counts})")
            else:
                lines.append(f"{sends} reached no receiver ({counts})")
        return "\n".join(lines) if lines else "No signal was sent."

    # --- the observer protocol (signalkit.gate.Observer) --------------------------------

    def wants(self, signal: Signal) -> bool:
        return not self.signals or signal in self.signals

    def send(
        self, signal: Signal, sender: object, named: dict[str, Any], method: gate.SendMethod
    ) -> _SendScope:
        return _SendScope(self, signal, sender, method)

    def receiver(self, signal: Signal, sender: object, receiver: Callable[..., Any]) -> _RunScope:
        return _RunScope(self, signal, receiver)

    # --- bookkeeping ----------------------------------------------------------------------

    def _signal_path(self, signal: Signal) -> str:
        path = self._names.get(signal)
        if path is None:
            path = self._names[signal] = presentation.signal_name(signal)
        return path

    def _sender_label(self, sender: object) -> str:
        # A class (a model) sends again and again: its label is worked out once per trace.
        # Only for classes hashed by identity, whose hashing cannot raise.
        if isinstance(sender, type) and type(sender).__hash__ is type.__hash__:
            label = self._sender_labels.get(sender)
            if label is None:
                label = self._sender_labels[sender] = send_sender_label(sender)
            return label
        return send_sender_label(sender)

    def _finish(self, send: TracedSend, parent: TracedSend | ReceiverRun | None) -> None:
        with self._lock:
            if not send.runs:
                self.unreceived[send.signal_path] += 1
            elif isinstance(parent, ReceiverRun):
                parent.sends.append(send)
            else:
                self.sends.append(send)

    def _count_query(
        self,
        execute: Callable[..., Any],
        sql: Any,
        params: Any,
        many: bool,
        context: dict[str, Any],
    ) -> Any:
        run = self._current.get()
        if type(run) is not ReceiverRun:
            return execute(sql, params, many, context)
        start = perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            run.queries += 1
            run.query_time += perf_counter() - start

    def _count_queries_here(self) -> list[BaseDatabaseWrapper]:
        """Count queries on this thread's connections; return those it was added to."""
        return count_queries_here(self._count_query)

    def _stop_counting(self, connections: list[BaseDatabaseWrapper]) -> None:
        stop_counting(self._count_query, connections)

    # --- tracing outside a with block -------------------------------------------------------

    def start(self) -> None:
        """Start tracing, as entering ``trace_signals()`` does: for an integration that
        begins and ends in two calls (a toolbar panel, a middleware). Call :meth:`stop`
        in the same thread; a trace can be started again after it stopped, and adds to
        what it holds. ``RuntimeError`` if it is tracing already."""
        with self._lock:
            if self._started is not None:
                raise RuntimeError(
                    f"{self!r} is tracing already: stop() it before starting it again."
                )
            self._started = []
        gate.add_observer(self)
        try:
            self._started = self._count_queries_here()
        except BaseException:
            gate.remove_observer(self)
            self._started = None
            raise
        self._counting.add(threading.get_ident())

    def stop(self) -> None:
        """Stop tracing (what :meth:`start` began); ``RuntimeError`` if it is not tracing."""
        with self._lock:
            connections, self._started = self._started, None
        if connections is None:
            raise RuntimeError(f"{self!r} is not tracing: start() it before stopping it.")
        self._counting.discard(threading.get_ident())
        try:
            self._stop_counting(connections)
        finally:
            gate.remove_observer(self)

    @property
    def tracing(self) -> bool:
        """Whether the trace is started (between :meth:`start` and :meth:`stop`)."""
        return self._started is not None


class _SendScope:
    """One traced send: where it came from, how long it took, then where it belongs."""

    __slots__ = ("parent", "sender", "signal", "start", "token", "trace", "traced")

    def __init__(self, trace: Trace, signal: Signal, sender: object, method: gate.SendMethod):
        self.trace = trace
        self.signal = signal
        self.sender = sender
        self.traced = TracedSend("", "", None, method, signal=signal)

    def __enter__(self) -> TracedSend:
        trace = self.trace
        traced = self.traced
        traced.signal_path = trace._signal_path(self.signal)
        traced.sender_label = trace._sender_label(self.sender)
        traced.origin = _origin(sys._getframe(1))
        self.parent = trace._current.get()
        self.token: Token[TracedSend | ReceiverRun | None] = trace._current.set(traced)
        self.start = perf_counter()
        return traced

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: types.TracebackType | None,
    ) -> None:
        self.traced.duration = perf_counter() - self.start
        self.trace._current.reset(self.token)
        self.trace._finish(self.traced, self.parent)


class _RunScope:
    """One traced receiver call, in the receiver's own thread or task."""

    __slots__ = ("connections", "receiver", "run", "signal", "start", "token", "trace")

    def __init__(self, trace: Trace, signal: Signal, receiver: Callable[..., Any]) -> None:
        self.trace = trace
        self.signal = signal
        self.receiver = receiver

    def __enter__(self) -> ReceiverRun:
        trace = self.trace
        send = trace._current.get()
        path, deferral = describe_receiver(self.receiver)
        run = self.run = ReceiverRun(
            path,
            trace._signal_path(self.signal),
            deferred=deferral is not None,
            deferral=deferral,
        )
        if type(send) is TracedSend:
            send.runs.append(run)
        # The connections of the thread that entered the trace count for the whole trace.
        self.connections = (
            [] if threading.get_ident() in trace._counting else trace._count_queries_here()
        )
        self.token: Token[TracedSend | ReceiverRun | None] = trace._current.set(run)
        self.start = perf_counter()
        return run

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: types.TracebackType | None,
    ) -> None:
        run = self.run
        run.duration = perf_counter() - self.start
        run.error = exc
        self.trace._current.reset(self.token)
        if self.connections:
            self.trace._stop_counting(self.connections)


def count_queries_here(counter: Callable[..., Any]) -> list[BaseDatabaseWrapper]:
    """Add ``counter`` (a ``connection.execute_wrapper()`` function) to every database
    connection of this thread that does not have it yet; return those it was added to."""
    from django.db import connections

    added = []
    for connection in connections.all():
        if counter not in connection.execute_wrappers:
            connection.execute_wrappers.append(counter)
            added.append(connection)
    return added


def stop_counting(counter: Callable[..., Any], connections: list[BaseDatabaseWrapper]) -> None:
    """Take ``counter`` off ``connections`` (what :func:`count_queries_here` returned)."""
    for connection in connections:
        if counter in connection.execute_wrappers:
            connection.execute_wrappers.remove(counter)


def _origin(frame: types.FrameType | None) -> tuple[str, int] | None:
    """(file, line) of the first frame from ``frame`` outward outside Django and signalkit."""
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith(_NOT_ORIGINS):
            return filename, frame.f_lineno
        frame = frame.f_back
    return None


# --- render() -----------------------------------------------------------------------------


def _render_send(send: TracedSend, depth: int, lines: list[str]) -> None:
    where = ""
    if send.origin is not None:
        where = f" at {presentation.readable_path(send.origin[0])}:{send.origin[1]}"
    receivers = presentation.count(len(send.runs), "receiver")
    lines.append(
        f"{'  ' * depth}{short_signal_name(send.signal_path)} from {send.sender_label}{where}  "
        f"({receivers}, {duration_text(send.duration)})"
    )
    for run in send.runs:
        parts = [run.receiver_path]
        if run.deferral is not None:
            parts.append(f"[{run.deferral}]")
        detail = duration_text(run.duration)
        if run.queries:
            noun = "query" if run.queries == 1 else "queries"
            detail += f", {run.queries} {noun} ({duration_text(run.query_time)})"
        parts.append(detail)
        if run.error is not None:
            parts.append(f"raised {error_text(run.error)}")
        lines.append(f"{'  ' * (depth + 1)}{'  '.join(parts)}")
        for nested in run.sends:
            _render_send(nested, depth + 2, lines)


def _error_dict(error: BaseException) -> dict[str, str]:
    module, qualname = presentation.class_names(type(error))
    kind = qualname if module in (None, "builtins") else f"{module}.{qualname}"
    return {"type": kind, "message": error_message(error)}


# --- trace_signals --------------------------------------------------------------------------


class trace_signals:
    """Trace the sends of ``signals`` (every signal when none are given) in a block or a call.

    ``with trace_signals(post_save) as trace:`` yields the :class:`Trace`, which traces
    from every thread and task until the block ends. Each object traces one block:
    entering it again, or leaving it without entering, raises ``RuntimeError``.

    As a decorator, each call of the decorated function traces into a new :class:`Trace`,
    passed to it as an extra positional argument after the call's own positional
    arguments, like ``record_signals`` passes its recorder (the first parameter, after
    ``self``)::

        @trace_signals()
        def test_checkout(trace, client): ...

    A coroutine function stays one and traces while it runs; a generator (async or not)
    traces while its body runs only. The function can keep the trace (return it, store it)
    to look at it afterwards. An object used as a decorator cannot be a ``with`` block,
    and one used as a ``with`` block cannot decorate (``RuntimeError``); a class cannot
    be decorated (``TypeError``).
    """

    def __init__(self, *signals: Signal) -> None:
        self.trace = Trace(signals)
        self._state = "new"
        self._lock = threading.Lock()

    def __enter__(self) -> Trace:
        with self._lock:
            if self._state == "decorator":
                raise RuntimeError(
                    "this trace_signals() object is a decorator (each call of what it "
                    "decorates traces into a new Trace): use a trace_signals(...) of its own "
                    "for a 'with' block."
                )
            if self._state != "new":
                raise RuntimeError(
                    f"this trace_signals() block was already entered ({self._state}): "
                    f"use one trace_signals(...) per block."
                )
            self._state = "tracing"
        self.trace.start()
        return self.trace

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: types.TracebackType | None,
    ) -> None:
        with self._lock:
            if self._state != "tracing":
                raise RuntimeError(
                    "trace_signals(...).__exit__() without __enter__(): use it in a 'with' block."
                )
            self._state = "finished"
        self.trace.stop()

    def __call__(self, function: F) -> F:
        if isinstance(function, type):
            raise TypeError(
                f"trace_signals() cannot decorate a class ({function.__qualname__}): "
                f"decorate its methods, each then takes the trace (def test_x(self, trace)), "
                f"or use 'with trace_signals(...) as trace:'."
            )
        decorated = decorating.decorate_passing(
            function, self._begin_call, name="trace_signals()", passes="a new Trace"
        )
        with self._lock:
            if self._state not in ("new", "decorator"):
                raise RuntimeError(
                    f"this trace_signals() object is a 'with' block ({self._state}), it "
                    f"cannot decorate: use a trace_signals(...) of its own as the decorator."
                )
            self._state = "decorator"
        return decorated

    def _begin_call(self) -> tuple[Trace, Callable[[], None], Callable[[None], None]]:
        """A new trace for one call of a decorated function, and its start and stop."""
        trace = Trace(tuple(self.trace.signals))

        def stop(_started: None) -> None:
            trace.stop()

        return trace, trace.start, stop
