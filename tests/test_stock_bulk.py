"""StockMovementQuerySet: the bulk paths Django runs without signals."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from signalkit.mixins import InsufficientStock, UntrackedStockChange
from tests.factories import OrderFactory, ProductFactory
from tests.shop.models import Order, Product
from tests.test_stock import statements, stock, updated_product_pks

pytestmark = pytest.mark.django_db


# --- bulk_create ------------------------------------------------------------------------------


def test_bulk_create_takes_the_stock_with_one_update_per_product() -> None:
    first, second = ProductFactory(quantity=10), ProductFactory(quantity=10)
    orders = [
        Order(product=second, quantity=1),
        Order(product=first, quantity=2),
        Order(product=second, quantity=3),
        Order(product=first, quantity=4),
    ]

    with CaptureQueriesContext(connection) as queries:
        created = Order.objects.bulk_create(orders)

    assert len(created) == 4
    assert (stock(first), stock(second)) == (4, 6)
    assert updated_product_pks(queries) == sorted([first.pk, second.pk])
    assert "SELECT shop_product" not in statements(queries)


def test_bulk_create_beyond_the_stock_of_one_product_inserts_nothing() -> None:
    plenty, scarce = ProductFactory(quantity=10), ProductFactory(quantity=3)
    orders = [Order(product=plenty, quantity=1), Order(product=scarce, quantity=2)] * 2

    with pytest.raises(InsufficientStock) as excinfo:
        Order.objects.bulk_create(orders)

    assert (excinfo.value.product, excinfo.value.requested) == (scarce, 4)
    assert Order.objects.count() == 0
    assert (stock(plenty), stock(scarce)) == (10, 3)


def test_bulk_create_refreshes_the_products_cached_on_the_orders() -> None:
    product = ProductFactory(quantity=10)
    assert product.quantity == 10

    Order.objects.bulk_create([Order(product=product, quantity=4)])

    assert product.quantity == 6


@pytest.mark.parametrize("flag", ["ignore_conflicts", "update_conflicts"])
def test_bulk_create_that_may_skip_rows_is_refused(flag: str) -> None:
    product = ProductFactory(quantity=10)

    with pytest.raises(UntrackedStockChange, match=rf"bulk_create\({flag}=True\) cannot tell"):
        Order.objects.bulk_create([Order(product=product, quantity=1)], **{flag: True})

    assert stock(product) == 10


def test_bulk_create_on_a_bypassed_queryset_moves_no_stock() -> None:
    product = ProductFactory(quantity=10)

    Order.objects.bypass_stock().bulk_create([Order(product=product, quantity=4)])

    assert Order.objects.count() == 1
    assert stock(product) == 10


# --- update ------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["quantity", "product", "product_id"])
def test_update_of_a_tracked_field_is_refused_naming_it(field: str) -> None:
    order = OrderFactory(product=ProductFactory(quantity=10), quantity=2)
    value = 5 if field == "quantity" else ProductFactory(quantity=10)
    if field == "product_id":
        value = value.pk

    with pytest.raises(UntrackedStockChange, match=rf"would change {field} of shop\.Order"):
        Order.objects.filter(pk=order.pk).update(**{field: value})

    assert Order.objects.values_list("quantity", "product_id").get(pk=order.pk) == (
        2,
        order.product_id,
    )


def test_the_refusal_says_how_to_do_it_instead() -> None:
    with pytest.raises(UntrackedStockChange) as excinfo:
        Order.objects.update(quantity=1)

    assert "Save each object instead, or call .bypass_stock() first" in str(excinfo.value)


def test_update_of_other_fields_goes_through() -> None:
    order = OrderFactory(product=ProductFactory(quantity=10), quantity=2)

    updated = Order.objects.filter(pk=order.pk).update(confirmed=True)

    assert updated == 1
    assert Order.objects.get(pk=order.pk).confirmed


def test_update_of_a_tracked_field_on_a_bypassed_queryset_moves_no_stock() -> None:
    order = OrderFactory(product=ProductFactory(quantity=10), quantity=2)

    Order.objects.filter(pk=order.pk).bypass_stock().update(quantity=5)

    assert Order.objects.get(pk=order.pk).quantity == 5
    assert stock(order.product) == 8


def test_bypass_stock_survives_further_chaining() -> None:
    order = OrderFactory(product=ProductFactory(quantity=10), quantity=2)

    Order.objects.bypass_stock().filter(pk=order.pk).exclude(quantity=0).update(quantity=3)

    assert Order.objects.get(pk=order.pk).quantity == 3


def test_bypass_stock_does_not_leak_into_the_queryset_it_came_from() -> None:
    guarded = Order.objects.all()
    guarded.bypass_stock()

    with pytest.raises(UntrackedStockChange):
        guarded.update(quantity=1)


# --- bulk_update -----------------------------------------------------------------------------


def test_bulk_update_of_a_tracked_field_is_refused() -> None:
    order = OrderFactory(product=ProductFactory(quantity=10), quantity=2)
    order.quantity = 5

    with pytest.raises(UntrackedStockChange, match=r"bulk_update\(\) would change quantity"):
        Order.objects.bulk_update([order], ["quantity", "confirmed"])

    assert Order.objects.get(pk=order.pk).quantity == 2


def test_bulk_update_of_other_fields_goes_through() -> None:
    orders = OrderFactory.create_batch(2, product=ProductFactory(quantity=10), quantity=1)
    for order in orders:
        order.confirmed = True

    Order.objects.bulk_update(orders, ["confirmed"])

    assert Order.objects.filter(confirmed=True).count() == 2


def test_bulk_update_on_a_bypassed_queryset_moves_no_stock() -> None:
    order = OrderFactory(product=ProductFactory(quantity=10), quantity=2)
    order.quantity = 5

    Order.objects.bypass_stock().bulk_update([order], ["quantity"])

    assert Order.objects.get(pk=order.pk).quantity == 5
    assert stock(order.product) == 8


# --- delete ----------------------------------------------------------------------------------


def test_deleting_many_orders_locks_and_reads_them_in_one_query() -> None:
    product = ProductFactory(quantity=20)
    OrderFactory.create_batch(5, product=product, quantity=2)

    with CaptureQueriesContext(connection) as queries:
        Order.objects.filter(product=product).delete()

    assert statements(queries) == [
        "SELECT shop_order",
        "SELECT shop_order",
        "DELETE shop_order",
        "UPDATE shop_product",
    ]
    assert stock(product) == 20


def test_a_failed_queryset_delete_inside_atomic_leaves_the_stock_as_it_was() -> None:
    product = ProductFactory(quantity=10)
    OrderFactory(product=product, quantity=3)

    try:
        with transaction.atomic():
            Order.objects.all().delete()
            assert stock(product) == 10
            raise RuntimeError("roll back")
    except RuntimeError:
        pass

    assert Order.objects.count() == 1
    assert stock(product) == 7


def test_a_sliced_queryset_delete_is_still_refused_by_django() -> None:
    with pytest.raises(TypeError, match="Cannot use 'limit' or 'offset' with delete"):
        Order.objects.all()[:1].delete()


def test_products_without_orders_are_not_touched() -> None:
    untouched = ProductFactory(quantity=10)
    OrderFactory(product=ProductFactory(quantity=10), quantity=1)

    Order.objects.all().delete()

    assert Product.objects.get(pk=untouched.pk).quantity == 10
