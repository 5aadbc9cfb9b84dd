"""The send gate: the one hook muting, recording and tracing share.

A gate stands in front of a signal's ``send``, ``send_robust``, ``asend``, ``asend_robust``
and ``has_listeners`` while a mute, recorder or observer concerns it: it records the call,
then either returns what a signal without (those) receivers returns, hands over to the
signal's own method, or (when an observer watches the send) runs the receivers itself,
with Django's loops, inside the observers' context managers. When nothing concerns a
signal any more, its own methods are back: with nothing active, a send runs Django's code
and nothing else.

Three kinds of participants:

- mutes (:class:`Rule`, :func:`activate` / :func:`deactivate`): which receivers do not run;
- recorders (:class:`Recorder`, :func:`add_recorder` / :func:`remove_recorder`): told of
  every send before any receiver runs, muted or not;
- observers (:class:`Observer`, :func:`add_observer` / :func:`remove_observer`): wrap each
  send that runs (is not muted as a whole) and each receiver run of it in context
  managers of theirs: what ``trace_signals`` and the integrations built on it use. See
  :class:`Observer` for the contract.

Where the gate goes:

- A mute or recorder that *names* signals gates those Signal objects only, by giving each
  one, while it is concerned, a class of signalkit's: a subclass of its own class (same
  name, same module, so ``repr()``, ``isinstance()`` and ``type(...).__name__`` read the
  same) that overrides only the five methods, cached per original class. Every other
  signal's send stays Django's function, with Django's call stack: a receiver that warns
  with a ``stacklevel`` or inspects its caller sees no extra frame. A signal muted as a whole
  for every thread, and recorded by nobody, gets a class whose methods return at once
  (``[]``, ``False``): cheaper than a send with no receivers.
- ``ALL``, record-everything and observe-everything cannot name their signals, so they gate
  the ``Signal`` class itself while active.

No instance attribute is ever set: an attribute named ``send`` on one Signal object
permanently slows method lookups on every Signal object (CPython's shared-key instance
dictionaries). Assigning ``__class__`` is the one per-object change, with a cost CPython
imposes: it moves the object's attributes from the inline values into a dictionary of its
own, so later lookups on *that* object (``post_save.send``, ``self._live_receivers``) are a
little slower (about 0.15 us, 7-8 % of a send with one receiver; the ``muting`` benchmark
prints it), for the rest of the process. ``Signal.receivers``, its cache and its lock are never
touched, so connect, disconnect, ``dispatch_uid`` de-duplication, order and weak-reference
cleanup stay Django's, during a mute and after it.

The state changes under one lock whenever a mute, recorder or observer starts or ends; a
gate reads it without locking (each name once per call, tuples replaced as a whole).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Hashable, Sequence
from contextlib import AbstractContextManager
from contextvars import ContextVar
from functools import cache
from types import TracebackType
from typing import Any, Literal, Protocol, TypeVar, cast

from asgiref.sync import async_to_sync
from django.dispatch import Signal

from signalkit._compat import (
    in_own_context,
    live_receivers,
    log_robust_failure,
    receiver_key,
    run_asend,
    run_parallel,
)
from signalkit.registry import has_receivers

T = TypeVar("T")
Scope = Literal["global", "context"]
SendMethod = Literal["send", "send_robust", "asend", "asend_robust"]

_GATED = ("send", "send_robust", "asend", "asend_robust", "has_listeners")
# Django's own methods.
_DJANGO: dict[str, Callable[..., Any]] = {
    name: Signal.__dict__[name] for name in _GATED if name in Signal.__dict__
}

# "every receiver": a marker no receiver key equals
EVERY = frozenset({object()})
_NOTHING: frozenset[Hashable] = frozenset()


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


class HeldReceiver:
    """A receiver named in ``muted_signals(receivers=...)``, without keeping it alive.

    Django knows a receiver by an ``id()``-based key, and a new object may get the id of a
    collected one: a key only mutes while the receiver it was taken from is alive. The
    mute does not hold the receiver, so a weakly connected one still dies when dropped.
    """

    __slots__ = ("alive", "key")

    def __init__(self, key: Hashable, alive: Callable[[], object]) -> None:
        self.key = key
        self.alive = alive

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


class Rule:
    """What one mute silences: which sends, and which of their receivers.

    ``every``: all signals but the infrastructure ones and ``except_``; ``signals``: those
    named. ``senders`` None: from any sender. ``receivers`` None: every receiver, else the
    muted receivers, held weakly (see ``HeldReceiver``). A ``muted_signals`` object builds
    its rule once (mutes of the same whole signals share one) and activates it once per
    ``__enter__``; the gate counts activations, so one rule may be active several times at
    once, and any activation of it may end first.
    """

    __slots__ = ("every", "except_", "receivers", "senders", "signals", "whole")

    def __init__(
        self,
        signals: frozenset[Signal],
        every: bool = False,
        except_: frozenset[Signal] = frozenset(),
        senders: tuple[object, ...] | None = None,
        receivers: tuple[HeldReceiver, ...] | None = None,
    ) -> None:
        self.signals = signals
        self.every = every
        self.except_ = except_
        self.senders = senders
        self.receivers = receivers
        # Whether the signals named are silenced entirely: every receiver, every sender.
        self.whole = senders is None and receivers is None

    def mutes(self, signal: Signal, sender: object) -> frozenset[Hashable]:
        """The keys of the receivers this rule silences for this send (EVERY: all)."""
        if signal not in self.signals and (
            not self.every or signal in self.except_ or signal in infrastructure_signals()
        ):
            return _NOTHING
        if self.senders is not None and not any(sender is s for s in self.senders):
            return _NOTHING
        if self.receivers is None:
            return EVERY
        return frozenset(held.key for held in self.receivers if held.alive())


class Recorder(Protocol):
    @property
    def signals(self) -> frozenset[Signal]:
        """The signals recorded; empty: every signal."""
        ...

    def wants(self, signal: Signal) -> bool: ...

    def record(
        self, signal: Signal, sender: object, named: dict[str, Any], method: SendMethod
    ) -> None: ...


class Observer(Protocol):
    """Something that watches sends as they run: ``trace_signals``' traces, and what is built
    on them (a debug toolbar panel, an OpenTelemetry instrumentor, test-run statistics).

    An observer concerns the signals named in ``signals``, or every signal when it is empty
    (then ``wants()`` is asked per send; with names the gate asks too, so ``wants`` must agree
    with ``signals``). While it is added (:func:`add_observer`), a send of a signal it
    concerns that is not muted as a whole is run by the gate with Django's own loops (same
    order, same ``send_robust`` semantics and responses, ``asend``'s grouping of sync and
    async receivers as this Django does it), and:

    - the whole send runs inside ``observer.send(signal, sender, named, method)``: entered
      where the send is made (the caller's thread, task and stack: ``sys._getframe()`` in
      ``__enter__`` walks out to the caller), exited when the send returns or raises. It is
      entered for a send that reaches no receiver too (then no ``receiver()`` follows).
    - each receiver call runs inside ``observer.receiver(signal, sender, receiver)``, created
      and entered in the receiver's own execution context: for a sync receiver, in the
      thread that calls it (for ``asend``, the ``sync_to_async`` thread); for an async
      receiver, inside the coroutine that awaits it, in a context of its own even where
      Django 6.1 runs the async receivers in one shared context (the receiver's own context
      changes still reach the caller as Django makes them). So a ``ContextVar`` set in
      ``__enter__`` and reset in ``__exit__`` is what the receiver, and every send it
      makes, sees, per receiver under ``asyncio.gather``; an OpenTelemetry span made
      current there is the parent of what the receiver does.

    ``__exit__`` gets the exception the receiver (or the send) raised; what it returns is
    ignored: an observer cannot swallow an exception, the send raises it (or, for
    ``send_robust``, logs and returns it) as without observers. Muted receivers are not
    called, so not observed; a send muted as a whole (every receiver) is not observed at all.
    Several observers nest in the order they were added (the first added is the outermost).

    The context managers run on the hot path of every observed send and must not raise:
    what they raise propagates through the send. They may be called from several threads
    and tasks at once. The ``named`` dictionary is the send's own keyword arguments: read
    it, do not keep or change it.
    """

    @property
    def signals(self) -> frozenset[Signal]:
        """The signals observed; empty: every signal."""
        ...

    def wants(self, signal: Signal) -> bool:
        """Whether sends of ``signal`` are observed (cheap: asked for every send)."""
        ...

    def send(
        self, signal: Signal, sender: object, named: dict[str, Any], method: SendMethod
    ) -> AbstractContextManager[object]:
        """The context manager one whole send of ``signal`` runs in."""
        ...

    def receiver(
        self, signal: Signal, sender: object, receiver: Callable[..., Any]
    ) -> AbstractContextManager[object]:
        """The context manager one call of ``receiver`` runs in (``receiver``: the callable
        Django calls, e.g. an ``after_commit`` or ``as_task`` wrapper)."""
        ...


# --- the state the gates read (changed under _lock) ---------------------------------------

_lock = threading.Lock()
_rules: tuple[Rule, ...] = ()  # global mutes other than "these signals, whole", per activation
_context: ContextVar[tuple[Rule, ...]] = ContextVar("signalkit_muted", default=())
_context_mutes = 0  # context mutes active in any thread or task
_recorders: tuple[Recorder, ...] = ()
_observers: tuple[Observer, ...] = ()
_whole: dict[Signal, int] = {}  # global activations silencing each signal whole

# --- bookkeeping (read and written under _lock only) -------------------------------------

_named: dict[Signal, int] = {}  # activations of other rules naming each signal
_recorded: dict[Signal, int] = {}  # recorders naming each signal
_observed: dict[Signal, int] = {}  # observers naming each signal
_every_rules = 0  # ALL mutes active (any scope)
_every_recorders = 0  # record-everything recorders active
_every_observers = 0  # observe-everything observers active
_originals: dict[Signal, type[Signal]] = {}  # signals wearing a class of ours: their own
_classes: dict[type[Signal], tuple[type[Signal], type[Signal]]] = {}  # (gated, silenced)
_ours: set[type[Signal]] = set()


def activate(rule: Rule, scope: Scope) -> None:
    """Start ``rule``: for every thread and task (global), or this one (context)."""
    global _rules, _context_mutes, _every_rules
    with _lock:
        if scope == "context":
            _context.set((*_context.get(), rule))
            _context_mutes += 1
            counts = _named
        else:
            # "These signals, whole" needs no rule in _rules: _whole says it all (the
            # usual mute, so the cheapest to start and end).
            if rule.every or not rule.whole:
                _rules += (rule,)
            counts = _whole if rule.whole else _named
        if rule.every:
            _every_rules += 1
            _update_class_gates()
        for signal in rule.signals:
            _count(counts, signal, +1)


def deactivate(rule: Rule, scope: Scope) -> None:
    """End one activation of ``rule``; activations may end in any order."""
    global _rules, _context_mutes, _every_rules
    with _lock:
        if scope == "context":
            _context.set(_without(_context.get(), rule))
            _context_mutes -= 1
            counts = _named
        else:
            if rule.every or not rule.whole:
                _rules = _without(_rules, rule)
            counts = _whole if rule.whole else _named
        if rule.every:
            _every_rules -= 1
            _update_class_gates()
        for signal in rule.signals:
            _count(counts, signal, -1)


def add_recorder(recorder: Recorder) -> None:
    global _recorders, _every_recorders
    with _lock:
        _recorders = (*_recorders, recorder)
        if not recorder.signals:
            _every_recorders += 1
            _update_class_gates()
            for signal in tuple(_originals):  # muted whole, they must now record: gate them
                _route(signal)
        for signal in recorder.signals:
            _count(_recorded, signal, +1)


def remove_recorder(recorder: Recorder) -> None:
    global _recorders, _every_recorders
    with _lock:
        _recorders = _without(_recorders, recorder)
        if not recorder.signals:
            _every_recorders -= 1
            _update_class_gates()
            for signal in tuple(_originals):
                _route(signal)
        for signal in recorder.signals:
            _count(_recorded, signal, -1)


def add_observer(observer: Observer) -> None:
    """Start observing: from now on, every thread and task's sends of ``observer.signals``
    (every signal when empty) run inside its context managers. Each call must be matched by
    one :func:`remove_observer` (the same object may be added several times)."""
    global _observers, _every_observers
    with _lock:
        _observers = (*_observers, observer)
        if not observer.signals:
            _every_observers += 1
            _update_class_gates()
        for signal in observer.signals:
            _count(_observed, signal, +1)


def remove_observer(observer: Observer) -> None:
    """End one :func:`add_observer` of ``observer``; sends already running finish as
    they began (an observer may see a receiver run end after it was removed)."""
    global _observers, _every_observers
    with _lock:
        _observers = _without(_observers, observer)
        if not observer.signals:
            _every_observers -= 1
            _update_class_gates()
        for signal in observer.signals:
            _count(_observed, signal, -1)


def is_installed() -> bool:
    """Whether a gate is in place anywhere: on the Signal class, or on some signal."""
    return Signal.__dict__["send"] is not _DJANGO["send"] or bool(_originals)


def is_gated(signal: Signal) -> bool:
    """Whether ``signal`` currently wears one of signalkit's classes."""
    return type(signal) in _ours


