"""``trace_signals`` with async receivers, ``asend`` and ``asend_robust``, and coroutines."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from contextvars import ContextVar
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.dispatch import Signal

from signalkit import gate, trace_signals
from signalkit.tracing import Trace


@pytest.fixture(autouse=True)
def _no_trace_outlives_its_test() -> Iterator[None]:
    yield
    assert not gate.is_installed(), "a trace was left installed"


@pytest.fixture
def signal() -> Signal:
    return Signal()


async def async_quiet(sender: object, **kwargs: Any) -> str:
    return "async"


def sync_quiet(sender: object, **kwargs: Any) -> str:
    return "sync"


async def async_noisy(sender: object, **kwargs: Any) -> None:
    raise ValueError("the warehouse is closed")


def paths(trace: Trace) -> list[str]:
    return sorted(run.receiver_path.rpartition(".")[2] for run in trace.sends[0].runs)


def test_asend_traces_its_sync_and_async_receivers(signal: Signal) -> None:
    signal.connect(async_quiet)
    signal.connect(sync_quiet)
    with trace_signals() as trace:
        responses = asyncio.run(signal.asend(sender=None))

    assert (trace.sends[0].method, paths(trace)) == ("asend", ["async_quiet", "sync_quiet"])
    assert responses == [(sync_quiet, "sync"), (async_quiet, "async")]


def test_send_traces_its_async_receivers(signal: Signal) -> None:
    signal.connect(async_quiet)
    with trace_signals() as trace:
        signal.send(sender=None)

    assert paths(trace) == ["async_quiet"]


def test_asend_raises_what_an_async_receiver_raised_and_traces_it(signal: Signal) -> None:
    signal.connect(async_noisy)
    with trace_signals() as trace, pytest.raises(ValueError, match="closed") as raised:
        asyncio.run(signal.asend(sender=None))

    assert trace.sends[0].runs[0].error is raised.value


def test_asend_robust_traces_the_error_and_still_returns_it(signal: Signal) -> None:
    signal.connect(async_noisy)
    with trace_signals() as trace:
        [(_, error)] = asyncio.run(signal.asend_robust(sender=None))

    assert (trace.sends[0].method, trace.sends[0].runs[0].error) == ("asend_robust", error)


def test_each_async_receiver_nests_its_own_sends_under_asyncio_gather(signal: Signal) -> None:
    inner = Signal()
    inner.connect(sync_quiet)

    async def main() -> None:
        both_started = asyncio.Event()
        started: list[str] = []

        def receiver(name: str) -> Any:
            async def receive(sender: object, **kwargs: Any) -> None:
                started.append(name)
                if len(started) == 2:
                    both_started.set()
                await both_started.wait()  # both run at once from here
                await inner.asend(sender=name)

            receive.__qualname__ = name
            return receive

        first, second = receiver("first"), receiver("second")
        signal.connect(first)
        signal.connect(second)
        await signal.asend(sender=None)

    with trace_signals() as trace:
        asyncio.run(main())

    nested = {run.receiver_path: [s.sender_label for s in run.sends] for run in trace.sends[0].runs}
    assert nested == {
        "tests.test_tracing_async.first": ["'first'"],
        "tests.test_tracing_async.second": ["'second'"],
    }


def test_a_sync_receiver_of_asend_nests_its_sends_in_its_own_thread(signal: Signal) -> None:
    inner = Signal()
    inner.connect(sync_quiet)
    threads: list[int] = []

    def outer(sender: object, **kwargs: Any) -> None:
        threads.append(threading.get_ident())
        inner.send(sender="inner")

    signal.connect(outer)
    with trace_signals() as trace:
        asyncio.run(signal.asend(sender=None))

    assert threads != [threading.get_ident()]
    assert [send.sender_label for send in trace.sends[0].runs[0].sends] == ["'inner'"]


PROBE: ContextVar[str | None] = ContextVar("signalkit_test_trace_probe", default=None)


async def set_probe(sender: object, **kwargs: Any) -> None:
    PROBE.set("set by a receiver")


@pytest.mark.parametrize("robust", [False, True], ids=["asend", "asend_robust"])
def test_a_traced_asend_hands_context_changes_back_as_djangos_asend_does(
    signal: Signal, robust: bool
) -> None:
    signal.connect(set_probe)

    async def send(tracing: AbstractContextManager[object]) -> str | None:
        PROBE.set(None)
        with tracing:
            await (signal.asend_robust if robust else signal.asend)(sender=None)
        return PROBE.get()

    django_s = async_to_sync(send)(nullcontext())
    traced = async_to_sync(send)(trace_signals())

    assert traced == django_s  # "set by a receiver" on Django 6.1+, None before


def test_a_decorated_coroutine_function_gets_a_trace_of_its_own(signal: Signal) -> None:
    signal.connect(async_quiet)

    @trace_signals(signal)
    async def send_once(trace: Trace) -> Trace:
        await signal.asend(sender=None)
        return trace

    first, second = asyncio.run(send_once()), asyncio.run(send_once())

    assert (first is not second, len(first.sends), len(second.sends)) == (True, 1, 1)
