"""One ``muted_signals`` object shared by threads and asyncio tasks.

Each ``__enter__`` belongs to the thread or task that made it: an ``__exit__`` ends that
thread's or task's latest entry and never another's. The interleaving tests force the
order "A enters, B enters, A exits" with events, then check both; the stress tests let many
threads and tasks enter and leave one object at random and check, after every step, that
each of them is muted exactly while it is inside.
"""

from __future__ import annotations

import asyncio
import random
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.dispatch import Signal

from signalkit import gate, muted_signals, record_signals

WAIT = 10  # seconds; only ever reached when a test is broken


class Ear:
    """A signal with one receiver, and whether a send from this thread reached it.

    Receivers run in the sending thread, so each thread counts its own calls: another
    thread's sends never make this one's look heard.
    """

    def __init__(self) -> None:
        self.signal = Signal()
        self._local = threading.local()
        self.signal.connect(self.receive)

    def receive(self, sender: object, **kwargs: Any) -> None:
        self._local.calls = getattr(self._local, "calls", 0) + 1

    def hears(self) -> bool:
        """Send once from this thread; whether the receiver ran."""
        before = getattr(self._local, "calls", 0)
        self.signal.send(sender=None)
        return getattr(self._local, "calls", 0) > before


@pytest.fixture
def ear() -> Ear:
    return Ear()


@pytest.fixture(autouse=True)
def _no_mute_outlives_its_test() -> Iterator[None]:
    yield
    assert not gate.is_installed(), "a mute or recorder was left active"


def wait(event: threading.Event) -> None:
    assert event.wait(WAIT), "the other thread never got there"