def _without(items: tuple[T, ...], item: T) -> tuple[T, ...]:
    if items and items[-1] is item:  # the usual case: the latest ends first
        return items[:-1]
    for index, candidate in enumerate(items):
        if candidate is item:
            return items[:index] + items[index + 1 :]
    return items


def _count(counts: dict[Signal, int], signal: Signal, step: int) -> None:
    # Caller holds _lock. Count one more (or one fewer) reason to gate ``signal``, then
    # give it the class its reasons call for.
    count = counts.get(signal, 0) + step
    if count:
        counts[signal] = count
    else:
        del counts[signal]
    _route(signal)


def _update_class_gates() -> None:
    # Caller holds _lock. ALL, record-everything and observe-everything act on the class.
    wanted = _GATES if _every_rules or _every_recorders or _every_observers else _DJANGO
    if Signal.__dict__["send"] is not wanted["send"]:
        for name, method in wanted.items():
            if name in _DJANGO:
                setattr(Signal, name, method)


def _route(signal: Signal) -> None:
    # Caller holds _lock. Give the signal the class its mutes, recorders and observers call
    # for. Muted whole for every thread, a send is not observed: observers need no gate.
    original = _originals.get(signal)
    whole = signal in _whole
    if not (whole or signal in _named or signal in _recorded or signal in _observed):
        if original is not None:
            del _originals[signal]
            if type(signal) in _ours:
                signal.__class__ = original
        return
    if original is None:
        original = type(signal)
    gated, silenced = _classes_for(original)
    if whole and signal not in _recorded and not _every_recorders:
        gated = silenced
    if type(signal) is not gated:
        _originals[signal] = original
        signal.__class__ = gated


