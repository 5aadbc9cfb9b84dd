"""``trace_signals``: the sends it sees, the receiver runs under them, and where they nest."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.db.models.signals import ModelSignal, post_save, pre_save
from django.dispatch import Signal

from signalkit import gate, muted_signals, record_signals, trace_signals
from signalkit.tracing import ReceiverRun, Trace, TracedSend
from tests import deferred_receivers
from tests.deferred_receivers import connected
from tests.factories import ProductFactory
from tests.shop.models import Order


@pytest.fixture(autouse=True)
def _no_trace_outlives_its_test() -> Iterator[None]:
    yield
    assert not gate.is_installed(), "a trace was left installed"


@pytest.fixture
def signal() -> Signal:
    return Signal()


@pytest.fixture
def other() -> Signal:
    return Signal()


def quiet(sender: object, **kwargs: Any) -> str:
    return "quiet"


def noisy(sender: object, **kwargs: Any) -> None:
    raise ValueError("the warehouse is closed")


def test_a_send_is_traced_with_its_signal_sender_and_receiver_runs(probe: Signal) -> None:
    probe.connect(quiet)
    with trace_signals() as trace:
        probe.send(sender=Order)

    [send] = trace.sends
    assert (send.signal_path, send.sender_label, send.method) == (
        "tests.probe",
        "shop.Order",
        "send",
    )
    assert [run.receiver_path for run in send.runs] == ["tests.test_tracing.quiet"]


def test_a_traced_send_returns_what_the_receivers_returned(signal: Signal) -> None:
    signal.connect(quiet)
    with trace_signals():
        responses = signal.send(sender=None)

    assert responses == [(quiet, "quiet")]


def test_a_send_made_while_a_receiver_runs_is_nested_under_its_run(
    signal: Signal, other: Signal
) -> None:
    def outer(sender: object, **kwargs: Any) -> None:
        other.send(sender="inner")

    signal.connect(outer)
    other.connect(quiet)
    with trace_signals() as trace:
        signal.send(sender="outer")

    [send] = trace.sends
    [nested] = send.runs[0].sends
    assert (nested.sender_label, [run.receiver_path for run in nested.runs]) == (
        "'inner'",
        ["tests.test_tracing.quiet"],
    )


@pytest.mark.django_db
def test_the_sends_of_a_model_saved_by_a_receiver_are_nested_under_its_run(
    signal: Signal,
) -> None:
    product = ProductFactory()

    def order_one(sender: object, **kwargs: Any) -> None:
        Order.objects.create(product=product, quantity=1)

    signal.connect(order_one)
    with trace_signals(signal, pre_save) as trace:
        signal.send(sender=None)

    [send] = trace.sends
    [nested] = send.runs[0].sends
    assert (nested.signal_path, nested.sender_label) == (
        "django.db.models.signals.pre_save",
        "shop.Order",
    )


def test_a_send_that_reaches_no_receiver_is_counted_not_itemised(probe: Signal) -> None:
    with trace_signals() as trace:
        probe.send(sender=None)
        probe.send(sender=None)

    assert (trace.sends, dict(trace.unreceived)) == ([], {"tests.probe": 2})


@pytest.mark.django_db
def test_a_sends_origin_is_the_line_outside_django_that_made_it() -> None:
    product = ProductFactory()
    with trace_signals(pre_save) as trace:
        Order.objects.create(product=product, quantity=1)
        line = sys._getframe().f_lineno - 1

    [send] = trace.sends
    assert send.origin == (__file__, line)


def test_a_receiver_that_raises_is_traced_with_its_error_and_the_send_raises(
    signal: Signal,
) -> None:
    signal.connect(noisy)
    with trace_signals() as trace, pytest.raises(ValueError, match="closed") as raised:
        signal.send(sender=None)

    assert trace.sends[0].runs[0].error is raised.value


def test_send_robust_traces_the_error_and_still_returns_it(signal: Signal) -> None:
    signal.connect(noisy)
    signal.connect(quiet)
    with trace_signals() as trace:
        [(_, error), (_, response)] = signal.send_robust(sender=None)

    assert [run.error for run in trace.sends[0].runs] == [error, None]
    assert (isinstance(error, ValueError), response) == (True, "quiet")


@pytest.mark.django_db
def test_a_deferred_receivers_run_is_flagged_deferred(signal: Signal) -> None:
    signal.connect(quiet)
    with connected(signal, deferred_receivers.on_commit_receiver), trace_signals() as trace:
        signal.send(sender=None)

    assert [(run.deferred, run.deferral) for run in trace.sends[0].runs] == [
        (False, None),
        (True, "commit"),
    ]


def test_a_narrowed_trace_does_not_trace_other_signals(signal: Signal, other: Signal) -> None:
    other.connect(quiet)
    with trace_signals(signal) as trace:
        other.send(sender=None)

    assert (trace.sends, dict(trace.unreceived)) == ([], {})


def test_a_narrowed_trace_leaves_other_signals_send_djangos_own(signal: Signal) -> None:
    another = ModelSignal(use_caching=True)
    with trace_signals(signal):
        own = type(another).send

    assert own is Signal.send


def test_nothing_is_left_installed_after_a_narrowed_trace() -> None:
    with trace_signals(post_save):
        assert type(post_save) is not ModelSignal

    assert type(post_save) is ModelSignal


def test_nothing_is_left_installed_after_a_trace_of_every_signal() -> None:
    with trace_signals():
        assert gate.is_installed()

    assert not gate.is_installed()


def test_a_send_from_another_thread_is_traced_at_the_top_level(
    signal: Signal, other: Signal
) -> None:
    def outer(sender: object, **kwargs: Any) -> None:
        thread = threading.Thread(target=other.send, kwargs={"sender": "thread"})
        thread.start()
        thread.join()

    signal.connect(outer)
    other.connect(quiet)
    with trace_signals() as trace:
        signal.send(sender="main")

    assert sorted(send.sender_label for send in trace.sends) == ["'main'", "'thread'"]


def test_a_muted_receiver_is_not_traced(signal: Signal) -> None:
    signal.connect(quiet)
    signal.connect(noisy)
    with muted_signals(signal, receivers=[noisy]), trace_signals() as trace:
        signal.send(sender=None)

    assert [run.receiver_path for run in trace.sends[0].runs] == ["tests.test_tracing.quiet"]


def test_a_send_muted_as_a_whole_is_not_traced(signal: Signal) -> None:
    signal.connect(quiet)
    with trace_signals(signal) as trace, muted_signals(signal):
        signal.send(sender=None)

    assert (trace.sends, dict(trace.unreceived)) == ([], {})


def test_a_recorder_records_what_a_trace_traces(signal: Signal) -> None:
    signal.connect(quiet)
    with record_signals(signal) as rec, trace_signals(signal) as trace:
        signal.send(sender=None, attempt=1)

    rec.assert_sent_once(signal, attempt=1)
    assert len(trace.sends) == 1


def test_two_traces_trace_the_same_send(signal: Signal) -> None:
    signal.connect(quiet)
    with trace_signals() as outer, trace_signals(signal) as inner:
        signal.send(sender=None)

    assert (len(outer.sends), len(inner.sends)) == (1, 1)


def test_a_runs_duration_includes_the_runs_nested_in_it(signal: Signal, other: Signal) -> None:
    def outer(sender: object, **kwargs: Any) -> None:
        other.send(sender=None)

    signal.connect(outer)
    other.connect(quiet)
    with trace_signals() as trace:
        signal.send(sender=None)

    run = trace.sends[0].runs[0]
    assert run.duration >= run.sends[0].runs[0].duration > 0


def test_trace_signals_refuses_what_is_not_a_signal() -> None:
    with pytest.raises(
        TypeError, match="trace_signals\\(\\) takes Signal objects, not 'post_save'"
    ):
        trace_signals("post_save")  # type: ignore[arg-type]


def test_a_trace_signals_block_cannot_be_entered_twice() -> None:
    tracing = trace_signals()
    with tracing, pytest.raises(RuntimeError, match="already entered"):
        tracing.__enter__()


# --- start() and stop() ---------------------------------------------------------------------


def test_a_trace_started_and_stopped_by_hand_traces_what_was_sent_between(
    signal: Signal,
) -> None:
    signal.connect(quiet)
    trace = Trace()
    signal.send(sender="before")
    trace.start()
    signal.send(sender="between")
    trace.stop()
    signal.send(sender="after")

    assert [send.sender_label for send in trace.sends] == ["'between'"]


def test_a_trace_started_again_adds_to_what_it_holds(signal: Signal) -> None:
    signal.connect(quiet)
    trace = Trace()
    for sender in ("first", "second"):
        trace.start()
        signal.send(sender=sender)
        trace.stop()

    assert [send.sender_label for send in trace.sends] == ["'first'", "'second'"]


def test_a_trace_tells_whether_it_is_tracing() -> None:
    trace = Trace()
    trace.start()
    tracing = trace.tracing
    trace.stop()

    assert (tracing, trace.tracing) == (True, False)


def test_starting_a_trace_that_is_tracing_is_refused_and_leaves_it_tracing(
    signal: Signal,
) -> None:
    signal.connect(quiet)
    trace = Trace()
    trace.start()
    try:
        with pytest.raises(RuntimeError, match="is tracing already: stop\\(\\) it"):
            trace.start()
        signal.send(sender=None)
    finally:
        trace.stop()

    assert len(trace.sends) == 1


def test_stopping_a_trace_that_is_not_tracing_is_refused() -> None:
    with pytest.raises(RuntimeError, match="is not tracing: start\\(\\) it"):
        Trace().stop()


# --- slowest() -------------------------------------------------------------------------------


def run_of(path: str, duration: float, *sends: TracedSend) -> ReceiverRun:
    return ReceiverRun(path, "tests.probe", duration=duration, sends=list(sends))


def send_of(*runs: ReceiverRun) -> TracedSend:
    return TracedSend("tests.probe", "None", None, "send", list(runs))


def test_slowest_lists_the_longest_runs_nested_ones_included_longest_first() -> None:
    trace = Trace()
    trace.sends = [
        send_of(run_of("a", 0.003, send_of(run_of("nested", 0.002))), run_of("b", 0.001)),
    ]

    assert [run.receiver_path for run in trace.slowest(2)] == ["a", "nested"]


def test_slowest_refuses_a_negative_number() -> None:
    with pytest.raises(ValueError, match="slowest\\(\\) takes the number of runs, 0 or more"):
        Trace().slowest(-1)


def test_slowest_refuses_a_number_that_is_not_an_int() -> None:
    with pytest.raises(TypeError, match="slowest\\(\\) takes the number of runs as an int"):
        Trace().slowest(1.5)  # type: ignore[arg-type]


def test_a_runs_total_queries_adds_its_nested_runs_queries() -> None:
    nested = run_of("nested", 0.001)
    nested.queries = 2
    outer = run_of("outer", 0.002, send_of(nested))
    outer.queries = 1

    assert (outer.queries, outer.total_queries) == (1, 3)
