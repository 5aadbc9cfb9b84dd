"""``record_signals`` as a decorator: each call records into a new recorder it is passed."""

from __future__ import annotations

import asyncio
import inspect
import os
import threading
import unittest
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from asgiref.sync import iscoroutinefunction
from django.dispatch import Signal

from signalkit import SignalCall, SignalRecorder, record_signals

pytest_plugins = ["pytester"]

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def signal() -> Signal:
    return Signal()


def test_a_decorated_function_is_passed_a_recorder_of_its_sends(signal: Signal) -> None:
    @record_signals(signal)
    def body(rec: SignalRecorder) -> SignalRecorder:
        signal.send(sender="shop", created=True)
        return rec

    assert body().calls == [SignalCall(signal, "shop", {"created": True})]


def test_the_recorder_comes_after_the_calls_own_positional_arguments(signal: Signal) -> None:
    @record_signals(signal)
    def body(sender: str, rec: SignalRecorder, *, times: int) -> SignalRecorder:
        for _ in range(times):
            signal.send(sender=sender)
        return rec

    body("till", times=2).assert_num_sent(signal, 2, sender="till")


def test_the_recorder_records_only_the_signals_the_decorator_names(signal: Signal) -> None:
    other = Signal()

    @record_signals(signal)
    def body(rec: SignalRecorder) -> SignalRecorder:
        other.send(sender="shop")
        return rec

    recorder = body()

    assert (recorder.signals, recorder.calls) == (frozenset({signal}), [])


def test_each_call_records_into_a_new_recorder(signal: Signal) -> None:
    @record_signals(signal)
    def body(sender: str, rec: SignalRecorder) -> SignalRecorder:
        signal.send(sender=sender)
        return rec

    first, second = body("first"), body("second")

    assert first is not second
    assert [[call.sender for call in rec.calls] for rec in (first, second)] == [
        ["first"],
        ["second"],
    ]


def test_recording_stops_when_the_call_returns(signal: Signal) -> None:
    @record_signals(signal)
    def body(rec: SignalRecorder) -> SignalRecorder:
        return rec

    recorder = body()
    signal.send(sender="after")

    assert recorder.calls == []


def test_an_exception_propagates_and_recording_stops(signal: Signal) -> None:
    kept: list[SignalRecorder] = []

    @record_signals(signal)
    def body(rec: SignalRecorder) -> None:
        kept.append(rec)
        signal.send(sender="before")
        raise LookupError("from the body")

    with pytest.raises(LookupError, match="from the body"):
        body()
    signal.send(sender="after")

    assert [call.sender for call in kept[0].calls] == ["before"]


def test_a_unittest_test_case_method_gets_the_recorder_after_self(signal: Signal) -> None:
    class ShopTests(unittest.TestCase):
        @record_signals(signal)
        def test_ping(self, rec: SignalRecorder) -> None:
            signal.send(sender="shop")
            rec.assert_sent_once(signal, sender="shop")

    result = unittest.TestResult()
    ShopTests("test_ping").run(result)

    assert (result.testsRun, result.errors, result.failures) == (1, [], [])


def test_a_decorated_coroutine_function_stays_one_and_records_while_it_runs(
    signal: Signal,
) -> None:
    @record_signals(signal)
    async def body(rec: SignalRecorder) -> SignalRecorder:
        await asyncio.sleep(0)
        await signal.asend(sender="shop")
        return rec

    recorder = asyncio.run(body())

    assert iscoroutinefunction(body)
    assert recorder.calls == [SignalCall(signal, "shop", {}, "asend")]


def test_a_decorated_generator_records_into_one_recorder_while_its_body_runs_only(
    signal: Signal,
) -> None:
    @record_signals(signal)
    def body(rec: SignalRecorder) -> Iterator[SignalRecorder]:
        signal.send(sender="first")
        yield rec
        signal.send(sender="second")

    generator = body()
    recorder = next(generator)
    signal.send(sender="consumer")  # while the generator is suspended
    next(generator, None)

    assert [call.sender for call in recorder.calls] == ["first", "second"]


def test_a_decorated_async_generator_records_while_its_body_runs_only(signal: Signal) -> None:
    @record_signals(signal)
    async def body(rec: SignalRecorder) -> AsyncIterator[SignalRecorder]:
        signal.send(sender="body")
        yield rec

    async def consume() -> SignalRecorder:
        recorders = []
        async for recorder in body():
            signal.send(sender="consumer")  # while the generator is suspended
            recorders.append(recorder)
        return recorders[0]

    assert [call.sender for call in asyncio.run(consume()).calls] == ["body"]