def _classes_for(original: type[Signal]) -> tuple[type[Signal], type[Signal]]:
    """The gated and the silenced subclass of ``original`` (created once, then cached)."""
    classes = _classes.get(original)
    if classes is None:
        own = {name: _own_method(original, name) for name in _GATED if hasattr(original, name)}
        gates = {name: _GATE_FACTORIES[name](name, method) for name, method in own.items()}
        silent = {name: _SILENT[name] for name in own}
        classes = (_subclass(original, gates), _subclass(original, silent))
        _classes[original] = classes
        _ours.update(classes)
    return classes


def _subclass(original: type[Signal], methods: dict[str, Any]) -> type[Signal]:
    namespace = {
        "__slots__": (),
        "__module__": original.__module__,
        "__qualname__": original.__qualname__,
        "__doc__": original.__doc__,
        **methods,
    }
    metaclass: type[type] = type(original)
    return cast("type[Signal]", metaclass(original.__name__, (original,), namespace))


def _own_method(original: type[Signal], name: str) -> Callable[..., Any]:
    """``original``'s own ``name``: Django's when inherited from Signal (never the class
    gate that ALL may have put there), a subclass's override otherwise."""
    for klass in original.__mro__:
        if name in klass.__dict__:
            if klass is Signal:
                return _DJANGO[name]
            return klass.__dict__[name]  # type: ignore[no-any-return]
    raise AttributeError(name)  # pragma: no cover - hasattr() said it exists


