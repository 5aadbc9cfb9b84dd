"""StockMovementMixin: the row write follows what the locked read found.

A save reads the stored row (locked) and moves the stock for it; Django's write must then
be the one that read implies: an UPDATE of the locked row, or an INSERT when there was no
row (never an UPDATE that could meet a row another transaction committed meanwhile). A
deletion gives back what it read, and refuses to commit a DELETE that removed a row it
never read. Concurrent versions of these races are in tests/test_stock_races.py; here
they are replayed on one connection, on every database.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import DatabaseError, DataError, IntegrityError, connection, transaction
from django.db.models.signals import pre_delete, pre_save
from django.dispatch import Signal
from django.test.utils import CaptureQueriesContext

from signalkit.mixins import ConcurrentStockChange, InsufficientStock
from signalkit.mixins.stock import ATTEMPTS
from tests.factories import OrderFactory, ProductFactory, UserFactory
from tests.shop.models import Order
from tests.test_stock import statements, stock

pytestmark = pytest.mark.django_db

CREATED = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def insert_behind_the_mixins_back(order: Order) -> None:
    """Insert the order's row as another transaction would: no stock taken here."""
    Order.objects.bypass_stock().bulk_create(
        [Order(pk=order.pk, product_id=order.product_id, quantity=order.quantity)]
    )


Connect = Callable[[Signal, Callable[..., None]], None]


@pytest.fixture
def after_signalkit() -> Iterator[Connect]:
    """Connect a receiver of a signal for orders, which runs after signalkit's."""
    connected: list[tuple[Signal, str]] = []

    def connect(signal: Signal, receiver: Callable[..., None]) -> None:
        uid = f"tests.row-writes.{len(connected)}"
        signal.connect(receiver, sender=Order, weak=False, dispatch_uid=uid)
        connected.append((signal, uid))

    yield connect
    for signal, uid in connected:
        signal.disconnect(sender=Order, dispatch_uid=uid)


# --- saving -----------------------------------------------------------------------------------


def test_an_order_whose_row_is_gone_takes_its_stock_and_is_inserted_without_an_update() -> None:
    order = OrderFactory(product=ProductFactory(quantity=10), quantity=2)
    Order.objects.filter(pk=order.pk).delete()
    order.quantity = 3

    with CaptureQueriesContext(connection) as queries:
        order.save()

    assert statements(queries) == [
        "SELECT shop_order",
        "UPDATE shop_product",
        "INSERT shop_order",
    ]
    assert stock(order.product) == 7


def test_an_order_saved_with_a_new_key_of_its_own_is_inserted_without_an_update() -> None:
    product = ProductFactory(quantity=10)

    with CaptureQueriesContext(connection) as queries:
        Order(pk=4242, product=product, quantity=3, created_at=CREATED).save()

    assert statements(queries) == [
        "SELECT shop_order",
        "UPDATE shop_product",
        "INSERT shop_order",
    ]
    assert stock(product) == 7


def test_a_key_taken_while_the_order_was_inserted_makes_the_save_run_again(
    after_signalkit: Connect, caplog: pytest.LogCaptureFixture
) -> None:
    product = ProductFactory(quantity=10)
    order = Order(pk=4242, product=product, quantity=3, created_at=CREATED)
    attempts: list[int] = []

    def taken_meanwhile(instance: Order, **kwargs: Any) -> None:
        attempts.append(instance.quantity)
        if len(attempts) == 1:  # only while the first attempt runs
            insert_behind_the_mixins_back(instance)

    after_signalkit(pre_save, taken_meanwhile)
    with caplog.at_level(logging.INFO, logger="signalkit.mixins.stock"):
        order.save()

    assert attempts == [3, 3]
    assert "shop.Order pk=4242 was inserted by another transaction" in caplog.text
    assert list(Order.objects.values_list("pk", "quantity")) == [(4242, 3)]
    assert stock(product) == 7


def test_an_insert_refused_for_another_reason_is_not_run_again(after_signalkit: Connect) -> None:
    product = ProductFactory(quantity=10)
    attempts: list[int] = []
    after_signalkit(pre_save, lambda instance, **kwargs: attempts.append(instance.pk))

    # A negative quantity gives stock back, then fails the column's CHECK constraint
    # (MySQL's unsigned column refuses it as out of range: a DataError).
    with pytest.raises((IntegrityError, DataError)):
        Order(pk=4242, product=product, quantity=-1, created_at=CREATED).save()

    assert attempts == [4242]
    assert stock(product) == 10


def test_an_order_saved_with_the_key_of_a_stored_one_updates_it_moving_the_difference() -> None:
    product = ProductFactory(quantity=10)
    stored = OrderFactory(product=product, quantity=3)

    Order(pk=stored.pk, product=product, quantity=5, created_at=CREATED).save()

    assert Order.objects.values_list("quantity", flat=True).get(pk=stored.pk) == 5
    assert stock(product) == 5


def test_update_fields_on_an_order_whose_row_is_gone_raise_djangos_error_moving_nothing() -> None:
    order = OrderFactory(product=ProductFactory(quantity=10), quantity=2)
    Order.objects.filter(pk=order.pk).delete()
    order.quantity = 5

    with (
        CaptureQueriesContext(connection) as queries,
        pytest.raises(DatabaseError, match="Save with update_fields did not affect any rows"),
    ):
        order.save(update_fields=["quantity"])

    assert statements(queries) == ["SELECT shop_order"]
    assert stock(order.product) == 10


