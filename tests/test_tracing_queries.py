"""The database queries of each traced receiver run (run on every database of the suite)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.db import connection
from django.dispatch import Signal

from signalkit import gate, trace_signals
from tests.factories import ProductFactory
from tests.shop.models import Product

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_trace_outlives_its_test() -> Iterator[None]:
    yield
    assert not gate.is_installed(), "a trace was left installed"
    assert connection.execute_wrappers == [], "a query counter was left on the connection"


@pytest.fixture
def signal() -> Signal:
    return Signal()


def count_products(sender: object, **kwargs: Any) -> None:
    Product.objects.count()


def count_products_twice(sender: object, **kwargs: Any) -> None:
    Product.objects.count()
    Product.objects.exists()


def test_each_receiver_run_counts_the_queries_it_made(signal: Signal) -> None:
    signal.connect(count_products)
    signal.connect(count_products_twice)
    with trace_signals() as trace:
        signal.send(sender=None)

    assert [run.queries for run in trace.sends[0].runs] == [1, 2]


def test_a_run_with_queries_has_their_time(signal: Signal) -> None:
    signal.connect(count_products)
    with trace_signals() as trace:
        signal.send(sender=None)

    run = trace.sends[0].runs[0]
    assert 0 < run.query_time <= run.duration


def test_a_runs_queries_leave_out_those_of_the_runs_nested_in_it(signal: Signal) -> None:
    inner = Signal()
    inner.connect(count_products_twice)

    def outer(sender: object, **kwargs: Any) -> None:
        Product.objects.count()
        inner.send(sender=None)

    signal.connect(outer)
    with trace_signals() as trace:
        signal.send(sender=None)

    run = trace.sends[0].runs[0]
    assert (run.queries, run.total_queries) == (1, 3)


def test_the_queries_of_a_model_save_are_counted_in_the_receiver_that_saved(
    signal: Signal,
) -> None:
    def create_product(sender: object, **kwargs: Any) -> None:
        ProductFactory()

    signal.connect(create_product)
    with trace_signals(signal) as trace:
        signal.send(sender=None)

    assert trace.sends[0].runs[0].queries == 1


def test_queries_outside_every_receiver_are_not_counted(signal: Signal) -> None:
    signal.connect(count_products)
    with trace_signals() as trace:
        Product.objects.count()
        signal.send(sender=None)

    assert trace.sends[0].runs[0].total_queries == 1


def test_an_async_receivers_queries_through_sync_to_async_are_counted(signal: Signal) -> None:
    async def count_async(sender: object, **kwargs: Any) -> None:
        await sync_to_async(Product.objects.count)()

    signal.connect(count_async)
    with trace_signals() as trace:
        signal.send(sender=None)

    assert trace.sends[0].runs[0].queries == 1
