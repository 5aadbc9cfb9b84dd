"""``record_signals``: which signals were sent, by whom, with what, and assertions on it.

    >>> with record_signals(post_save, order_confirmed) as rec:
    ...     confirm_order(order)
    >>> rec.assert_sent_once(order_confirmed, sender=Order, order=order)
    >>> rec.assert_num_sent(post_save, 1, sender="shop.Order", created=False)
    >>> rec.assert_sent_in_order((post_save, {"sender": Order}), order_confirmed)

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
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, TypeVar

from django.dispatch import Signal

from signalkit import _labels, decorating, gate, presentation

F = TypeVar("F", bound=Callable[..., Any])

_NO_SENDER = object()

#: How many sends of the signal asserted on a failure message lists; it counts the others.
LISTED_SENDS = 10
# How many other signals a failure message counts by name; the rest are counted together.
_COUNTED_SIGNALS = 5

#: What :meth:`SignalRecorder.assert_sent_in_order` takes: a signal, or a signal and the
#: ``match`` of its send (``(post_save, {"sender": Order, "created": True})``).
Expected = Signal | tuple[Signal, Mapping[str, Any]]

# What ``sender=`` matches: None for any sender, else these values (a model label stands
# for its model and for the string itself).
_Senders = tuple[object, ...] | None


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
        matches anything. A ``sender`` that is a model label (``"auth.User"``) matches the
        sends of that model, and a send whose sender is that very string.
        """
        return self._matches(signal, _senders(sender), kwargs)

    def _matches(self, signal: Signal, senders: _Senders, kwargs: Mapping[str, Any]) -> bool:
        if self.signal is not signal:
            return False
        if senders is not None and not any(
            expected is self.sender or expected == self.sender for expected in senders
        ):
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
    """The calls recorded by ``record_signals``, in the order they were sent.

    Each assertion takes a signal and what its send must match: ``sender=`` (the sender
    itself, or a model label such as ``"auth.User"`` for that model) and keyword arguments
    the send must carry with equal values (``unittest.mock.ANY`` matches anything). A
    failure lists the sends of the signal asserted on (at most :data:`LISTED_SENDS`, those
    from the ``sender=`` asked about first) and counts the others by signal on one line.
    """

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
        __tracebackhide__ = True
        self._check_watched(signal)
        senders, kwargs = self._match(match)
        return [call for call in self.calls if call._matches(signal, senders, kwargs)]

    def assert_sent(self, signal: Signal, /, **match: Any) -> SignalCall:
        """Assert at least one matching send; return the first."""
        __tracebackhide__ = True
        found = self.calls_of(signal, **match)
        if not found:
            raise AssertionError(self._message(signal, match, "was not sent"))
        return found[0]

    def assert_sent_once(self, signal: Signal, /, **match: Any) -> SignalCall:
        """Assert exactly one matching send; return it."""
        __tracebackhide__ = True
        found = self.calls_of(signal, **match)
        if len(found) != 1:
            raise AssertionError(
                self._message(signal, match, f"was sent {_times(len(found))}, not once")
            )
        return found[0]

    def assert_not_sent(self, signal: Signal, /, **match: Any) -> None:
        """Assert no matching send."""
        __tracebackhide__ = True
        found = self.calls_of(signal, **match)
        if found:
            raise AssertionError(self._message(signal, match, f"was sent {_times(len(found))}"))

    def assert_num_sent(self, signal: Signal, count: int, /, **match: Any) -> None:
        """Assert exactly ``count`` matching sends (``count``: an int, 0 or more)."""
        __tracebackhide__ = True
        check_count(count, "assert_num_sent")
        found = self.calls_of(signal, **match)
        if len(found) != count:
            raise AssertionError(
                self._message(signal, match, f"was sent {_times(len(found))}, not {count}")
            )

    def assert_sent_in_order(self, *expected: Expected) -> list[SignalCall]:
        """Assert that these sends happened in this order; return them.

        Each item is a signal, or a pair of a signal and its ``match`` (a dict: ``sender=``
        and keyword arguments, as in :meth:`assert_sent`). The sends need not be adjacent:
        other sends may come before, between and after them. Each item is matched by a
        send of its own, the earliest after the previous item's::

            rec.assert_sent_in_order(
                pre_save,
                (post_save, {"sender": Order, "created": True}),
                order_confirmed,
            )

        A failure says which item was not sent after the one before, and lists the sends of
        these signals in the order they were recorded.
        """
        __tracebackhide__ = True
        items = order_items(expected, "assert_sent_in_order")
        matchers = []
        for signal, match in items:
            self._check_watched(signal)
            matchers.append((signal, *self._match(match)))
        found: list[int] = []
        start = 0
        for signal, senders, kwargs in matchers:
            index = next(
                (
                    index
                    for index in range(start, len(self.calls))
                    if self.calls[index]._matches(signal, senders, kwargs)
                ),
                None,
            )
            if index is None:
                raise AssertionError(self._order_message(items, matchers, found))
            found.append(index)
            start = index + 1
        return [self.calls[index] for index in found]

    def _check_watched(self, signal: Signal) -> None:
        __tracebackhide__ = True
        if not isinstance(signal, Signal):
            raise TypeError(f"Expected a Signal, not {signal!r}.")
        if not self.wants(signal):
            names = presentation.signal_names()
            watched = ", ".join(sorted(presentation.signal_name(s, names) for s in self.signals))
            raise ValueError(
                f"{presentation.signal_name(signal, names)} is not recorded here "
                f"(record_signals({watched})); add it to record_signals(...)."
            )

    def _match(self, match: Mapping[str, Any]) -> tuple[_Senders, dict[str, Any]]:
        """``match`` split into the senders it accepts and the keyword arguments it wants.

        A model label no installed model has is an error naming it, unless a send recorded
        here has that very string for its sender.
        """
        __tracebackhide__ = True
        kwargs = dict(match)
        sender = kwargs.pop("sender", _NO_SENDER)
        senders = _senders(sender)
        if (
            _labels.is_label(sender)
            and senders == (sender,)
            and not any(call.sender == sender for call in self.calls)
        ):
            raise ValueError(
                f"sender={sender!r}: {_labels.unknown(str(sender))}, and no send recorded "
                f"here has that string for its sender."
            )
        return senders, kwargs

    # --- failure messages ------------------------------------------------------------------

    def _message(self, signal: Signal, match: dict[str, Any], outcome: str) -> str:
        """The outcome, then the sends of ``signal`` (up to :data:`LISTED_SENDS` of them,
        those from the sender asked about first), then the other sends, counted."""
        names = presentation.signal_names()  # looked up once for every line of the message
        lines = [f"{_described(signal, match, names)} {outcome}."]
        if not self.calls:
            lines.append("Nothing was recorded.")
            return "\n".join(lines)
        own = [index for index, call in enumerate(self.calls) if call.signal is signal]
        others = [call for call in self.calls if call.signal is not signal]
        if not own:
            lines.append(f"Recorded no send of this signal; {_counted(others, names)}.")
            return "\n".join(lines)
        of_it = " of this signal" if others else ""
        lines.append(f"Recorded {presentation.count(len(own), 'send')}{of_it}:")
        senders = _senders(match.get("sender", _NO_SENDER))
        first = (
            [index for index in own if self.calls[index]._matches(signal, senders, {})]
            if senders is not None
            else []
        )
        lines.extend(self._listed(own, first, names, numbered=False))
        if others:
            lines.append(f"…and {_counted(others, names)}.")
        return "\n".join(lines)

    def _order_message(
        self,
        items: list[tuple[Signal, dict[str, Any]]],
        matchers: list[tuple[Signal, _Senders, dict[str, Any]]],
        found: list[int],
    ) -> str:
        """Which item was not sent after which, then the sends of the signals named, in
        order (the ones matched and the missing item's first), then the others, counted."""
        names = presentation.signal_names()
        described = [_described(signal, match, names) for signal, match in items]
        lines = [f"Not sent in this order: {', '.join(described)}."]
        missing = len(found)
        signal, senders, kwargs = matchers[missing]
        anywhere = [
            index for index, call in enumerate(self.calls) if call._matches(signal, senders, kwargs)
        ]
        if not anywhere:
            lines.append(f"{described[missing]} was not sent.")
        else:
            lines.append(
                f"{described[missing]} was not sent after {described[missing - 1]} "
                f"(send #{found[-1] + 1}), only before it: "
                f"{presentation.count(len(anywhere), 'time')}, as send "
                f"{', '.join(f'#{index + 1}' for index in anywhere[:LISTED_SENDS])}"
                f"{', …' if len(anywhere) > LISTED_SENDS else ''}."
            )
        named = {signal for signal, _ in items}
        relevant = [index for index, call in enumerate(self.calls) if call.signal in named]
        others = [call for call in self.calls if call.signal not in named]
        if not relevant:
            lines.append(
                "Recorded no send of these signals"
                + (f"; {_counted(others, names)}." if others else ".")
            )
            return "\n".join(lines)
        lines.append(f"Sends of these signals, in the order recorded ({len(relevant)}):")
        lines.extend(self._listed(relevant, [*found, *anywhere], names, numbered=True))
        if others:
            lines.append(f"…and {_counted(others, names)}.")
        return "\n".join(lines)

    def _listed(
        self, indexes: list[int], first: list[int], names: dict[Signal, str], *, numbered: bool
    ) -> list[str]:
        """Lines for the calls at ``indexes``, in order: at most :data:`LISTED_SENDS`, the
        ones at ``first`` chosen before the others, and a line counting those left out."""
        shown = indexes
        if len(indexes) > LISTED_SENDS:
            chosen = dict.fromkeys(first)  # ordered, without repeats
            chosen.update(dict.fromkeys(indexes))
            shown = sorted(list(chosen)[:LISTED_SENDS])
        lines = []
        for index in shown:
            call = self.calls[index]
            number = f"#{index + 1} " if numbered else ""
            lines.append(f"  {number}{call._format(presentation.signal_name(call.signal, names))}")
        if len(shown) < len(indexes):
            lines.append(f"  …and {len(indexes) - len(shown)} more.")
        return lines


