"""Property: muting changes which receivers a send reaches, and nothing else.

A hypothesis state machine connects and disconnects receivers (by receiver, by sender, by
``dispatch_uid``, weakly and strongly), lets receivers die (new ones often take their
place, and their ``id()``), enters mutes (a whole signal, some senders, some receivers,
``ALL``, ``ALL`` except this signal, another signal; global and per-context scope),
enters one mute object again, leaves mutes in any order, and lets exceptions, raised by
a receiver or by the block, propagate through a ``with``. A small
model of Django's dispatcher (connection order, lookup keys, ``dispatch_uid``
de-duplication, "any sender" receivers, weak references) says after every step which
receivers each send must call; the signal must call exactly those, in that order, and
``has_listeners()`` must agree, in this thread and in another one. The twin, which no mute
names, keeps its own class throughout, and the Signal class keeps Django's methods unless
an ``ALL`` mute is active. When every mute has ended, the signal must behave exactly as the
twin, which saw the same connects and disconnects and was never muted, with nothing of the
gate left behind (its own class back, no attribute added).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from django.contrib.auth.models import Group, User
from django.db.models.signals import ModelSignal
from django.dispatch import Signal
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from signalkit import ALL, gate, muted_signals
from tests.registry_app.models import StaffUser


class Till:
    """A sender that is not a model."""


class Shop:
    """Another one."""


DJANGO_SEND = vars(Signal)["send"]
UIDS = ("uid-a", "uid-b")
Target = Literal["signal", "all", "all_except_signal", "other_signal"]
# What to mute: target, senders (as named, as meant), receivers' names, scope.
MuteSpec = tuple[Target, list[tuple[object, object]] | None, list[int] | None, str]


class Raised(Exception):
    """What a raising receiver raises; its one argument is the receiver's name."""


class Block(Exception):
    """Raised by the block of a ``with muted_signals(...)``."""


@dataclass(frozen=True)
class Connection:
    """One entry of ``Signal.receivers`` as the model sees it."""

    key: tuple[object, int]  # Django's lookup key: (uid or receiver, id(sender))
    receiver: int
    sender: object  # None: any sender
    strong: bool


@dataclass(frozen=True, eq=False)
class Mute:
    """One active mute (one ``__enter__``) as the model sees it."""

    target: Target
    senders: tuple[object, ...] | None
    receivers: frozenset[int] | None
    scope: Literal["global", "context"]
    manager: muted_signals

    def silences(self, sender: object, receiver: int, *, same_context: bool) -> bool:
        return (
            self.target in ("signal", "all")
            and (self.scope == "global" or same_context)
            and (self.senders is None or any(sender is s for s in self.senders))
            and (self.receivers is None or receiver in self.receivers)
        )


@dataclass(frozen=True)
class Flavour:
    """A plain ``Signal`` with object senders, or a caching ``ModelSignal`` with models."""

    make: Callable[[], Signal]
    # Senders a receiver is connected for; None is "any sender".
    connect_senders: tuple[object, ...]
    # Senders sends come from (a caching ModelSignal cannot send with sender=None).
    send_senders: tuple[object, ...]
    # How a sender may be named in muted_signals(senders=[...]): (name, object it means).
    mute_senders: tuple[tuple[object, object], ...]


PLAIN = Flavour(
    make=Signal,
    connect_senders=(None, Till, Shop),
    send_senders=(None, Till, Shop),
    mute_senders=((Till, Till), (Shop, Shop), (None, None)),
)
MODEL = Flavour(
    make=lambda: ModelSignal(use_caching=True),
    connect_senders=(None, User, StaffUser, Group),
    send_senders=(User, StaffUser, Group),
    mute_senders=((User, User), ("auth.User", User), (StaffUser, StaffUser), (Group, Group)),
)


class MutingMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.log: list[int] = []
        self.held: dict[int, Callable[..., Any]] = {}  # receivers this test keeps alive
        self.raises: dict[int, bool] = {}
        self.connections: list[Connection] = []
        self.mutes: list[Mute] = []
        self.next_name = 0

    @initialize(
        flavour=st.sampled_from([PLAIN, MODEL]),
        receivers=st.lists(
            st.tuples(st.sampled_from([False, False, False, True]), st.integers(0, 3)),
            min_size=1,
            max_size=3,
        ),
    )
    def create_signals_and_receivers(
        self, flavour: Flavour, receivers: list[tuple[bool, int]]
    ) -> None:
        """A fresh signal with one to three receivers, each connected for some sender."""
        self.flavour = flavour
        self.signal = flavour.make()
        self.twin = flavour.make()  # same connects and disconnects, never muted itself
        self.other = Signal()
        for raises, sender in receivers:
            self.new_receiver(raises)
            self._connect(
                self.next_name - 1,
                flavour.connect_senders[sender % len(flavour.connect_senders)],
                None,
                weak=True,
            )

    # --- receivers and connections ---------------------------------------------------------

    @rule(raises=st.sampled_from([False, False, False, True]))
    def new_receiver(self, raises: bool) -> None:
        name, self.next_name = self.next_name, self.next_name + 1
        log = self.log

        def receiver(sender: object, **kwargs: Any) -> int:
            log.append(name)
            if raises:
                raise Raised(name)
            return name

        self.held[name] = receiver
        self.raises[name] = raises

    @precondition(lambda self: self.held)
    @rule(data=st.data())
    def connect(self, data: st.DataObject) -> None:
        name = data.draw(st.sampled_from(sorted(self.held)), label="receiver")
        sender = data.draw(st.sampled_from(self.flavour.connect_senders), label="sender")
        uid = data.draw(st.sampled_from((None, *UIDS)), label="dispatch_uid")
        weak = data.draw(st.booleans(), label="weak")
        self._connect(name, sender, uid, weak=weak)

    @rule(data=st.data())
    def disconnect(self, data: st.DataObject) -> None:
        """Disconnect a receiver, or a dispatch_uid, for one sender (or any sender)."""
        sender = data.draw(st.sampled_from(self.flavour.connect_senders), label="sender")
        if self.held and data.draw(st.booleans(), label="by receiver"):
            name = data.draw(st.sampled_from(sorted(self.held)), label="receiver")
            for signal in (self.signal, self.twin):
                signal.disconnect(self.held[name], sender=sender)
            self._disconnect(self._key(name, sender, None))
        else:
            uid = data.draw(st.sampled_from(UIDS), label="dispatch_uid")
            for signal in (self.signal, self.twin):
                signal.disconnect(sender=sender, dispatch_uid=uid)
            self._disconnect(self._key(None, sender, uid))

    @precondition(lambda self: self.held)
    @rule(data=st.data())
    def drop_receiver(self, data: st.DataObject) -> None:
        """Forget a receiver: it dies unless a strong connection keeps it alive.

        Sometimes a new receiver is created at once and connected as the dead one was,
        as when a test's closures die and the next test connects its own: CPython often
        puts it where the dead one was, so it gets the dead one's ``id()``.
        """
        name = data.draw(st.sampled_from(sorted(self.held)), label="receiver")
        connected = [c for c in self.connections if c.receiver == name]
        alive = weakref.ref(self.held.pop(name))
        if not self._strongly_connected(name):
            assert alive() is None, "something still holds a receiver nobody connected strongly"
        self._forget_the_dead()
        if data.draw(st.booleans(), label="a new receiver in its place"):
            self.new_receiver(raises=False)
            for connection in connected:
                uid = connection.key[0][1] if connection.key[0][0] == "uid" else None
                self._connect(self.next_name - 1, connection.sender, uid, weak=True)

    # --- mutes -----------------------------------------------------------------------------

    @rule(data=st.data())
    def mute(self, data: st.DataObject) -> None:
        self._enter(self._arguments(data.draw(self._mute_specs(), label="muted_signals")))

    @precondition(lambda self: self.mutes)
    @rule(data=st.data())
    def enter_an_active_mute_again(self, data: st.DataObject) -> None:
        mute = data.draw(st.sampled_from(self.mutes), label="mute")
        mute.manager.__enter__()
        self.mutes.append(mute)

    @precondition(lambda self: self.mutes)
    @rule(data=st.data())
    def unmute(self, data: st.DataObject) -> None:
        """Leave any active mute, not only the last one entered."""
        index = data.draw(st.integers(0, len(self.mutes) - 1), label="mute index")
        mute = self.mutes.pop(index)
        mute.manager.__exit__(None, None, None)

    @rule(data=st.data())
    def an_exception_propagates_through_a_mute(self, data: st.DataObject) -> None:
        spec = self._arguments(data.draw(self._mute_specs(), label="muted_signals"))
        sender = data.draw(st.sampled_from(self.flavour.send_senders), label="sender")
        manager = muted_signals(*spec[0], **spec[1])
        self.log.clear()
        raised: int | None = None
        try:
            with manager:
                mute = self._model_mute(manager, spec)
                expected = self._expected(sender, extra=mute)
                self.signal.send(sender=sender)
                raise Block
        except Raised as exc:
            raised = exc.args[0]
        except Block:
            pass
        assert (raised, self.log) == _outcome(expected, self.raises)

    # --- what must hold after every step ---------------------------------------------------

    @invariant()
    def sends_call_exactly_the_receivers_the_model_predicts(self) -> None:
        for sender in self.flavour.send_senders:
            expected = self._expected(sender)
            assert self._send(self.signal, sender) == _outcome(expected, self.raises), (
                f"send(sender={sender!r})"
            )
            assert self.signal.has_listeners(sender) == bool(expected), f"has_listeners({sender!r})"

    @invariant()
    def another_thread_obeys_only_the_global_mutes(self) -> None:
        if not any(mute.scope == "context" for mute in self.mutes):
            return
        results: list[object] = []

        def in_another_thread() -> None:
            for sender in self.flavour.send_senders:
                results.append(self._send(self.signal, sender))
                results.append(self.signal.has_listeners(sender))

        thread = threading.Thread(target=in_another_thread)
        thread.start()
        thread.join()
        expected: list[object] = []
        for sender in self.flavour.send_senders:
            calls = self._expected(sender, same_context=False)
            expected += [_outcome(calls, self.raises), bool(calls)]
        assert results == expected

    @invariant()
    def a_signal_no_mute_names_keeps_djangos_own_methods(self) -> None:
        if not hasattr(self, "twin"):
            return
        assert type(self.twin) is type(self.flavour.make())
        if not any(mute.target in ("all", "all_except_signal") for mute in self.mutes):
            assert vars(Signal)["send"] is DJANGO_SEND

    def teardown(self) -> None:
        """Leave every mute; the signal must then behave as if it had never been muted."""
        while self.mutes:
            self.mutes.pop().manager.__exit__(None, None, None)
        if not hasattr(self, "signal"):
            return
        assert not gate.is_installed(), "the gate outlived the last mute"
        for sender in self.flavour.send_senders:
            assert self._send(self.signal, sender) == self._send(self.twin, sender)
            assert self.signal.has_listeners(sender) == self.twin.has_listeners(sender)
        assert [entry[0] for entry in self.signal.receivers] == [
            entry[0] for entry in self.twin.receivers
        ]
        assert set(vars(self.signal)) == set(vars(self.flavour.make()))
        assert type(self.signal) is type(self.twin)
        self.sends_call_exactly_the_receivers_the_model_predicts()

    # --- the model -------------------------------------------------------------------------

    def _key(self, name: int | None, sender: object, uid: str | None) -> tuple[object, int]:
        return (("uid", uid) if uid is not None else ("receiver", name), id(sender))

    def _connect(self, name: int, sender: object, uid: str | None, *, weak: bool) -> None:
        for signal in (self.signal, self.twin):
            signal.connect(self.held[name], sender=sender, weak=weak, dispatch_uid=uid)
        key = self._key(name, sender, uid)
        if not any(connection.key == key for connection in self.connections):
            self.connections.append(Connection(key, name, sender, strong=not weak))

    def _disconnect(self, key: tuple[object, int]) -> None:
        for index, connection in enumerate(self.connections):
            if connection.key == key:
                del self.connections[index]
                break
        self._forget_the_dead()

    def _strongly_connected(self, name: int) -> bool:
        return any(c.receiver == name and c.strong for c in self.connections)

    def _forget_the_dead(self) -> None:
        # A receiver neither held by the test nor connected strongly has died: its weak
        # connections are gone (Django clears them on the next send or connect).
        alive = set(self.held) | {c.receiver for c in self.connections if c.strong}
        self.connections = [c for c in self.connections if c.receiver in alive]

    def _expected(
        self, sender: object, *, extra: Mute | None = None, same_context: bool = True
    ) -> list[int]:
        mutes = [*self.mutes, *([extra] if extra else [])]
        return [
            c.receiver
            for c in self.connections
            if (c.sender is None or c.sender is sender)
            and not any(
                mute.silences(sender, c.receiver, same_context=same_context) for mute in mutes
            )
        ]

    def _mute_specs(self) -> st.SearchStrategy[MuteSpec]:
        """What to mute, as data: names of receivers, never the functions.

        (Hypothesis keeps what it draws for its report: drawing the receivers themselves
        would keep them alive.)
        """
        names = sorted(self.held)
        return st.tuples(
            st.sampled_from(["signal", "all", "all_except_signal", "other_signal"]),
            st.none() | st.lists(st.sampled_from(self.flavour.mute_senders), max_size=2),
            st.none() | st.lists(st.sampled_from(names), max_size=2) if names else st.none(),
            st.sampled_from(["global", "global", "context"]),
        )

    def _arguments(self, spec: MuteSpec) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """The arguments of muted_signals() for ``spec``: (signals, options)."""
        target, senders, receivers, scope = spec
        signals: tuple[Any, ...] = {
            "signal": (self.signal,),
            "all": (),
            "all_except_signal": (ALL,),
            "other_signal": (self.other,),
        }[target]
        options: dict[str, Any] = {"scope": scope}
        if target == "all_except_signal":
            options["except_"] = [self.signal]
        if senders is not None:
            options["senders"] = [named for named, _ in senders]
        if receivers is not None:
            options["receivers"] = [self.held[name] for name in receivers]
        return signals, options

    def _enter(self, spec: tuple[tuple[Any, ...], dict[str, Any]]) -> None:
        manager = muted_signals(*spec[0], **spec[1])
        manager.__enter__()
        self.mutes.append(self._model_mute(manager, spec))

    def _model_mute(
        self, manager: muted_signals, spec: tuple[tuple[Any, ...], dict[str, Any]]
    ) -> Mute:
        signals, options = spec
        if signals == (self.signal,):
            target: Target = "signal"
        elif signals == ():
            target = "all"
        elif "except_" in options:
            target = "all_except_signal"
        else:
            target = "other_signal"
        meaning = {id(named): meant for named, meant in self.flavour.mute_senders}
        senders = options.get("senders")
        receivers = options.get("receivers")
        names = {id(function): name for name, function in self.held.items()}
        return Mute(
            target=target,
            senders=None if senders is None else tuple(meaning[id(s)] for s in senders),
            receivers=None if receivers is None else frozenset(names[id(r)] for r in receivers),
            scope=options["scope"],
            manager=manager,
        )

    def _send(self, signal: Signal, sender: object) -> tuple[int | None, list[int]]:
        """Send; return (the receiver that raised or None, the receivers called)."""
        self.log.clear()
        try:
            responses = signal.send(sender=sender)
        except Raised as exc:
            return exc.args[0], self.log[:]
        assert [response for _, response in responses] == self.log
        return None, self.log[:]


def _outcome(expected: list[int], raises: dict[int, bool]) -> tuple[int | None, list[int]]:
    """What a send calling ``expected`` in order does: it stops at the first that raises."""
    for index, name in enumerate(expected):
        if raises[name]:
            return name, expected[: index + 1]
    return None, expected


def test_muting_matches_a_model_of_djangos_dispatcher() -> None:
    run_state_machine_as_test(
        MutingMachine,
        settings=settings(
            max_examples=100,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