def run_threads(*targets: Callable[[], None]) -> None:
    errors: list[BaseException] = []

    def guarded(target: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                target()
            except BaseException as exc:  # reported in the test's thread
                errors.append(exc)

        return run

    threads = [threading.Thread(target=guarded(target)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    if errors:
        raise errors[0]


# --- two threads, forced interleaving -------------------------------------------------------


def test_a_context_mute_shared_by_threads_ends_only_the_exiting_threads_entry(ear: Ear) -> None:
    mute = muted_signals(ear.signal, scope="context")
    a_entered, b_entered, a_left = threading.Event(), threading.Event(), threading.Event()
    seen: dict[str, bool] = {}

    def thread_a() -> None:
        with mute:
            a_entered.set()
            wait(b_entered)
        seen["A after leaving"] = ear.hears()
        a_left.set()

    def thread_b() -> None:
        wait(a_entered)
        with mute:
            b_entered.set()
            wait(a_left)
            seen["B inside"] = ear.hears()
        seen["B after leaving"] = ear.hears()

    run_threads(thread_a, thread_b)

    assert seen == {"A after leaving": True, "B inside": False, "B after leaving": True}


def test_a_global_mute_shared_by_threads_lasts_until_the_last_thread_leaves(ear: Ear) -> None:
    mute = muted_signals(ear.signal)
    a_entered, b_entered, a_left = threading.Event(), threading.Event(), threading.Event()
    seen: dict[str, bool] = {}

    def thread_a() -> None:
        with mute:
            a_entered.set()
            wait(b_entered)
        seen["A after leaving, B inside"] = ear.hears()
        a_left.set()

    def thread_b() -> None:
        wait(a_entered)
        with mute:
            b_entered.set()
            wait(a_left)
        seen["B after leaving"] = ear.hears()

    run_threads(thread_a, thread_b)

    assert seen == {"A after leaving, B inside": False, "B after leaving": True}


@pytest.mark.parametrize("scope", ["global", "context"])
def test_a_thread_cannot_end_a_mute_another_thread_entered(ear: Ear, scope: Any) -> None:
    mute = muted_signals(ear.signal, scope=scope)
    entered, tried = threading.Event(), threading.Event()
    seen: dict[str, object] = {}

    def owner() -> None:
        with mute:
            entered.set()
            wait(tried)
            seen["owner still muted"] = not ear.hears()

    def intruder() -> None:
        wait(entered)
        try:
            mute.__exit__(None, None, None)
        except RuntimeError as exc:
            seen["intruder"] = str(exc)
        tried.set()

    run_threads(owner, intruder)

    assert "without a matching __enter__() in this thread or asyncio task" in str(seen["intruder"])
    assert seen["owner still muted"] is True
    assert ear.hears()


def test_one_recorder_records_the_sends_of_every_thread(ear: Ear) -> None:
    with record_signals(ear.signal) as recorder:
        run_threads(*[lambda: ear.signal.send(sender=None)] * 3)

    recorder.assert_num_sent(ear.signal, 3)


# --- two asyncio tasks, forced interleaving ------------------------------------------------------


def test_a_context_mute_shared_by_tasks_ends_only_the_exiting_tasks_entry(ear: Ear) -> None:
    mute = muted_signals(ear.signal, scope="context")
    seen: dict[str, bool] = {}

    async def both() -> None:
        a_entered, b_entered, a_left = asyncio.Event(), asyncio.Event(), asyncio.Event()

        async def task_a() -> None:
            with mute:
                a_entered.set()
                await b_entered.wait()
            seen["A after leaving"] = ear.hears()
            a_left.set()

        async def task_b() -> None:
            await a_entered.wait()
            with mute:
                b_entered.set()
                await a_left.wait()
                seen["B inside"] = ear.hears()
            seen["B after leaving"] = ear.hears()

        await asyncio.wait_for(asyncio.gather(task_a(), task_b()), WAIT)

    asyncio.run(both())

    assert seen == {"A after leaving": True, "B inside": False, "B after leaving": True}


def test_a_task_started_inside_a_mute_cannot_end_it(ear: Ear) -> None:
    mute = muted_signals(ear.signal, scope="context")
    seen: dict[str, object] = {}

    async def child() -> None:
        seen["child muted"] = not ear.hears()  # it inherited its parent's context
        with pytest.raises(RuntimeError, match="did not enter it"):
            mute.__exit__(None, None, None)

    async def parent() -> None:
        with mute:
            await asyncio.create_task(child())
            seen["parent still muted"] = not ear.hears()

    asyncio.run(parent())

    assert seen == {"child muted": True, "parent still muted": True}
    assert ear.hears()


# --- misuse --------------------------------------------------------------------------------


def test_exit_without_enter_is_a_clear_runtime_error(ear: Ear) -> None:
    with pytest.raises(RuntimeError, match=r"__exit__\(\) without a matching __enter__\(\)"):
        muted_signals(ear.signal).__exit__(None, None, None)


def test_exiting_once_too_often_is_a_clear_runtime_error_and_changes_nothing(ear: Ear) -> None:
    mute = muted_signals(ear.signal)
    with mute:
        pass

    with mute:
        mute.__exit__(None, None, None)
        assert ear.hears()
        with pytest.raises(RuntimeError, match="without a matching __enter__"):
            mute.__exit__(None, None, None)
        mute.__enter__()  # for the with statement's own __exit__

    assert ear.hears()


# --- stress: random interleavings, checked after every step ---------------------------------


@pytest.mark.parametrize("scope", ["context", "global"])
def test_threads_entering_and_leaving_one_mute_at_random_stay_consistent(
    ear: Ear, scope: Any
) -> None:
    mute = muted_signals(ear.signal, scope=scope)
    threads, steps = 8, 200
    depth = [0] * threads
    lock = threading.Lock()
    start = threading.Barrier(threads)

    def worker(index: int) -> None:
        chance = random.Random(index)
        start.wait(WAIT)
        for _ in range(steps):
            if depth[index] and chance.random() < 0.5:
                mute.__exit__(None, None, None)
                with lock:
                    depth[index] -= 1
            else:
                mute.__enter__()
                with lock:
                    depth[index] += 1
            if scope == "context":
                # Muted exactly while this thread is inside, whatever the others do.
                assert ear.hears() is (depth[index] == 0)
            elif depth[index]:
                assert not ear.hears()
        while depth[index]:
            mute.__exit__(None, None, None)
            depth[index] -= 1

    run_threads(*[lambda index=index: worker(index) for index in range(threads)])

    assert ear.hears()
    assert not gate.is_installed()


def test_tasks_entering_and_leaving_one_context_mute_at_random_stay_consistent(ear: Ear) -> None:
    mute = muted_signals(ear.signal, scope="context")

    async def worker(index: int) -> None:
        chance = random.Random(index)
        depth = 0
        for _ in range(200):
            if depth and chance.random() < 0.5:
                mute.__exit__(None, None, None)
                depth -= 1
            else:
                mute.__enter__()
                depth += 1
            await asyncio.sleep(0)  # let the other tasks interleave
            assert ear.hears() is (depth == 0)
        while depth:
            mute.__exit__(None, None, None)
            depth -= 1

    async def all_of_them() -> None:
        await asyncio.wait_for(asyncio.gather(*(worker(index) for index in range(8))), WAIT)

    asyncio.run(all_of_them())

    assert ear.hears()