def order_items(expected: tuple[object, ...], function: str) -> list[tuple[Signal, dict[str, Any]]]:
    """The items of an order assertion as (signal, match) pairs, or an error naming the
    item that is neither a signal nor a (signal, dict) pair."""
    __tracebackhide__ = True
    shape = "signals, or (signal, {'sender': ..., ...}) pairs"
    if len(expected) < 2:
        raise TypeError(
            f"{function}() takes two or more {shape}, in the order they must be sent; "
            f"got {len(expected)}."
        )
    items: list[tuple[Signal, dict[str, Any]]] = []
    for item in expected:
        if isinstance(item, Signal):
            items.append((item, {}))
            continue
        if (
            isinstance(item, tuple)
            and len(item) == 2
            and isinstance(item[0], Signal)
            and isinstance(item[1], Mapping)
            and all(isinstance(key, str) for key in item[1])
        ):
            items.append((item[0], dict(item[1])))
            continue
        hint = (
            " (pass them as separate arguments)" if isinstance(item, (list, set, frozenset)) else ""
        )
        raise TypeError(f"{function}() takes {shape}, not {item!r}{hint}.")
    return items


def _senders(sender: object) -> _Senders:
    """What ``sender=`` matches: any sender when not given; a model label (``"auth.User"``)
    matches that model and the string itself; anything else matches itself."""
    if sender is _NO_SENDER:
        return None
    if _labels.is_label(sender):
        model = _labels.model_for(str(sender))
        if model is not None:
            return (model, sender)
    return (sender,)