# --- deciding -----------------------------------------------------------------------


def _muted(signal: Signal, sender: object) -> frozenset[Hashable]:
    if signal in _whole:
        return EVERY
    rules = _rules
    if _context_mutes:
        rules += _context.get()
    muted = _NOTHING
    for rule in rules:
        keys = rule.mutes(signal, sender)
        if keys is EVERY:
            return EVERY
        if keys:
            muted |= keys
    return muted


def _record(signal: Signal, sender: object, named: dict[str, Any], method: SendMethod) -> None:
    for recorder in _recorders:
        if recorder.wants(signal):
            recorder.record(signal, sender, named, method)


def _observing(signal: Signal) -> tuple[Observer, ...]:
    return tuple(observer for observer in _observers if observer.wants(signal))


# --- the gates ----------------------------------------------------------------------


def _sync_gate(method: str, own: Callable[..., Any]) -> Callable[..., list[tuple[Any, Any]]]:
    robust = method == "send_robust"
    name: SendMethod = "send_robust" if robust else "send"

    def gate(self: Signal, sender: object, **named: Any) -> list[tuple[Any, Any]]:
        if _recorders:
            _record(self, sender, named, name)
        muted = _muted(self, sender)
        if _observers and muted is not EVERY:
            observers = _observing(self)
            if observers:
                return _observed_send(self, sender, named, muted, robust, name, observers)
        if not muted:
            return own(self, sender, **named)  # type: ignore[no-any-return]
        if muted is EVERY:
            return []
        return _dispatch(self, sender, named, muted, robust=robust)

    gate.__name__ = gate.__qualname__ = method
    return gate