def test_concurrent_calls_each_record_every_threads_sends_while_they_run_and_no_longer(
    signal: Signal,
) -> None:
    # A recorder records the sends of every thread (as a 'with' block's does); what a call
    # owns is its recorder and its span: from the call's start to its end.
    first_sent, second_sent, first_done = threading.Event(), threading.Event(), threading.Event()
    recorders: dict[str, SignalRecorder] = {}

    @record_signals(signal)
    def call(name: str, rec: SignalRecorder) -> None:
        if name == "first":
            signal.send(sender="first")
            first_sent.set()
            second_sent.wait()
        else:
            signal.send(sender="second")
            second_sent.set()
            first_done.wait()
            signal.send(sender="second again")
        recorders[name] = rec

    def run_first() -> None:
        call("first")
        first_done.set()

    def run_second() -> None:
        first_sent.wait()
        call("second")

    threads = [threading.Thread(target=run_first), threading.Thread(target=run_second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert {name: [c.sender for c in rec.calls] for name, rec in recorders.items()} == {
        "first": ["first", "second"],
        "second": ["second", "second again"],
    }


def test_the_signature_leaves_out_the_recorders_parameter(signal: Signal) -> None:
    @record_signals(signal)
    def test_x(rec: SignalRecorder, db: object) -> None: ...

    class TestShop:
        @record_signals(signal)
        def test_x(self, rec: SignalRecorder, fixture: object) -> None: ...

    assert list(inspect.signature(test_x).parameters) == ["db"]
    assert list(inspect.signature(TestShop.test_x).parameters) == ["self", "fixture"]


def test_a_function_without_a_parameter_for_the_recorder_is_refused_naming_it(
    signal: Signal,
) -> None:
    def test_x() -> None: ...

    with pytest.raises(
        TypeError,
        match=r"record_signals\(\) passes a new SignalRecorder to .*test_x\(\) as an extra "
        r"positional argument, but .*test_x\(\) has no parameter for it",
    ):
        record_signals(signal)(test_x)


def test_decorating_a_class_is_refused_saying_to_decorate_its_test_methods(
    signal: Signal,
) -> None:
    class TestShop:
        def test_x(self, rec: SignalRecorder) -> None: ...

    with pytest.raises(
        TypeError, match=r"cannot decorate a class \(.*TestShop\): decorate its test methods"
    ):
        record_signals(signal)(TestShop)


def test_decorating_what_is_not_a_function_is_refused_naming_it(signal: Signal) -> None:
    with pytest.raises(TypeError, match=r"record_signals\(\) decorates functions, .* not 42\."):
        record_signals(signal)(42)  # type: ignore[arg-type]


def test_one_record_signals_object_may_decorate_several_functions(signal: Signal) -> None:
    recording = record_signals(signal)

    @recording
    def first(rec: SignalRecorder) -> SignalRecorder:
        signal.send(sender="first")
        return rec

    @recording
    def second(rec: SignalRecorder) -> SignalRecorder:
        signal.send(sender="second")
        return rec

    assert [[c.sender for c in rec.calls] for rec in (first(), second())] == [
        ["first"],
        ["second"],
    ]


def test_a_decorating_object_cannot_be_a_with_block(signal: Signal) -> None:
    recording = record_signals(signal)
    recording(lambda rec: None)

    with pytest.raises(RuntimeError, match=r"is a decorator .* for a 'with' block"), recording:
        pass


def test_a_with_block_object_cannot_decorate_while_it_records(signal: Signal) -> None:
    recording = record_signals(signal)

    with recording, pytest.raises(RuntimeError, match=r"is a 'with' block .*cannot decorate"):
        recording(lambda rec: None)


def test_a_with_block_object_cannot_decorate_after_its_block(signal: Signal) -> None:
    recording = record_signals(signal)
    with recording:
        pass

    with pytest.raises(RuntimeError, match=r"is a 'with' block \(finished\), it cannot decorate"):
        recording(lambda rec: None)


# --- under pytest ---------------------------------------------------------------------------

INNER_TESTS = """
import unittest

import pytest
from django.contrib.auth.models import Group
from django.db.models.signals import post_save
from django.dispatch import Signal

from signalkit import record_signals

ping = Signal()


@pytest.fixture
def shop():
    return "shop"


@record_signals(post_save)
def test_a_function_with_the_db_fixture(rec, db):
    Group.objects.create(name="staff")
    rec.assert_sent_once(post_save, sender=Group, created=True)


class TestShop:
    @record_signals(ping)
    def test_a_method_with_a_fixture(self, rec, shop):
        ping.send(sender=shop)
        rec.assert_sent_once(ping, sender="shop")


class ShopTests(unittest.TestCase):
    @record_signals(ping)
    def test_a_test_case_method(self, rec):
        ping.send(sender="shop")
        rec.assert_sent_once(ping, sender="shop")
"""


def test_pytest_takes_no_fixture_for_the_recorder_in_functions_methods_and_test_cases(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    )
    # The inner run takes its settings from its own ini file and its own in-memory database.
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE", raising=False)
    monkeypatch.delenv("SIGNALKIT_DATABASE_URL", raising=False)
    pytester.makeini(
        "[pytest]\nDJANGO_SETTINGS_MODULE = tests.settings\n"
        "addopts = --strict-markers -p no:cacheprovider\nfilterwarnings = error\n"
    )
    pytester.makepyfile(test_shop=INNER_TESTS)

    result = pytester.runpytest_subprocess("-v")

    result.assert_outcomes(passed=3)
