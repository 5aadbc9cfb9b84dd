"""StockMovementMixin under real concurrency: threads, each with its own PostgreSQL
connection, committing for real (``transaction=True``).

Skipped unless the suite runs on PostgreSQL (see tests/conftest.py).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import pytest
from django.db import connection
from django.db.models import Sum

from example_project.orders.models import Order
from example_project.products.models import Product
from signalkit.mixins import InsufficientStock
from tests.factories import OrderFactory, ProductFactory
from tests.test_stock import stock

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]

T = TypeVar("T")
TIMEOUT = 120  # seconds; a deadlock PostgreSQL failed to detect must not hang the suite


def in_threads(count: int, work: Callable[[int, threading.Barrier], T]) -> list[T]:
    """Run ``work(index, barrier)`` in ``count`` threads at once; return the results.

    Every thread starts at a shared barrier (which ``work`` may reuse to stay in step)
    and closes its own database connection when it is done. The first exception raised
    in a thread is raised here.
    """
    barrier = threading.Barrier(count, timeout=TIMEOUT)

    def run(index: int) -> T:
        try:
            barrier.wait()
            return work(index, barrier)
        except BaseException:
            barrier.abort()  # the others stop waiting for this one
            raise
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=count) as pool:
        futures = [pool.submit(run, index) for index in range(count)]
        return [future.result(timeout=TIMEOUT) for future in futures]


def test_eight_threads_ordering_at_once_sell_exactly_the_stock_and_no_more() -> None:
    product = ProductFactory(quantity=300)

    def place_fifty_orders(index: int, barrier: threading.Barrier) -> tuple[int, int]:
        placed = refused = 0
        for _ in range(50):
            try:
                Order.objects.create(product_id=product.pk, quantity=1)
            except InsufficientStock:
                refused += 1
            else:
                placed += 1
        return placed, refused

    results = in_threads(8, place_fifty_orders)

    assert sum(placed for placed, _ in results) == 300
    assert sum(refused for _, refused in results) == 100  # every other order was refused
    assert stock(product) == 0
    assert Order.objects.count() == 300  # a refused order left no row
    assert Order.objects.aggregate(sold=Sum("quantity"))["sold"] == 300


def test_concurrent_quantity_changes_of_many_orders_keep_the_stock_exact() -> None:
    product = ProductFactory(quantity=1000)
    orders = [OrderFactory(product=product, quantity=1) for _ in range(4)]

    def grow_and_shrink(index: int, barrier: threading.Barrier) -> None:
        order = Order.objects.get(pk=orders[index].pk)
        for quantity in [5, 2, 9, 3] * 10:
            order.quantity = quantity
            order.save()

    in_threads(4, grow_and_shrink)

    assert stock(product) == 1000 - 4 * 3


def test_concurrent_product_swaps_finish_without_deadlock_and_move_every_unit() -> None:
    first, second = ProductFactory(quantity=1000), ProductFactory(quantity=1000)
    # Half the orders start on each product, so every round moves orders both ways at once:
    # A to B in some threads while B to A in others, the classic lock-order deadlock.
    orders = [OrderFactory(product=(first, second)[i % 2], quantity=1 + i) for i in range(6)]

    def swap_back_and_forth(index: int, barrier: threading.Barrier) -> None:
        order = Order.objects.get(pk=orders[index].pk)
        for _ in range(20):
            barrier.wait()  # every thread swaps at the same moment
            order.product_id = second.pk if order.product_id == first.pk else first.pk
            order.save()

    in_threads(len(orders), swap_back_and_forth)

    on_first = Order.objects.filter(product=first).aggregate(n=Sum("quantity"))["n"] or 0
    on_second = Order.objects.filter(product=second).aggregate(n=Sum("quantity"))["n"] or 0
    assert (stock(first), stock(second)) == (1000 - on_first, 1000 - on_second)
    assert on_first + on_second == sum(range(1, 7))


def test_deleting_the_same_order_from_two_threads_gives_its_stock_back_once() -> None:
    product = ProductFactory(quantity=10)
    order = OrderFactory(product=product, quantity=4)
    twins = [Order.objects.get(pk=order.pk) for _ in range(2)]

    def delete(index: int, barrier: threading.Barrier) -> None:
        twins[index].delete()

    in_threads(2, delete)

    assert not Order.objects.exists()
    assert Product.objects.get(pk=product.pk).quantity == 10
