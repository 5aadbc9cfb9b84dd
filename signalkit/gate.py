"""The send gate: the one hook muting and recording share.

While at least one mute or recorder is active, ``Signal.send``, ``send_robust``, ``asend``,
``asend_robust`` and ``has_listeners`` are replaced *on the Signal class* by gates that
record the call, then either return what a signal without (those) receivers returns or
hand over to Django's own method. When the last mute or recorder ends, Django's methods
are put back: with nothing active, a send runs Django's code and nothing else.

Why the class and not the muted instances: an instance attribute named ``send`` on one
Signal object permanently de-optimises attribute lookups on every Signal object (CPython's
shared-key instance dictionaries), a cost that would outlive the mute. Restoring the class
attribute leaves no trace. ``Signal.receivers``, its cache and its lock are never touched,
so connect, disconnect, ``dispatch_uid`` de-duplication, order and weak-reference cleanup
stay Django's, during a mute and after it.

The state the gates read is one immutable ``_State``, replaced as a whole under a lock
whenever a mute or recorder starts or ends; a gate reads it once per call.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import weakref
from collections.abc import Callable, Hashable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any, Literal, Protocol, TypeVar

from asgiref.sync import async_to_sync, sync_to_async
from django.dispatch import Signal
from django.dispatch.dispatcher import _make_id  # type: ignore[attr-defined]

T = TypeVar("T")
Scope = Literal["global", "context"]
SendMethod = Literal["send", "send_robust", "asend", "asend_robust"]

_GATED = ("send", "send_robust", "asend", "asend_robust", "has_listeners")
# Django's own methods (asend and asend_robust exist from Django 5.0 on).
_DJANGO: dict[str, Callable[..., Any]] = {
    name: Signal.__dict__[name] for name in _GATED if name in Signal.__dict__
}

EVERY = frozenset({object()})


def receiver_key(receiver: object) -> Hashable:
    """Django's key for a receiver connected without ``dispatch_uid`` (``id()`` based)."""
    return _make_id(receiver)  # type: ignore[no-any-return]  # "every receiver": a marker no receiver key equals


@cache
def infrastructure_signals() -> frozenset[Signal]:
    """Signals ``ALL`` leaves alone: the test client, settings overrides, the request
    cycle, database connections, model preparation and migrations rely on them."""
    from django.core.signals import (
        got_request_exception,
        request_finished,
        request_started,
        setting_changed,
    )
    from django.db.backends.signals import connection_created
    from django.db.models.signals import class_prepared, post_migrate, pre_migrate
    from django.test.signals import template_rendered

    return frozenset(
        {
            setting_changed,
            template_rendered,
            got_request_exception,
            request_started,
            request_finished,
            connection_created,
            class_prepared,
            pre_migrate,
            post_migrate,
        }
    )


@dataclass(frozen=True)
class HeldReceiver:
    """A receiver named in ``muted_signals(receivers=...)``, without keeping it alive.

    Django knows a receiver by an ``id()``-based key, and a new object may get the id of a
    collected one: a key only mutes while the receiver it was taken from is alive. The
    mute does not hold the receiver, so a weakly connected one still dies when dropped.
    """

    key: Hashable
    alive: Callable[[], object]

    @classmethod
    def of(cls, receiver: Callable[..., Any]) -> HeldReceiver:
        reference: Callable[[], object]
        try:
            if hasattr(receiver, "__self__") and hasattr(receiver, "__func__"):
                reference = weakref.WeakMethod(receiver)
            else:
                reference = weakref.ref(receiver)
        except TypeError:  # not weakly referenceable: hold it
            reference = lambda: receiver  # noqa: E731
        return cls(receiver_key(receiver), reference)


@dataclass(frozen=True, eq=False)
class Rule:
    """One active mute: which sends it silences, and which of their receivers.

    ``every``: all signals but the infrastructure ones and ``except_``; ``signals``: those
    named. ``senders`` None: from any sender. ``receivers`` None: every receiver, else the
    muted receivers, held weakly (see ``HeldReceiver``). Compared by identity: one Rule per
    ``__enter__``.
    """

    signals: frozenset[Signal]
    every: bool = False
    except_: frozenset[Signal] = frozenset()
    senders: tuple[object, ...] | None = None
    receivers: tuple[HeldReceiver, ...] | None = None

    def mutes(self, signal: Signal, sender: object) -> frozenset[Hashable]:
        """The keys of the receivers this rule silences for this send (EVERY: all)."""
        if signal not in self.signals and (
            not self.every or signal in self.except_ or signal in infrastructure_signals()
        ):
            return frozenset()
        if self.senders is not None and not any(sender is s for s in self.senders):
            return frozenset()
        if self.receivers is None:
            return EVERY
        return frozenset(held.key for held in self.receivers if held.alive())

    @property
    def whole_signals(self) -> frozenset[Signal]:
        """Signals this rule silences entirely: every receiver, from every sender."""
        if self.senders is None and self.receivers is None:
            return self.signals
        return frozenset()


