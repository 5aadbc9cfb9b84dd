"""The gate's observers (``signalkit.gate.Observer``): the contract tracing and its
integrations build on."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import pytest
from django.dispatch import Signal

from signalkit import gate, muted_signals

current: ContextVar[str | None] = ContextVar("current", default=None)


class Observer:
    """Writes what it sees in ``events``; ``swallow`` tries to swallow exceptions."""

    def __init__(self, name: str = "observer", *signals: Signal, swallow: bool = False) -> None:
        self.name = name
        self.signals = frozenset(signals)
        self.swallow = swallow
        self.events: list[tuple[Any, ...]] = []

    def wants(self, signal: Signal) -> bool:
        return not self.signals or signal in self.signals

    @contextmanager
    def send(
        self, signal: Signal, sender: object, named: dict[str, Any], method: str
    ) -> Iterator[None]:
        self.events.append((self.name, "send", sender, method))
        try:
            yield
        except BaseException as exc:
            self.events.append((self.name, "send raised", type(exc).__name__))
            if not self.swallow:
                raise
        self.events.append((self.name, "sent", sender))

    @contextmanager
    def receiver(
        self, signal: Signal, sender: object, receiver: Callable[..., Any]
    ) -> Iterator[None]:
        self.events.append((self.name, "run", receiver.__name__))
        token = current.set(receiver.__name__)
        try:
            yield
        except BaseException as exc:
            self.events.append((self.name, "run raised", type(exc).__name__))
            if not self.swallow:
                raise
        finally:
            current.reset(token)
        self.events.append((self.name, "ran", receiver.__name__))


@contextmanager
def observing(*observers: Observer) -> Iterator[None]:
    for observer in observers:
        gate.add_observer(observer)
    try:
        yield
    finally:
        for observer in observers:
            gate.remove_observer(observer)
    assert not gate.is_installed()


@pytest.fixture
def signal() -> Signal:
    return Signal()


def quiet(sender: object, **kwargs: Any) -> str | None:
    return current.get()


def noisy(sender: object, **kwargs: Any) -> None:
    raise ValueError("the warehouse is closed")


def test_an_observer_sees_the_send_around_each_receiver_run(signal: Signal) -> None:
    observer = Observer()
    signal.connect(quiet)
    with observing(observer):
        signal.send(sender="shop")

    assert observer.events == [
        ("observer", "send", "shop", "send"),
        ("observer", "run", "quiet"),
        ("observer", "ran", "quiet"),
        ("observer", "sent", "shop"),
    ]


def test_a_receiver_runs_inside_its_observers_context(signal: Signal) -> None:
    signal.connect(quiet)
    with observing(Observer()):
        [(_, seen)] = signal.send(sender=None)

    assert seen == "quiet"


def test_an_async_receiver_runs_inside_its_observers_context(signal: Signal) -> None:
    async def async_quiet(sender: object, **kwargs: Any) -> str | None:
        return current.get()

    signal.connect(async_quiet)
    with observing(Observer()):
        [(_, seen)] = asyncio.run(signal.asend(sender=None))

    assert seen == "async_quiet"


def test_an_observer_sees_a_send_that_reaches_no_receiver(signal: Signal) -> None:
    observer = Observer()
    with observing(observer):
        signal.send(sender=None)

    assert observer.events == [("observer", "send", None, "send"), ("observer", "sent", None)]


def test_an_observer_cannot_swallow_a_receivers_exception(signal: Signal) -> None:
    observer = Observer(swallow=True)
    signal.connect(noisy)
    with observing(observer), pytest.raises(ValueError, match="closed"):
        signal.send(sender=None)

    assert ("observer", "run raised", "ValueError") in observer.events


def test_observers_nest_in_the_order_they_were_added(signal: Signal) -> None:
    first, second = Observer("first"), Observer("second")
    events: list[tuple[Any, ...]] = []
    first.events = second.events = events
    signal.connect(quiet)
    with observing(first, second):
        signal.send(sender=None)

    assert [event[:2] for event in events] == [
        ("first", "send"),
        ("second", "send"),
        ("first", "run"),
        ("second", "run"),
        ("second", "ran"),
        ("first", "ran"),
        ("second", "sent"),
        ("first", "sent"),
    ]


def test_an_observer_of_some_signals_does_not_see_the_others(signal: Signal) -> None:
    observer = Observer("observer", Signal())
    signal.connect(quiet)
    with observing(observer):
        signal.send(sender=None)

    assert observer.events == []


def test_an_observer_does_not_see_a_muted_receiver(signal: Signal) -> None:
    observer = Observer()
    signal.connect(quiet)
    signal.connect(noisy)
    with observing(observer), muted_signals(signal, receivers=[noisy]):
        signal.send(sender=None)

    assert [event for event in observer.events if event[1] == "run"] == [
        ("observer", "run", "quiet")
    ]


def test_an_observer_does_not_see_a_send_muted_in_this_context(signal: Signal) -> None:
    observer = Observer()
    signal.connect(quiet)
    with observing(observer), muted_signals(signal, scope="context"):
        signal.send(sender=None)

    assert observer.events == []
