"""``record_signals``: which signals were sent, by whom, with what, and assertions on it.

    >>> with record_signals(post_save, order_confirmed) as rec:
    ...     confirm_order(order)
    >>> rec.assert_sent_once(order_confirmed, sender=Order, order=order)
    >>> rec.assert_num_sent(post_save, 1, sender=Order, created=False)

A recorder sees every send of the signals it watches, by any of ``send``,
``send_robust``, ``asend`` and ``asend_robust``, from every thread and task: sends that are
muted, sends with no receivers, and sends whose receivers raise. It records the call before
any receiver runs, and changes nothing about what the send does. A recorder that names its
signals leaves every other signal's send Django's own; ``record_signals()`` without
signals gates every signal's send while it records.

What is recorded is kept: each call holds its sender and its arguments (model instances,
requests...) alive for as long as the recorder records and then for as long as the
recorder itself is referenced.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, TypeVar

from django.dispatch import Signal

from signalkit import decorating, gate, presentation

F = TypeVar("F", bound=Callable[..., Any])

_NO_SENDER = object()


@dataclass(frozen=True)
class SignalCall:
    """One recorded send: the signal, its sender and the keyword arguments it carried.

    In ``matches`` and the recorder's assertions the signal and the count are
    positional-only, so a signal argument named ``count`` can be matched like any other.
    """

    signal: Signal
    sender: object
    kwargs: dict[str, Any]
    method: gate.SendMethod = field(default="send", compare=False)

    def matches(self, signal: Signal, /, sender: object = _NO_SENDER, **kwargs: Any) -> bool:
        """Same signal, same sender (when given), and ``kwargs`` a subset of the call's.

        Expected values are compared with ``==`` on the left, so ``unittest.mock.ANY``
        matches anything.
        """
        if self.signal is not signal:
            return False
        if sender is not _NO_SENDER and not (sender is self.sender or sender == self.sender):
            return False
        return all(
            key in self.kwargs and expected == self.kwargs[key] for key, expected in kwargs.items()
        )

    def __str__(self) -> str:
        return self._format(presentation.signal_name(self.signal))

    def _format(self, name: str) -> str:
        arguments = [f"sender={self.sender!r}"]
        arguments += [f"{key}={value!r}" for key, value in self.kwargs.items()]
        return f"{name}.{self.method}({', '.join(arguments)})"


class SignalRecorder:
    """The calls recorded by ``record_signals``, in the order they were sent."""

    def __init__(self, signals: tuple[Signal, ...] = ()) -> None:
        for signal in signals:
            if not isinstance(signal, Signal):
                raise TypeError(f"record_signals() takes Signal objects, not {signal!r}.")
        self.signals = frozenset(signals)
        self.calls: list[SignalCall] = []

    def wants(self, signal: Signal) -> bool:
        return not self.signals or signal in self.signals

    def record(
        self, signal: Signal, sender: object, named: dict[str, Any], method: gate.SendMethod
    ) -> None:
        self.calls.append(SignalCall(signal, sender, dict(named), method))

    def calls_of(self, signal: Signal, /, **match: Any) -> list[SignalCall]:
        """The recorded calls of ``signal`` matching ``sender=`` and keyword arguments."""
        self._check_watched(signal)
        return [call for call in self.calls if call.matches(signal, **match)]

    def assert_sent(self, signal: Signal, /, **match: Any) -> SignalCall:
        """Assert at least one matching send; return the first."""
        found = self.calls_of(signal, **match)
        if not found:
            raise AssertionError(self._message(signal, match, "was not sent"))
        return found[0]

    def assert_sent_once(self, signal: Signal, /, **match: Any) -> SignalCall:
        """Assert exactly one matching send; return it."""
        found = self.calls_of(signal, **match)
        if len(found) != 1:
            raise AssertionError(
                self._message(signal, match, f"was sent {_times(len(found))}, not once")
            )
        return found[0]

    def assert_not_sent(self, signal: Signal, /, **match: Any) -> None:
        """Assert no matching send."""
        found = self.calls_of(signal, **match)
        if found:
            raise AssertionError(self._message(signal, match, f"was sent {_times(len(found))}"))

    def assert_num_sent(self, signal: Signal, count: int, /, **match: Any) -> None:
        """Assert exactly ``count`` matching sends (``count``: an int, 0 or more)."""
        check_count(count, "assert_num_sent")
        found = self.calls_of(signal, **match)
        if len(found) != count:
            raise AssertionError(
                self._message(signal, match, f"was sent {_times(len(found))}, not {count}")
            )

    def _check_watched(self, signal: Signal) -> None:
        if not isinstance(signal, Signal):
            raise TypeError(f"Expected a Signal, not {signal!r}.")
        if not self.wants(signal):
            names = presentation.signal_names()
            watched = ", ".join(sorted(presentation.signal_name(s, names) for s in self.signals))
            raise ValueError(
                f"{presentation.signal_name(signal, names)} is not recorded here "
                f"(record_signals({watched})); add it to record_signals(...)."
            )

    def _message(self, signal: Signal, match: dict[str, Any], outcome: str) -> str:
        names = presentation.signal_names()  # looked up once for every line of the message
        wanted = ", ".join(f"{key}={value!r}" for key, value in match.items())
        lines = [f"{presentation.signal_name(signal, names)}({wanted}) {outcome}."]
        if self.calls:
            lines.append(f"Recorded {presentation.count(len(self.calls), 'send')}:")
            lines.extend(
                f"  {call._format(presentation.signal_name(call.signal, names))}"
                for call in self.calls
            )
        else:
            lines.append("Nothing was recorded.")
        return "\n".join(lines)


class record_signals:
    """Record the sends of ``signals`` (every signal when none are given) in a block or a call.

    ``with record_signals(post_save) as rec:`` yields the :class:`SignalRecorder`, which
    records from every thread and task until the block ends. Each object records one
    block: entering it again, or leaving it without entering, raises ``RuntimeError``.

    As a decorator, each call of the decorated function records into a new
    :class:`SignalRecorder`, passed to the function the way ``unittest.mock.patch`` passes
    its mock: as an extra positional argument after the call's own positional arguments.
    Give it the first parameter (after ``self``)::

        @record_signals(post_save)
        def test_signup(rec, db): ...             # pytest: db is a fixture, rec is not

        class SignupTests(TestCase):
            @record_signals(post_save)
            def test_signup(self, rec): ...

    A coroutine function stays one and records while it runs; a generator (async or not)
    records into one recorder per call, while its body runs only (not while it is
    suspended at a ``yield``). The recorder records from every thread and task while the
    call runs, like the block's; it stops when the call ends, by an exception too, and the
    function can keep it (return it, store it) to assert afterwards. The wrapper's
    signature leaves that first parameter out, so pytest does not look for a fixture named
    after it. An object used as a decorator (it may decorate several functions) cannot be
    a ``with`` block, and one used as a ``with`` block cannot decorate: both raise
    ``RuntimeError``. A class cannot be decorated (``TypeError``): decorate its test
    methods.

    The recorder keeps what it records: every :class:`SignalCall` holds its sender and
    keyword arguments (model instances, requests, files...), so they stay alive while the
    block runs and afterwards for as long as the recorder (``rec``) is referenced. Record
    only the signals you assert on, and drop the recorder, in long loops or big data sets.
    """

    def __init__(self, *signals: Signal) -> None:
        self.recorder = SignalRecorder(signals)
        self._state = "new"
        self._lock = threading.Lock()

    def __enter__(self) -> SignalRecorder:
        with self._lock:
            if self._state == "decorator":
                raise RuntimeError(
                    "this record_signals() object is a decorator (each call of what it "
                    "decorates records into a new recorder): use a record_signals(...) of "
                    "its own for a 'with' block."
                )
            if self._state != "new":
                raise RuntimeError(
                    f"this record_signals() block was already entered ({self._state}): "
                    f"use one record_signals(...) per block."
                )
            self._state = "recording"
        gate.add_recorder(self.recorder)
        return self.recorder

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        with self._lock:
            if self._state != "recording":
                raise RuntimeError(
                    "record_signals(...).__exit__() without __enter__(): use it in a 'with' block."
                )
            self._state = "finished"
        gate.remove_recorder(self.recorder)

    def __call__(self, function: F) -> F:
        if isinstance(function, type):
            raise TypeError(
                f"record_signals() cannot decorate a class ({function.__qualname__}): "
                f"decorate its test methods, each then takes the recorder "
                f"(def test_x(self, rec)), or use 'with record_signals(...) as rec:'."
            )
        decorated = decorating.decorate_passing(
            function, self._begin_call, name="record_signals()", passes="a new SignalRecorder"
        )
        with self._lock:
            if self._state not in ("new", "decorator"):
                raise RuntimeError(
                    f"this record_signals() object is a 'with' block ({self._state}), it "
                    f"cannot decorate: use a record_signals(...) of its own as the decorator."
                )
            self._state = "decorator"
        return decorated

    def _begin_call(
        self,
    ) -> tuple[SignalRecorder, Callable[[], SignalRecorder], Callable[[SignalRecorder], None]]:
        """A new recorder for one call of a decorated function, and its start and stop."""
        recorder = SignalRecorder(tuple(self.recorder.signals))

        def start() -> SignalRecorder:
            gate.add_recorder(recorder)
            return recorder

        return recorder, start, gate.remove_recorder


def check_count(count: object, function: str) -> None:
    """Refuse an expected number of sends that is not an int of 0 or more, naming it."""
    if isinstance(count, bool) or not isinstance(count, int):
        raise TypeError(
            f"{function}() takes the expected number of sends as an int, not {count!r}."
        )
    if count < 0:
        raise ValueError(
            f"{function}() takes the expected number of sends, 0 or more, not {count!r}."
        )


def _times(count: int) -> str:
    return presentation.count(count, "time")