def test_a_forced_update_of_an_order_whose_row_is_gone_moves_nothing_and_raises() -> None:
    order = OrderFactory(product=ProductFactory(quantity=10), quantity=2)
    Order.objects.filter(pk=order.pk).delete()

    with (
        CaptureQueriesContext(connection) as queries,
        pytest.raises(DatabaseError, match="Forced update did not affect any rows"),
    ):
        order.save(force_update=True)

    assert statements(queries) == ["SELECT shop_order"]
    assert stock(order.product) == 10


def test_an_order_with_a_key_of_its_own_beyond_the_stock_is_refused_and_not_saved() -> None:
    product = ProductFactory(quantity=2)

    with pytest.raises(InsufficientStock):
        Order(pk=4242, product=product, quantity=3, created_at=CREATED).save()

    assert not Order.objects.exists()
    assert stock(product) == 2


def test_a_forced_insert_of_a_stored_key_keeps_djangos_integrity_error_moving_nothing() -> None:
    product = ProductFactory(quantity=10)
    stored = OrderFactory(product=product, quantity=3)

    with pytest.raises(IntegrityError):
        Order(pk=stored.pk, product=product, quantity=3).save(force_insert=True)

    assert stock(product) == 7
    assert Order.objects.count() == 1


# --- deleting ---------------------------------------------------------------------------------


def test_a_deletion_whose_delete_removed_a_row_it_had_not_read_runs_again(
    after_signalkit: Connect,
    caplog: pytest.LogCaptureFixture,
) -> None:
    product = ProductFactory(quantity=10)
    stale = OrderFactory(product=product, quantity=4)
    Order.objects.filter(pk=stale.pk).delete()  # gone: nothing to read, nothing to give back
    attempts: list[int] = []

    def inserted_meanwhile(instance: Order, **kwargs: Any) -> None:
        attempts.append(instance.pk)
        if len(attempts) == 1:  # only while the first attempt runs
            insert_behind_the_mixins_back(stale)

    after_signalkit(pre_delete, inserted_meanwhile)
    with caplog.at_level(logging.INFO, logger="signalkit.mixins.stock"):
        stale.delete()

    assert len(attempts) == 2
    assert "met a row inserted concurrently; running it again" in caplog.text
    assert not Order.objects.exists()
    assert stock(product) == 10


def test_a_deletion_that_keeps_meeting_rows_it_had_not_read_raises_and_deletes_nothing(
    after_signalkit: Connect,
) -> None:
    product = ProductFactory(quantity=10)
    stale = OrderFactory(product=product, quantity=4)
    Order.objects.filter(pk=stale.pk).delete()
    attempts: list[int] = []

    def inserted_meanwhile(instance: Order, **kwargs: Any) -> None:
        attempts.append(instance.pk)
        insert_behind_the_mixins_back(stale)

    after_signalkit(pre_delete, inserted_meanwhile)
    with pytest.raises(ConcurrentStockChange) as excinfo:
        stale.delete()

    assert len(attempts) == ATTEMPTS
    assert str(excinfo.value) == (
        "Deleting shop.Order rows removed 1 row(s) that another transaction inserted after "
        "this deletion had read and locked its rows, so their stock could not be given back; "
        "the deletion was rolled back. Run it again."
    )
    assert not Order.objects.exists()  # the rows inserted meanwhile were rolled back with it
    assert stock(product) == 10


def test_a_cascade_that_removed_a_row_it_had_not_read_raises_to_the_caller(
    after_signalkit: Connect,
) -> None:
    customer = UserFactory()
    product = ProductFactory(quantity=10)
    first = OrderFactory(product=product, quantity=1, customer=customer)
    second = OrderFactory(product=product, quantity=2, customer=customer)

    def replaced_meanwhile(instance: Order, **kwargs: Any) -> None:
        if instance.pk == first.pk:  # the second is deleted before it is read...
            with connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {Order._meta.db_table} WHERE id = %s", [second.pk])
        else:  # ...and inserted again before the DELETE
            insert_behind_the_mixins_back(second)

    after_signalkit(pre_delete, replaced_meanwhile)
    with pytest.raises(ConcurrentStockChange, match=r"removed 1 row\(s\)"), transaction.atomic():
        customer.delete()

    assert sorted(Order.objects.values_list("pk", flat=True)) == [first.pk, second.pk]
    assert stock(product) == 7


@pytest.mark.django_db(transaction=True)  # rolled back with no statement, as in autocommit
def test_a_failed_deletion_leaves_the_execute_wrappers_of_the_connection_as_they_were(
    after_signalkit: Connect,
) -> None:
    order = OrderFactory(product=ProductFactory(quantity=10), quantity=2)
    seen: list[str] = []

    def fail(**kwargs: Any) -> None:
        raise RuntimeError("a receiver failed")

    def wrapper(execute: Callable[..., Any], sql: str, *args: Any) -> Any:
        seen.append(sql)
        return execute(sql, *args)

    after_signalkit(pre_delete, fail)
    with connection.execute_wrapper(wrapper), pytest.raises(RuntimeError):
        order.delete()
    Order.objects.count()  # the next query

    assert seen
    assert connection.execute_wrappers == []
    assert stock(order.product) == 8


def test_concurrent_stock_change_is_an_operational_error() -> None:
    from django.db import OperationalError

    assert issubclass(ConcurrentStockChange, OperationalError)