class Recorder(Protocol):
    def wants(self, signal: Signal) -> bool: ...

    def record(
        self, signal: Signal, sender: object, named: dict[str, Any], method: SendMethod
    ) -> None: ...


@dataclass(frozen=True)
class _State:
    rules: tuple[Rule, ...] = ()  # global mutes
    context_rules: int = 0  # context mutes active in any thread or task
    recorders: tuple[Recorder, ...] = ()
    silenced: frozenset[Signal] = field(default=frozenset())  # the fast path: all muted

    @property
    def active(self) -> bool:
        return bool(self.rules or self.context_rules or self.recorders)


_state = _State()
_lock = threading.Lock()
_context: ContextVar[tuple[Rule, ...]] = ContextVar("signalkit_muted", default=())


def activate(rule: Rule, scope: Scope) -> None:
    """Start ``rule``: for every thread and task (global), or this one (context)."""
    with _lock:
        if scope == "context":
            _context.set((*_context.get(), rule))
            _set(replace(_state, context_rules=_state.context_rules + 1))
        else:
            rules = (*_state.rules, rule)
            _set(replace(_state, rules=rules, silenced=_silenced(rules)))


def deactivate(rule: Rule, scope: Scope) -> None:
    """End ``rule``; rules may end in any order."""
    with _lock:
        if scope == "context":
            _context.set(_without(_context.get(), rule))
            _set(replace(_state, context_rules=_state.context_rules - 1))
        else:
            rules = _without(_state.rules, rule)
            _set(replace(_state, rules=rules, silenced=_silenced(rules)))


def add_recorder(recorder: Recorder) -> None:
    with _lock:
        _set(replace(_state, recorders=(*_state.recorders, recorder)))


def remove_recorder(recorder: Recorder) -> None:
    with _lock:
        _set(replace(_state, recorders=_without(_state.recorders, recorder)))


def is_installed() -> bool:
    """Whether the gates currently replace Django's methods on the Signal class."""
    return Signal.__dict__["send"] is not _DJANGO["send"]


def _without(items: tuple[T, ...], item: T) -> tuple[T, ...]:
    for index, candidate in enumerate(items):
        if candidate is item:
            return items[:index] + items[index + 1 :]
    return items


def _silenced(rules: tuple[Rule, ...]) -> frozenset[Signal]:
    return frozenset().union(*(rule.whole_signals for rule in rules))


def _set(state: _State) -> None:
    # Caller holds _lock. Install the gates when the first mute or recorder starts and
    # put Django's methods back when the last one ends.
    global _state
    was_active, _state = _state.active, state
    if state.active and not was_active:
        for name, gate in _GATES.items():
            if name in _DJANGO:
                setattr(Signal, name, gate)
    elif was_active and not state.active:
        for name, method in _DJANGO.items():
            setattr(Signal, name, method)


# --- deciding -----------------------------------------------------------------------


def _muted(state: _State, signal: Signal, sender: object) -> frozenset[Hashable]:
    if signal in state.silenced:
        return EVERY
    rules = state.rules
    if state.context_rules:
        rules += _context.get()
    muted: frozenset[Hashable] = frozenset()
    for rule in rules:
        keys = rule.mutes(signal, sender)
        if keys is EVERY:
            return EVERY
        muted |= keys
    return muted


def _record(
    state: _State, signal: Signal, sender: object, named: dict[str, Any], method: SendMethod
) -> None:
    for recorder in state.recorders:
        if recorder.wants(signal):
            recorder.record(signal, sender, named, method)


# --- the gates ----------------------------------------------------------------------


def _sync_gate(method: SendMethod, robust: bool) -> Callable[..., list[tuple[Any, Any]]]:
    django_method = _DJANGO[method]

    def gate(self: Signal, sender: object, **named: Any) -> list[tuple[Any, Any]]:
        state = _state
        if state.recorders:
            _record(state, self, sender, named, method)
        muted = _muted(state, self, sender)
        if not muted:
            return django_method(self, sender, **named)  # type: ignore[no-any-return]
        if muted is EVERY:
            return []
        return _dispatch(self, sender, named, muted, robust=robust)

    gate.__name__ = gate.__qualname__ = method
    return gate