def _async_gate(method: str, own: Callable[..., Any]) -> Callable[..., Any]:
    robust = method == "asend_robust"
    name: SendMethod = "asend_robust" if robust else "asend"

    async def gate(self: Signal, sender: object, **named: Any) -> list[tuple[Any, Any]]:
        if _recorders:
            _record(self, sender, named, name)
        muted = _muted(self, sender)
        if _observers and muted is not EVERY:
            observers = _observing(self)
            if observers:
                return await _observed_asend(self, sender, named, muted, robust, name, observers)
        if not muted:
            return await own(self, sender, **named)  # type: ignore[no-any-return]
        if muted is EVERY:
            return []
        return await _adispatch(self, sender, named, muted, robust=robust)

    gate.__name__ = gate.__qualname__ = method
    return gate


def _has_listeners_gate(method: str, own: Callable[..., Any]) -> Callable[..., bool]:
    def has_listeners(self: Signal, sender: object = None) -> bool:
        muted = _muted(self, sender)
        if not muted:
            return own(self, sender)  # type: ignore[no-any-return]
        if muted is EVERY:
            return False
        sync_receivers, async_receivers = _live(self, sender, muted)
        return bool(sync_receivers or async_receivers)

    return has_listeners


_GATE_FACTORIES: dict[str, Callable[[str, Callable[..., Any]], Callable[..., Any]]] = {
    "send": _sync_gate,
    "send_robust": _sync_gate,
    "asend": _async_gate,
    "asend_robust": _async_gate,
    "has_listeners": _has_listeners_gate,
}
# On the Signal class, for ALL, record-everything and observe-everything.
_GATES: dict[str, Callable[..., Any]] = {
    name: _GATE_FACTORIES[name](name, method) for name, method in _DJANGO.items()
}


# A signal muted whole for everyone and recorded by nobody: no receiver runs, nothing is
# recorded, so there is nothing to decide.
def _silent_send(self: Signal, sender: object, **named: Any) -> list[tuple[Any, Any]]:
    return []


async def _silent_asend(self: Signal, sender: object, **named: Any) -> list[tuple[Any, Any]]:
    return []


def _silent_has_listeners(self: Signal, sender: object = None) -> bool:
    return False


_SILENT: dict[str, Callable[..., Any]] = {
    "send": _silent_send,
    "send_robust": _silent_send,
    "asend": _silent_asend,
    "asend_robust": _silent_asend,
    "has_listeners": _silent_has_listeners,
}


# --- dispatch to some receivers (muted_signals(receivers=...)), or observed -------------
# Django's own send loops, for the live receivers minus the muted ones. Receivers still
# get signal=<the signal> and run in Django's order.

Observers = tuple[Observer, ...]


def _live(
    signal: Signal, sender: object, muted: frozenset[Hashable]
) -> tuple[list[Any], list[Any]]:
    if not has_receivers(signal):  # as Signal.send() checks first
        return [], []
    sync_receivers, async_receivers = live_receivers(signal, sender)
    if not muted:
        return sync_receivers, async_receivers
    return (
        [r for r in sync_receivers if receiver_key(r) not in muted],
        [r for r in async_receivers if receiver_key(r) not in muted],
    )


class _inside:
    """Run the block inside every manager, first the outermost. What ``__exit__`` returns is
    ignored: an observer cannot swallow the exception. A class of this module, not a
    ``contextlib`` generator: observers find the sender's frame by skipping signalkit's."""

    __slots__ = ("entered", "managers")

    def __init__(self, managers: Sequence[AbstractContextManager[object]]) -> None:
        self.managers = managers
        self.entered = 0

    def __enter__(self) -> None:
        try:
            for manager in self.managers:
                manager.__enter__()
                self.entered += 1
        except BaseException as exc:
            self.__exit__(type(exc), exc, exc.__traceback__)
            raise

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for manager in reversed(self.managers[: self.entered]):
            manager.__exit__(exc_type, exc, traceback)


