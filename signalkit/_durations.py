"""Receiver durations over a whole test run: what ``pytest --signal-durations=N`` reports.

:class:`ReceiverDurations` is an observer of the send gate (:class:`signalkit.gate.Observer`)
of every signal that adds up, per receiver and signal, the calls, their total and
longest wall time and the queries the receiver made itself. It keeps those numbers and
nothing else: no trace, no argument of any send. It imports Django: the pytest plugin
imports it only when the option is given, once Django is set up.
"""

from __future__ import annotations

import threading
import types
from collections.abc import Callable
from contextvars import ContextVar, Token
from dataclasses import dataclass
from time import perf_counter
from typing import TYPE_CHECKING, Any

from django.dispatch import Signal

from signalkit import gate, presentation
from signalkit.presentation import duration_text
from signalkit.tracing import count_queries_here, describe_receiver, stop_counting

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper

_NOTHING: frozenset[Signal] = frozenset()


@dataclass(eq=False)
class ReceiverTotals:
    """One receiver of one signal over the run: ``total`` and ``slowest`` in seconds,
    ``queries`` made by the receiver itself (not by the receivers of the sends it made)."""

    receiver_path: str
    signal_path: str
    calls: int = 0
    total: float = 0.0
    slowest: float = 0.0
    queries: int = 0


class _Tally:
    """The queries of one receiver call so far."""

    __slots__ = ("queries",)

    def __init__(self) -> None:
        self.queries = 0


class _Nothing:
    """The context manager of a whole send: this observer times receivers only."""

    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc_info: object) -> None:
        return None


_SEND_SCOPE = _Nothing()


class ReceiverDurations:
    """Adds up receiver calls of every signal, from every thread and task, while added.

    :meth:`start` adds it to the gate and counts queries on the connections of the
    calling thread (and on a receiver's own thread while it runs); :meth:`stop` undoes
    both. :meth:`slowest` and :meth:`report` read the totals.
    """

    signals = _NOTHING

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._totals: dict[tuple[str, str], ReceiverTotals] = {}
        self._signal_paths: dict[Signal, str] = {}
        # The call whose queries are being counted, in this thread or task.
        self._current: ContextVar[_Tally | None] = ContextVar(
            "signalkit_receiver_durations", default=None
        )
        self._counting: int | None = None  # the thread counting for the whole run
        self._connections: list[BaseDatabaseWrapper] = []

    # --- the observer protocol (signalkit.gate.Observer) ------------------------------------

    def wants(self, signal: Signal) -> bool:
        return True

    def send(
        self, signal: Signal, sender: object, named: dict[str, Any], method: gate.SendMethod
    ) -> _Nothing:
        return _SEND_SCOPE

    def receiver(self, signal: Signal, sender: object, receiver: Callable[..., Any]) -> _CallScope:
        return _CallScope(self, signal, receiver)

    # --- starting, stopping, reading ------------------------------------------------------

    def start(self) -> None:
        gate.add_observer(self)
        try:
            self._connections = count_queries_here(self._count_query)
        except BaseException:
            gate.remove_observer(self)
            raise
        self._counting = threading.get_ident()

    def stop(self) -> None:
        self._counting = None
        try:
            stop_counting(self._count_query, self._connections)
        finally:
            gate.remove_observer(self)

    def slowest(self, n: int) -> list[ReceiverTotals]:
        """The ``n`` receivers with the most total time (0: all), most first."""
        with self._lock:
            totals = list(self._totals.values())
        totals.sort(key=lambda t: (-t.total, t.receiver_path, t.signal_path))
        return totals[:n] if n else totals

    def report(self, n: int) -> list[str]:
        """The lines ``--signal-durations=n`` prints under its header."""
        slowest = self.slowest(n)
        if not slowest:
            return ["No signal receiver ran."]
        lines = [f"{'total':>9}  {'calls':>6}  {'slowest':>9}  {'queries':>7}  receiver (signal)"]
        lines.extend(
            f"{duration_text(t.total):>9}  {t.calls:>6}  {duration_text(t.slowest):>9}  "
            f"{t.queries:>7}  {t.receiver_path} ({t.signal_path})"
            for t in slowest
        )
        return lines

    # --- bookkeeping ----------------------------------------------------------------------

    def _signal_path(self, signal: Signal) -> str:
        path = self._signal_paths.get(signal)
        if path is None:
            path = self._signal_paths[signal] = presentation.signal_name(signal)
        return path

    def _add(self, receiver_path: str, signal: Signal, duration: float, queries: int) -> None:
        key = (receiver_path, self._signal_path(signal))
        with self._lock:
            totals = self._totals.get(key)
            if totals is None:
                totals = self._totals[key] = ReceiverTotals(*key)
            totals.calls += 1
            totals.total += duration
            totals.slowest = max(totals.slowest, duration)
            totals.queries += queries

    def _count_query(
        self,
        execute: Callable[..., Any],
        sql: Any,
        params: Any,
        many: bool,
        context: dict[str, Any],
    ) -> Any:
        tally = self._current.get()
        if tally is not None:
            tally.queries += 1
        return execute(sql, params, many, context)


class _CallScope:
    """One receiver call: its time and its own queries, added to the totals at its end."""

    __slots__ = ("connections", "durations", "receiver", "signal", "start", "tally", "token")

    def __init__(
        self, durations: ReceiverDurations, signal: Signal, receiver: Callable[..., Any]
    ) -> None:
        self.durations = durations
        self.signal = signal
        self.receiver = receiver

    def __enter__(self) -> None:
        durations = self.durations
        self.connections = (
            []
            if threading.get_ident() == durations._counting
            else count_queries_here(durations._count_query)
        )
        self.tally = _Tally()
        self.token: Token[_Tally | None] = durations._current.set(self.tally)
        self.start = perf_counter()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: types.TracebackType | None,
    ) -> None:
        duration = perf_counter() - self.start
        durations = self.durations
        durations._current.reset(self.token)
        if self.connections:
            stop_counting(durations._count_query, self.connections)
        durations._add(
            describe_receiver(self.receiver)[0], self.signal, duration, self.tally.queries
        )