def _async_gate(method: SendMethod, robust: bool) -> Callable[..., Any]:
    django_method = _DJANGO.get(method)  # asend and asend_robust: Django 5.0+

    async def gate(self: Signal, sender: object, **named: Any) -> list[tuple[Any, Any]]:
        state = _state
        if state.recorders:
            _record(state, self, sender, named, method)
        muted = _muted(state, self, sender)
        if not muted:
            return await django_method(self, sender, **named)  # type: ignore[misc,no-any-return]
        if muted is EVERY:
            return []
        return await _adispatch(self, sender, named, muted, robust=robust)

    gate.__name__ = gate.__qualname__ = method
    return gate


def _has_listeners(self: Signal, sender: object = None) -> bool:
    muted = _muted(_state, self, sender)
    if not muted:
        return _DJANGO["has_listeners"](self, sender)  # type: ignore[no-any-return]
    if muted is EVERY:
        return False
    sync_receivers, async_receivers = _live(self, sender, muted)
    return bool(sync_receivers or async_receivers)


_GATES: dict[str, Callable[..., Any]] = {
    "send": _sync_gate("send", robust=False),
    "send_robust": _sync_gate("send_robust", robust=True),
    "asend": _async_gate("asend", robust=False),
    "asend_robust": _async_gate("asend_robust", robust=True),
    "has_listeners": _has_listeners,
}


# --- dispatch to some receivers (muted_signals(receivers=...)) -------------------------
# Django's own send loops, for the live receivers minus the muted ones. Receivers still
# get signal=<the signal> and run in Django's order.


def _live(
    signal: Signal, sender: object, muted: frozenset[Hashable]
) -> tuple[list[Any], list[Any]]:
    live = signal._live_receivers(sender)
    # Django 5.0+: (sync, async); 4.2: one list, every receiver called synchronously.
    sync_receivers, async_receivers = live if isinstance(live, tuple) else (live, [])
    return (
        [r for r in sync_receivers if receiver_key(r) not in muted],
        [r for r in async_receivers if receiver_key(r) not in muted],
    )


def _call(
    signal: Signal, receiver: Any, sender: object, named: dict[str, Any], robust: bool
) -> Any:
    if not robust:
        return receiver(signal=signal, sender=sender, **named)
    try:
        return receiver(signal=signal, sender=sender, **named)
    except Exception as err:
        _log_failure(signal, receiver, err)
        return err


async def _acall(
    signal: Signal, receiver: Any, sender: object, named: dict[str, Any], robust: bool
) -> Any:
    if not robust:
        return await receiver(signal=signal, sender=sender, **named)
    try:
        return await receiver(signal=signal, sender=sender, **named)
    except Exception as err:
        _log_failure(signal, receiver, err)
        return err


def _log_failure(signal: Signal, receiver: Any, err: Exception) -> None:
    log = getattr(signal, "_log_robust_failure", None)  # Django 5.0+
    if log is not None:
        log(receiver, err)
    else:
        logging.getLogger("django.dispatch").error(
            "Error calling %s in Signal.send_robust() (%s)",
            getattr(receiver, "__qualname__", receiver),
            err,
            exc_info=err,
        )


def _dispatch(
    signal: Signal,
    sender: object,
    named: dict[str, Any],
    muted: frozenset[Hashable],
    robust: bool,
) -> list[tuple[Any, Any]]:
    sync_receivers, async_receivers = _live(signal, sender, muted)
    responses = [(r, _call(signal, r, sender, named, robust)) for r in sync_receivers]
    if async_receivers:

        async def gather() -> Sequence[Any]:
            return await asyncio.gather(
                *(_acall(signal, r, sender, named, robust) for r in async_receivers)
            )

        responses.extend(zip(async_receivers, async_to_sync(gather)(), strict=True))
    return responses


async def _adispatch(
    signal: Signal,
    sender: object,
    named: dict[str, Any],
    muted: frozenset[Hashable],
    robust: bool,
) -> list[tuple[Any, Any]]:
    sync_receivers, async_receivers = _live(signal, sender, muted)

    def sync_send() -> list[tuple[Any, Any]]:
        return [(r, _call(signal, r, sender, named, robust)) for r in sync_receivers]

    responses: list[tuple[Any, Any]]
    responses, async_responses = await asyncio.gather(
        sync_to_async(sync_send)() if sync_receivers else _nothing(),
        asyncio.gather(*(_acall(signal, r, sender, named, robust) for r in async_receivers)),
    )
    responses.extend(zip(async_receivers, async_responses, strict=True))
    return responses


async def _nothing() -> list[tuple[Any, Any]]:
    return []
