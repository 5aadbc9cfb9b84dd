"""What a trace shows: ``render()``, ``to_dict()``, and the decorator form."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from django.dispatch import Signal

from signalkit import gate, trace_signals
from signalkit.presentation import duration_text
from signalkit.tracing import ReceiverRun, Trace, TracedSend


@pytest.fixture(autouse=True)
def _no_trace_outlives_its_test() -> Iterator[None]:
    yield
    assert not gate.is_installed(), "a trace was left installed"


def sample() -> Trace:
    """A trace with fixed figures: an order saved, its stock receiver saving a product."""
    product_saved = TracedSend(
        "django.db.models.signals.post_save",
        "shop.Product",
        ("/srv/shop/signals.py", 17),
        "send",
        [ReceiverRun("shop.signals.reindex", "django.db.models.signals.post_save", duration=3e-5)],
        duration=4e-5,
    )
    update_stock = ReceiverRun(
        "shop.signals.update_stock",
        "django.db.models.signals.post_save",
        duration=0.0012,
        queries=2,
        query_time=0.0008,
        sends=[product_saved],
    )
    notify = ReceiverRun(
        "shop.signals.notify",
        "django.db.models.signals.post_save",
        deferred=True,
        deferral="task",
        duration=0.0003,
        queries=1,
        query_time=0.0001,
    )
    failing = ReceiverRun(
        "shop.signals.audit",
        "django.db.models.signals.post_save",
        duration=0.0004,
        error=ValueError("no\nauditor"),
    )
    trace = Trace()
    trace.sends = [
        TracedSend(
            "django.db.models.signals.post_save",
            "shop.Order",
            ("/srv/shop/views.py", 42),
            "send",
            [update_stock, notify, failing],
            duration=0.0031,
        )
    ]
    trace.unreceived = Counter({"django.db.models.signals.pre_init": 3, "tests.probe": 1})
    return trace


def test_render_shows_each_send_with_its_runs_and_their_nested_sends_as_a_tree() -> None:
    assert sample().render().splitlines() == [
        "post_save from shop.Order at /srv/shop/views.py:42  (3 receivers, 3.1 ms)",
        "  shop.signals.update_stock  1.2 ms, 2 queries (0.8 ms)",
        "    post_save from shop.Product at /srv/shop/signals.py:17  (1 receiver, 40 \u00b5s)",
        "      shop.signals.reindex  30 \u00b5s",
        "  shop.signals.notify  [task]  0.3 ms, 1 query (0.1 ms)",
        "  shop.signals.audit  0.4 ms  raised ValueError: no auditor",
        "... and 4 sends that reached no receiver (pre_init \u00d73, probe \u00d71)",
    ]


def test_render_says_when_no_send_reached_a_receiver() -> None:
    trace = Trace()
    trace.unreceived = Counter({"tests.probe": 1})

    assert trace.render() == "1 send reached no receiver (probe \u00d71)"


def test_render_says_when_nothing_was_sent() -> None:
    assert Trace().render() == "No signal was sent."


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.00004, "40 \u00b5s"), (0.0031, "3.1 ms"), (0.25, "250.0 ms"), (1.25, "1.25 s")],
)
def test_durations_read_in_the_unit_that_suits_them(seconds: float, text: str) -> None:
    assert duration_text(seconds) == text


def test_render_shows_the_origin_relative_to_the_import_path() -> None:
    signal = Signal()
    signal.connect(quiet)
    with trace_signals() as trace:
        signal.send(sender=None)

    origin = r".* from None at tests/test_tracing_report\.py:\d+  \(1 receiver, "
    assert re.match(origin, trace.render())


def quiet(sender: object, **kwargs: Any) -> None:
    pass


def test_to_dict_is_json_with_the_nested_sends_and_the_counts() -> None:
    data = json.loads(json.dumps(sample().to_dict()))

    update_stock = data["sends"][0]["runs"][0]
    assert update_stock["sends"][0]["runs"][0]["receiver_path"] == "shop.signals.reindex"
    assert data["unreceived"] == {"django.db.models.signals.pre_init": 3, "tests.probe": 1}


def test_to_dict_describes_an_error_by_its_type_and_message() -> None:
    failing = sample().to_dict()["sends"][0]["runs"][2]

    assert failing["error"] == {"type": "ValueError", "message": "no auditor"}


def test_to_dict_gives_a_sends_origin_as_file_and_line() -> None:
    send = sample().to_dict()["sends"][0]

    assert send["origin"] == {"file": "/srv/shop/views.py", "line": 42}


# --- the decorator ---------------------------------------------------------------------------


def test_a_decorated_function_gets_a_new_trace_for_each_call() -> None:
    signal = Signal()
    signal.connect(quiet)

    @trace_signals(signal)
    def send_once(trace: Trace) -> Trace:
        signal.send(sender=None)
        return trace

    first, second = send_once(), send_once()

    assert (first is not second, len(first.sends), len(second.sends)) == (True, 1, 1)


def test_a_decorated_function_traces_only_while_it_runs() -> None:
    signal = Signal()
    signal.connect(quiet)

    @trace_signals(signal)
    def keep(trace: Trace) -> Trace:
        return trace

    trace = keep()
    signal.send(sender=None)

    assert trace.sends == []


def test_a_trace_signals_decorator_cannot_be_a_with_block() -> None:
    tracing = trace_signals()
    tracing(lambda trace: None)

    with pytest.raises(RuntimeError, match="is a decorator"):
        tracing.__enter__()


def test_trace_signals_cannot_decorate_a_class() -> None:
    with pytest.raises(TypeError, match="cannot decorate a class"):
        trace_signals()(Trace)
