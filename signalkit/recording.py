"""``record_signals``: which signals were sent, by whom, with what, and assertions on it.

    >>> with record_signals(post_save, order_confirmed) as rec:
    ...     confirm_order(order)
    >>> rec.assert_sent_once(order_confirmed, sender=Order, order=order)
    >>> rec.assert_num_sent(post_save, 1, sender=Order, created=False)

A recorder sees every send of the signals it watches, by any of ``send``,
``send_robust``, ``asend`` and ``asend_robust``: sends that are muted, sends with no
receivers, and sends whose receivers raise. It records the call before any receiver
runs, and changes nothing about what the send does.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.dispatch import Signal

from signalkit import gate
from signalkit.discovery import catalogue

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
        arguments = ", ".join(f"{key}={value!r}" for key, value in self.kwargs.items())
        return f"{_signal_name(self.signal)}.{self.method}(sender={self.sender!r}, {arguments})"


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
                self._message(signal, match, f"was sent {len(found)} times, not once")
            )
        return found[0]

    def assert_not_sent(self, signal: Signal, /, **match: Any) -> None:
        """Assert no matching send."""
        found = self.calls_of(signal, **match)
        if found:
            raise AssertionError(self._message(signal, match, f"was sent {len(found)} times"))

    def assert_num_sent(self, signal: Signal, count: int, /, **match: Any) -> None:
        """Assert exactly ``count`` matching sends."""
        found = self.calls_of(signal, **match)
        if len(found) != count:
            raise AssertionError(
                self._message(signal, match, f"was sent {len(found)} times, not {count}")
            )

    def _check_watched(self, signal: Signal) -> None:
        if not isinstance(signal, Signal):
            raise TypeError(f"Expected a Signal, not {signal!r}.")
        if not self.wants(signal):
            watched = ", ".join(sorted(_signal_name(s) for s in self.signals))
            raise ValueError(
                f"{_signal_name(signal)} is not recorded here (record_signals({watched})); "
                f"add it to record_signals(...)."
            )

    def _message(self, signal: Signal, match: dict[str, Any], outcome: str) -> str:
        wanted = ", ".join(f"{key}={value!r}" for key, value in match.items())
        lines = [f"{_signal_name(signal)}({wanted}) {outcome}."]
        if self.calls:
            lines.append(f"Recorded {len(self.calls)} sends:")
            lines.extend(f"  {call}" for call in self.calls)
        else:
            lines.append("Nothing was recorded.")
        return "\n".join(lines)


@contextmanager
def record_signals(*signals: Signal) -> Iterator[SignalRecorder]:
    """Record the sends of ``signals`` (every signal when none given) in the block."""
    recorder = SignalRecorder(signals)
    gate.add_recorder(recorder)
    try:
        yield recorder
    finally:
        gate.remove_recorder(recorder)


def _signal_name(signal: Signal) -> str:
    for path, known in catalogue().items():
        if known is signal:
            return path
    return repr(signal)