def _run(
    signal: Signal, receiver: Any, sender: object, named: dict[str, Any], observers: Observers
) -> Any:
    if not observers:
        return receiver(signal=signal, sender=sender, **named)
    if len(observers) == 1:  # the usual case, without _inside's loop
        with observers[0].receiver(signal, sender, receiver):
            return receiver(signal=signal, sender=sender, **named)
    with _inside([observer.receiver(signal, sender, receiver) for observer in observers]):
        return receiver(signal=signal, sender=sender, **named)


async def _arun(
    signal: Signal, receiver: Any, sender: object, named: dict[str, Any], observers: Observers
) -> Any:
    if not observers:
        return await receiver(signal=signal, sender=sender, **named)
    return await in_own_context(_aobserved(signal, receiver, sender, named, observers))


async def _aobserved(
    signal: Signal, receiver: Any, sender: object, named: dict[str, Any], observers: Observers
) -> Any:
    # Runs as the receiver's coroutine: the observers' managers are made and entered in its
    # context, not the caller's.
    with _inside([observer.receiver(signal, sender, receiver) for observer in observers]):
        return await receiver(signal=signal, sender=sender, **named)


def _call(
    signal: Signal,
    receiver: Any,
    sender: object,
    named: dict[str, Any],
    robust: bool,
    observers: Observers = (),
) -> Any:
    if not robust:
        return _run(signal, receiver, sender, named, observers)
    try:
        return _run(signal, receiver, sender, named, observers)
    except Exception as err:
        log_robust_failure(signal, receiver, err)
        return err


async def _acall(
    signal: Signal,
    receiver: Any,
    sender: object,
    named: dict[str, Any],
    robust: bool,
    observers: Observers = (),
) -> Any:
    if not robust:
        return await _arun(signal, receiver, sender, named, observers)
    try:
        return await _arun(signal, receiver, sender, named, observers)
    except Exception as err:
        log_robust_failure(signal, receiver, err)
        return err


def _dispatch(
    signal: Signal,
    sender: object,
    named: dict[str, Any],
    muted: frozenset[Hashable],
    robust: bool,
    observers: Observers = (),
) -> list[tuple[Any, Any]]:
    sync_receivers, async_receivers = _live(signal, sender, muted)
    responses = [(r, _call(signal, r, sender, named, robust, observers)) for r in sync_receivers]
    if async_receivers:

        async def gather() -> Sequence[Any]:
            return await run_parallel(
                *(_acall(signal, r, sender, named, robust, observers) for r in async_receivers)
            )

        responses.extend(zip(async_receivers, async_to_sync(gather)(), strict=True))
    return responses


async def _adispatch(
    signal: Signal,
    sender: object,
    named: dict[str, Any],
    muted: frozenset[Hashable],
    robust: bool,
    observers: Observers = (),
) -> list[tuple[Any, Any]]:
    sync_receivers, async_receivers = _live(signal, sender, muted)

    def sync_send() -> list[tuple[Any, Any]]:
        return [(r, _call(signal, r, sender, named, robust, observers)) for r in sync_receivers]

    coroutines = [_acall(signal, r, sender, named, robust, observers) for r in async_receivers]
    responses, async_responses = await run_asend(sync_send if sync_receivers else None, coroutines)
    responses.extend(zip(async_receivers, async_responses, strict=True))
    return responses


def _observed_send(
    signal: Signal,
    sender: object,
    named: dict[str, Any],
    muted: frozenset[Hashable],
    robust: bool,
    method: SendMethod,
    observers: Observers,
) -> list[tuple[Any, Any]]:
    if len(observers) == 1:  # the usual case, without _inside's loop
        with observers[0].send(signal, sender, named, method):
            return _dispatch(signal, sender, named, muted, robust, observers)
    with _inside([observer.send(signal, sender, named, method) for observer in observers]):
        return _dispatch(signal, sender, named, muted, robust, observers)


async def _observed_asend(
    signal: Signal,
    sender: object,
    named: dict[str, Any],
    muted: frozenset[Hashable],
    robust: bool,
    method: SendMethod,
    observers: Observers,
) -> list[tuple[Any, Any]]:
    with _inside([observer.send(signal, sender, named, method) for observer in observers]):
        return await _adispatch(signal, sender, named, muted, robust, observers)