def _described(signal: Signal, match: Mapping[str, Any], names: dict[Signal, str]) -> str:
    """``django.db.models.signals.post_save(sender='shop.Order', created=True)``."""
    wanted = ", ".join(f"{key}={value!r}" for key, value in match.items())
    return f"{presentation.signal_name(signal, names)}({wanted})"


def _counted(calls: list[SignalCall], names: dict[Signal, str]) -> str:
    """``150 other sends (pre_init ×100, post_init ×50)``: counted by signal, the most sent
    first, each by its short name (its full one where two share it)."""
    counts = Counter(call.signal for call in calls)
    full = {signal: presentation.signal_name(signal, names) for signal in counts}
    short = Counter(presentation.short_signal_name(name) for name in full.values())

    def named(signal: Signal) -> str:
        name = presentation.short_signal_name(full[signal])
        return name if short[name] == 1 else full[signal]

    ranked = counts.most_common()  # ties keep the order first sent
    parts = [f"{named(signal)} ×{n}" for signal, n in ranked[:_COUNTED_SIGNALS]]
    rest = ranked[_COUNTED_SIGNALS:]
    if rest:
        parts.append(f"{presentation.count(len(rest), 'more signal')} ×{sum(n for _, n in rest)}")
    return f"{presentation.count(len(calls), 'other send')} ({', '.join(parts)})"


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
    __tracebackhide__ = True
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
