"""``SignalInstrumentor``: a span per receiver run, with the SDK's in-memory exporter."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from django.db.models.signals import post_save, pre_init
from django.dispatch import Signal
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from signalkit import gate
from signalkit.contrib.opentelemetry import SignalInstrumentor
from tests.shop.models import Order


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def provider(exporter: InMemorySpanExporter) -> TracerProvider:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider


@pytest.fixture
def instrumentor() -> Iterator[SignalInstrumentor]:
    instrumentor = SignalInstrumentor()
    yield instrumentor
    if instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.uninstrument()
    assert not gate.is_installed(), "the instrumentor left a gate installed"


@pytest.fixture
def instrumented(instrumentor: SignalInstrumentor, provider: TracerProvider) -> None:
    instrumentor.instrument(tracer_provider=provider)


@pytest.fixture
def signal() -> Signal:
    return Signal()


def quiet(sender: object, **kwargs: Any) -> None:
    pass


def other_quiet(sender: object, **kwargs: Any) -> None:
    pass


def noisy(sender: object, **kwargs: Any) -> None:
    raise ValueError("the warehouse is closed")


def spans_of(exporter: InMemorySpanExporter, receiver: str) -> list[ReadableSpan]:
    return [
        span
        for span in exporter.get_finished_spans()
        if str((span.attributes or {}).get("signalkit.receiver", "")).endswith(f".{receiver}")
    ]


def test_each_receiver_run_is_one_internal_span(
    instrumented: None, exporter: InMemorySpanExporter, signal: Signal
) -> None:
    signal.connect(quiet)
    signal.connect(other_quiet)
    signal.send(sender=None)

    spans = exporter.get_finished_spans()
    assert [(span.name, span.kind) for span in spans] == [
        ("signal tests.test_opentelemetry.quiet", SpanKind.INTERNAL),
        ("signal tests.test_opentelemetry.other_quiet", SpanKind.INTERNAL),
    ]


def test_a_receiver_span_is_named_after_the_signal_and_the_receiver(
    instrumented: None, exporter: InMemorySpanExporter
) -> None:
    post_save.connect(quiet, sender=Order)
    try:
        post_save.send(sender=Order, instance=None, created=True)
    finally:
        post_save.disconnect(quiet, sender=Order)

    assert [span.name for span in spans_of(exporter, "quiet")] == [
        "post_save tests.test_opentelemetry.quiet"
    ]


def test_a_receiver_span_is_a_child_of_the_current_span(
    instrumented: None, provider: TracerProvider, exporter: InMemorySpanExporter, signal: Signal
) -> None:
    signal.connect(quiet)
    with provider.get_tracer("test").start_as_current_span("request") as request:
        signal.send(sender=None)

    (span,) = spans_of(exporter, "quiet")
    assert span.parent is not None
    assert span.parent.span_id == request.get_span_context().span_id


def test_the_receiver_span_is_current_while_the_receiver_runs(
    instrumented: None, exporter: InMemorySpanExporter, signal: Signal
) -> None:
    current: list[int] = []

    def watch(sender: object, **kwargs: Any) -> None:
        current.append(trace.get_current_span().get_span_context().span_id)

    signal.connect(watch)
    signal.send(sender=None)

    (span,) = spans_of(exporter, "watch")
    assert current == [span.context.span_id]


def test_a_receiver_span_carries_signal_sender_and_receiver(
    instrumented: None, exporter: InMemorySpanExporter
) -> None:
    post_save.connect(quiet, sender=Order)
    try:
        post_save.send(sender=Order, instance=None, created=True)
    finally:
        post_save.disconnect(quiet, sender=Order)

    (span,) = spans_of(exporter, "quiet")
    assert dict(span.attributes or {}) == {
        "signalkit.signal": "django.db.models.signals.post_save",
        "signalkit.sender": "shop.Order",
        "signalkit.receiver": "tests.test_opentelemetry.quiet",
    }


def test_a_receiver_connected_with_a_dispatch_uid_has_it_on_its_span(
    instrumented: None, exporter: InMemorySpanExporter, signal: Signal
) -> None:
    signal.connect(quiet, dispatch_uid=("stock", 7))
    signal.send(sender=None)

    (span,) = spans_of(exporter, "quiet")
    assert (span.attributes or {})["signalkit.dispatch_uid"] == "('stock', 7)"


def test_a_receiver_connected_without_a_dispatch_uid_has_none_on_its_span(
    instrumented: None, exporter: InMemorySpanExporter, signal: Signal
) -> None:
    signal.connect(quiet)
    signal.send(sender=None)

    (span,) = spans_of(exporter, "quiet")
    assert "signalkit.dispatch_uid" not in (span.attributes or {})


def test_a_method_receiver_connected_with_a_dispatch_uid_has_it_on_its_span(
    instrumented: None, exporter: InMemorySpanExporter, signal: Signal
) -> None:
    class Stock:
        def refresh(self, sender: object, **kwargs: Any) -> None:
            pass

    stock = Stock()
    signal.connect(stock.refresh, dispatch_uid="stock-refresh")
    signal.send(sender=None)

    (span,) = spans_of(exporter, "refresh")
    assert (span.attributes or {})["signalkit.dispatch_uid"] == "stock-refresh"


def test_a_send_without_receivers_makes_no_span(
    instrumented: None, exporter: InMemorySpanExporter, signal: Signal
) -> None:
    signal.send(sender=None)

    assert exporter.get_finished_spans() == ()


def test_argument_values_go_into_no_span(
    instrumented: None, exporter: InMemorySpanExporter, signal: Signal
) -> None:
    class Patient:
        def __repr__(self) -> str:
            return "SECRET-patient"

        def __str__(self) -> str:
            return "SECRET-patient"

    signal.connect(quiet)
    signal.connect(noisy)
    signal.send_robust(sender=None, instance=Patient(), note="SECRET-note")

    texts = [
        f"{span.name} {span.attributes} {span.events and span.events[0].attributes}"
        for span in exporter.get_finished_spans()
    ]
    assert len(texts) == 2
    assert not [text for text in texts if "SECRET" in text]


def test_an_exception_is_recorded_on_the_receiver_span_and_still_raised(
    instrumented: None, exporter: InMemorySpanExporter, signal: Signal
) -> None:
    signal.connect(noisy)
    with pytest.raises(ValueError, match="the warehouse is closed"):
        signal.send(sender=None)

    (span,) = spans_of(exporter, "noisy")
    assert span.status.status_code is StatusCode.ERROR
    assert [(event.name, (event.attributes or {})["exception.type"]) for event in span.events] == [
        ("exception", "ValueError")
    ]


def test_send_robust_returns_the_exception_it_recorded_on_the_span(
    instrumented: None, exporter: InMemorySpanExporter, signal: Signal
) -> None:
    signal.connect(noisy)
    ((_, error),) = signal.send_robust(sender=None)

    (span,) = spans_of(exporter, "noisy")
    assert (isinstance(error, ValueError), span.status.status_code) == (True, StatusCode.ERROR)


def test_async_receivers_under_asend_are_children_of_the_span_current_at_the_send(
    instrumented: None, provider: TracerProvider, exporter: InMemorySpanExporter, signal: Signal
) -> None:
    async def first(sender: object, **kwargs: Any) -> None:
        await asyncio.sleep(0)

    async def second(sender: object, **kwargs: Any) -> None:
        await asyncio.sleep(0)

    signal.connect(first)
    signal.connect(second)
    signal.connect(quiet)

    async def request() -> int:
        with provider.get_tracer("test").start_as_current_span("request") as span:
            await signal.asend(sender=None)
            return span.get_span_context().span_id

    request_id = asyncio.run(request())

    parents = {
        span.name.rpartition(".")[2]: span.parent and span.parent.span_id
        for span in spans_of(exporter, "first")
        + spans_of(exporter, "second")
        + spans_of(exporter, "quiet")
    }
    assert parents == {"first": request_id, "second": request_id, "quiet": request_id}


def test_sends_from_async_receivers_are_children_of_the_sending_receivers_span(
    instrumented: None, exporter: InMemorySpanExporter, signal: Signal
) -> None:
    inner = Signal()

    async def first(sender: object, **kwargs: Any) -> None:
        await asyncio.sleep(0)  # let the other receiver start: both spans open at once
        await inner.asend(sender="first")

    async def second(sender: object, **kwargs: Any) -> None:
        await asyncio.sleep(0)
        await inner.asend(sender="second")

    signal.connect(first)
    signal.connect(second)
    inner.connect(quiet)
    asyncio.run(signal.asend(sender=None))

    outer = {
        span.context.span_id: span.name.rpartition(".")[2]
        for span in spans_of(exporter, "first") + spans_of(exporter, "second")
    }
    nested = {
        str((span.attributes or {})["signalkit.sender"]): outer[span.parent.span_id]
        for span in spans_of(exporter, "quiet")
        if span.parent is not None
    }
    assert nested == {"'first'": "first", "'second'": "second"}


def test_an_exception_of_an_async_receiver_is_recorded_on_its_span(
    instrumented: None, exporter: InMemorySpanExporter, signal: Signal
) -> None:
    async def closed(sender: object, **kwargs: Any) -> None:
        raise ValueError("the warehouse is closed")

    signal.connect(closed)
    with pytest.raises(ValueError, match="the warehouse is closed"):
        asyncio.run(signal.asend(sender=None))

    (span,) = spans_of(exporter, "closed")
    assert span.status.status_code is StatusCode.ERROR


def test_uninstrument_gives_the_signals_their_own_send_back(
    instrumentor: SignalInstrumentor, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    original = type(post_save)
    instrumentor.instrument(tracer_provider=provider)
    assert gate.is_installed()

    instrumentor.uninstrument()

    assert (type(post_save), gate.is_installed()) == (original, False)


def test_no_span_after_uninstrument(
    instrumentor: SignalInstrumentor,
    provider: TracerProvider,
    exporter: InMemorySpanExporter,
    signal: Signal,
) -> None:
    signal.connect(quiet)
    instrumentor.instrument(tracer_provider=provider)
    instrumentor.uninstrument()
    signal.send(sender=None)

    assert exporter.get_finished_spans() == ()


def test_excluded_signals_make_no_spans(
    instrumentor: SignalInstrumentor,
    provider: TracerProvider,
    exporter: InMemorySpanExporter,
    signal: Signal,
) -> None:
    kept = Signal()
    for sent in (signal, pre_init, kept):
        sent.connect(quiet)
    instrumentor.instrument(
        tracer_provider=provider, exclude_signals=[signal, "django.db.models.signals.pre_init"]
    )
    try:
        signal.send(sender=None)
        pre_init.send(sender=Order, args=(), kwargs={})
        kept.send(sender=None)
    finally:
        pre_init.disconnect(quiet)

    assert [
        span.attributes and span.attributes["signalkit.sender"]
        for span in exporter.get_finished_spans()
    ] == ["None"]


def test_exclude_signals_names_a_path_that_is_no_signal(
    instrumentor: SignalInstrumentor, provider: TracerProvider
) -> None:
    with pytest.raises(
        ValueError, match=r"'django\.db\.models\.signals\.nothing' is not the dotted"
    ):
        instrumentor.instrument(
            tracer_provider=provider, exclude_signals=["django.db.models.signals.nothing"]
        )


def test_exclude_signals_wants_a_list_not_one_signal(
    instrumentor: SignalInstrumentor, provider: TracerProvider
) -> None:
    with pytest.raises(TypeError, match="exclude_signals takes a list of signals"):
        instrumentor.instrument(tracer_provider=provider, exclude_signals=post_save)


def test_exclude_signals_rejects_what_is_no_signal(
    instrumentor: SignalInstrumentor, provider: TracerProvider
) -> None:
    with pytest.raises(TypeError, match=r"not 'django\.db\.models\.Model'"):
        instrumentor.instrument(
            tracer_provider=provider, exclude_signals=["django.db.models.Model"]
        )
