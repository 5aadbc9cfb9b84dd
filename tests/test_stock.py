"""StockMovementMixin on the test shop's ``shop.Order``: every way an order moves stock.

``Order.quantity`` units of ``Order.product`` come out of ``Product.quantity`` (the stock).
Query expectations name statements as ``"UPDATE shop_product"``; savepoints and
transaction statements are left out (see :func:`statements`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import DataError, IntegrityError, connection, transaction
from django.db.models import F
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext, isolate_apps

from signalkit.mixins import InsufficientStock, StockMovementMixin, StockMovementQuerySet
from signalkit.mixins.stock import disconnect_stock_model
from tests.factories import OrderFactory, ProductFactory, UserFactory
from tests.shop.models import Order, Product

pytestmark = pytest.mark.django_db

STATEMENT = re.compile(r'^(?:(UPDATE)|(SELECT|INSERT|DELETE)\b.*?\b(?:FROM|INTO))\s+"(\w+)"', re.S)


def stock(product: Product) -> int:
    """The product's stock as stored."""
    return Product.objects.values_list("quantity", flat=True).get(pk=product.pk)


def sql_of(queries: CaptureQueriesContext) -> list[str]:
    """The statements run, with MySQL's `name` quoting written "name" as elsewhere."""
    return [query["sql"].replace("`", '"') for query in queries.captured_queries]


def statements(queries: CaptureQueriesContext) -> list[str]:
    """``["UPDATE shop_product", "INSERT shop_order", ...]``: verb and table."""
    found = []
    for sql in sql_of(queries):
        match = STATEMENT.match(sql)
        if match:
            found.append(f"{match[1] or match[2]} {match[3]}")
    return found


def updated_product_pks(queries: CaptureQueriesContext) -> list[int]:
    """The pks of the products the stock UPDATEs touched, in order."""
    return [
        int(re.search(r'(?:"shop_product"\.)?"id" = (\d+)', sql)[1])  # type: ignore[index]
        for sql in sql_of(queries)
        if sql.startswith('UPDATE "shop_product"')
    ]


# --- creating ---------------------------------------------------------------------------------


def test_creating_an_order_takes_its_quantity_out_of_stock() -> None:
    product = ProductFactory(quantity=10)

    Order.objects.create(product=product, quantity=3)

    assert stock(product) == 7


def test_creating_an_order_is_one_guarded_update_and_no_select_of_the_product() -> None:
    product = ProductFactory(quantity=10)

    with CaptureQueriesContext(connection) as queries:
        Order.objects.create(product=product, quantity=3)

    assert statements(queries) == ["UPDATE shop_product", "INSERT shop_order"]
    [update] = [sql for sql in sql_of(queries) if sql.startswith("UPDATE")]
    assert '"quantity" - 3' in update
    assert '"quantity" >= 3' in update


def test_creating_an_order_from_a_product_id_takes_the_stock_too() -> None:
    product = ProductFactory(quantity=10)

    Order.objects.create(product_id=product.pk, quantity=4)

    assert stock(product) == 6


def test_the_product_cached_on_the_order_reads_the_new_stock() -> None:
    product = ProductFactory(quantity=10)

    order = Order.objects.create(product=product, quantity=3)

    assert order.product is product
    assert product.quantity == 7


def test_saving_the_cached_product_afterwards_does_not_write_a_stale_stock_back() -> None:
    product = ProductFactory(quantity=10)
    Order.objects.create(product=product, quantity=3)
    Product.objects.filter(pk=product.pk).update(quantity=F("quantity") - 2)  # elsewhere

    product.name = "Renamed"
    product.save()

    assert stock(product) == 5


# --- changing -------------------------------------------------------------------------------


def test_increasing_the_quantity_takes_the_difference() -> None:
    order = OrderFactory(product=ProductFactory(quantity=10), quantity=2)

    order.quantity = 5
    order.save()

    assert stock(order.product) == 5


def test_decreasing_the_quantity_gives_the_difference_back() -> None:
    order = OrderFactory(product=ProductFactory(quantity=10), quantity=5)

    order.quantity = 1
    order.save()

    assert stock(order.product) == 9


def test_changing_the_quantity_reads_the_order_and_updates_the_stock_once() -> None:
    order = OrderFactory(product=ProductFactory(quantity=10), quantity=2)

    order.quantity = 5
    with CaptureQueriesContext(connection) as queries:
        order.save()

    assert statements(queries) == [
        "SELECT shop_order",
        "UPDATE shop_product",
        "UPDATE shop_order",
    ]


def test_saving_the_same_quantity_moves_no_stock() -> None:
    order = OrderFactory(product=ProductFactory(quantity=10), quantity=2)

    order.confirmed = True
    with CaptureQueriesContext(connection) as queries:
        order.save()

    assert statements(queries) == ["SELECT shop_order", "UPDATE shop_order"]
    assert stock(order.product) == 8


def test_moving_an_order_to_another_product_gives_back_to_the_old_and_takes_from_the_new() -> None:
    old, new = ProductFactory(quantity=10), ProductFactory(quantity=10)
    order = OrderFactory(product=old, quantity=3)

    order.product = new
    order.save()

    assert (stock(old), stock(new)) == (10, 7)


def test_moving_an_order_and_changing_its_quantity_moves_both_amounts() -> None:
    old, new = ProductFactory(quantity=10), ProductFactory(quantity=10)
    order = OrderFactory(product=old, quantity=3)

    order.product, order.quantity = new, 4
    order.save()

    assert (stock(old), stock(new)) == (10, 6)


@pytest.mark.parametrize("direction", ["to the higher pk", "to the lower pk"])
def test_moving_an_order_updates_each_product_once_in_primary_key_order(direction: str) -> None:
    low, high = ProductFactory(quantity=10), ProductFactory(quantity=10)
    old, new = (low, high) if direction == "to the higher pk" else (high, low)
    order = OrderFactory(product=old, quantity=3)

    order.product = new
    with CaptureQueriesContext(connection) as queries:
        order.save()

    assert updated_product_pks(queries) == [low.pk, high.pk]


# --- update_fields and raw saves ------------------------------------------------------------


def test_update_fields_without_product_or_quantity_moves_no_stock_and_reads_nothing() -> None:
    order = OrderFactory(product=ProductFactory(quantity=10), quantity=2)

    order.quantity = 9  # not saved: not in update_fields
    order.confirmed = True
    with CaptureQueriesContext(connection) as queries:
        order.save(update_fields=["confirmed"])

    assert statements(queries) == ["UPDATE shop_order"]
    assert stock(order.product) == 8


def test_update_fields_with_the_quantity_moves_the_difference() -> None:
    order = OrderFactory(product=ProductFactory(quantity=10), quantity=2)

    order.quantity = 6
    order.save(update_fields=["quantity"])

    assert stock(order.product) == 4


def test_update_fields_with_only_the_quantity_keeps_the_stored_product() -> None:
    old, other = ProductFactory(quantity=10), ProductFactory(quantity=10)
    order = OrderFactory(product=old, quantity=2)

    order.product = other  # not saved: only the quantity is
    order.quantity = 3
    order.save(update_fields=["quantity"])

    assert (stock(old), stock(other)) == (7, 10)
    assert Order.objects.get(pk=order.pk).product_id == old.pk


def test_update_fields_with_only_the_product_moves_the_stored_quantity() -> None:
    old, new = ProductFactory(quantity=10), ProductFactory(quantity=10)
    order = OrderFactory(product=old, quantity=2)

    order.product, order.quantity = new, 5  # the quantity is not saved
    order.save(update_fields=["product"])

    assert (stock(old), stock(new)) == (10, 8)


def test_loading_an_order_fixture_moves_no_stock(tmp_path: Path) -> None:
    product = ProductFactory(quantity=10)
    fields = {"product": product.pk, "quantity": 4, "created_at": "2024-01-01T00:00:00Z"}
    fixture = tmp_path / "orders.json"
    fixture.write_text(json.dumps([{"model": "shop.order", "pk": 4242, "fields": fields}]))

    call_command("loaddata", str(fixture), verbosity=0)
    call_command("loaddata", str(fixture), verbosity=0)  # loading it again changes nothing

    assert Order.objects.get(pk=4242).quantity == 4
    assert stock(product) == 10


# --- deleting -------------------------------------------------------------------------------


def test_deleting_an_order_gives_its_quantity_back() -> None:
    order = OrderFactory(product=ProductFactory(quantity=10), quantity=3)

    order.delete()

    assert stock(order.product) == 10


def test_deleting_an_order_reads_it_then_updates_the_stock_once() -> None:
    order = OrderFactory(product=ProductFactory(quantity=10), quantity=3)

    with CaptureQueriesContext(connection) as queries:
        order.delete()

    assert statements(queries) == [
        "SELECT shop_order",
        "DELETE shop_order",
        "UPDATE shop_product",
    ]


def test_deleting_a_queryset_gives_every_quantity_back_with_one_update_per_product() -> None:
    first, second = ProductFactory(quantity=10), ProductFactory(quantity=10)
    for product, quantity in [(first, 1), (first, 2), (second, 4), (first, 3)]:
        OrderFactory(product=product, quantity=quantity)

    with CaptureQueriesContext(connection) as queries:
        Order.objects.all().delete()

    assert (stock(first), stock(second)) == (10, 10)
    assert updated_product_pks(queries) == sorted([first.pk, second.pk])
    assert statements(queries).count("SELECT shop_order") == 2  # the lock, the collector


def test_deleting_part_of_a_queryset_gives_back_only_those_orders() -> None:
    product = ProductFactory(quantity=10)
    kept = OrderFactory(product=product, quantity=2)
    OrderFactory(product=product, quantity=3)

    Order.objects.exclude(pk=kept.pk).delete()

    assert stock(product) == 8


def test_deleting_a_customer_gives_the_stock_of_their_orders_back() -> None:
    customer = UserFactory()
    product = ProductFactory(quantity=10)
    OrderFactory(product=product, quantity=2, customer=customer)
    OrderFactory(product=product, quantity=3, customer=customer)
    OrderFactory(product=product, quantity=1)  # a guest's order stays

    customer.delete()

    assert Order.objects.count() == 1
    assert stock(product) == 9


def test_deleting_a_product_deletes_its_orders_and_does_not_bring_it_back() -> None:
    product = ProductFactory(quantity=10)
    OrderFactory(product=product, quantity=3)
    other = OrderFactory(product=ProductFactory(quantity=10), quantity=2)

    product.delete()

    assert not Product.objects.filter(pk=product.pk).exists()
    assert list(Order.objects.all()) == [other]
    assert stock(other.product) == 8


def test_deleting_a_stale_order_gives_back_the_stored_quantity() -> None:
    order = OrderFactory(product=ProductFactory(quantity=10), quantity=2)
    stale = Order.objects.get(pk=order.pk)
    order.quantity = 5
    order.save()

    stale.delete()  # stale.quantity is still 2

    assert stock(order.product) == 10


def test_deleting_an_order_twice_gives_its_quantity_back_once() -> None:
    order = OrderFactory(product=ProductFactory(quantity=10), quantity=3)
    twin = Order.objects.get(pk=order.pk)
    order.delete()

    twin.delete()

    assert stock(twin.product) == 10


def test_the_product_cached_on_a_deleted_order_reads_the_new_stock() -> None:
    product = ProductFactory(quantity=10)
    order = OrderFactory(product=product, quantity=3)
    assert product.quantity == 7

    order.delete()

    assert product.quantity == 10


# --- not enough stock -----------------------------------------------------------------------


def test_an_order_beyond_the_stock_raises_insufficient_stock_and_is_not_saved() -> None:
    product = ProductFactory(quantity=2)

    with pytest.raises(InsufficientStock):
        Order.objects.create(product=product, quantity=3)

    assert Order.objects.count() == 0
    assert stock(product) == 2


def test_insufficient_stock_names_the_product_what_was_requested_and_what_is_left() -> None:
    product = ProductFactory(name="Moka pot", quantity=2)

    with pytest.raises(InsufficientStock) as excinfo:
        Order.objects.create(product=product, quantity=3)

    assert (excinfo.value.product, excinfo.value.requested, excinfo.value.available) == (
        product,
        3,
        2,
    )
    assert str(excinfo.value) == (
        f"Not enough stock of Moka pot (shop.Product pk={product.pk}): requested 3, available 2."
    )


def test_an_unsaved_order_that_failed_can_be_saved_once_there_is_stock() -> None:
    product = ProductFactory(quantity=2)
    order = Order(product=product, quantity=3)
    with pytest.raises(InsufficientStock):
        order.save()

    Product.objects.filter(pk=product.pk).update(quantity=5)
    order.save()

    assert order._state.adding is False
    assert stock(product) == 2


def test_the_last_units_can_be_ordered() -> None:
    product = ProductFactory(quantity=3)

    Order.objects.create(product=product, quantity=3)

    assert stock(product) == 0


def test_increasing_beyond_the_stock_raises_and_keeps_the_stored_quantity() -> None:
    order = OrderFactory(product=ProductFactory(quantity=5), quantity=2)

    order.quantity = 10
    with pytest.raises(InsufficientStock) as excinfo:
        order.save()

    assert excinfo.value.requested == 8
    assert Order.objects.get(pk=order.pk).quantity == 2
    assert stock(order.product) == 3


def test_moving_to_a_product_without_enough_stock_leaves_both_products_as_they_were() -> None:
    old, new = ProductFactory(quantity=10), ProductFactory(quantity=1)
    order = OrderFactory(product=old, quantity=3)

    order.product = new
    with pytest.raises(InsufficientStock):
        order.save()

    assert (stock(old), stock(new)) == (7, 1)
    assert Order.objects.get(pk=order.pk).product_id == old.pk


def test_insufficient_stock_inside_atomic_leaves_the_transaction_usable() -> None:
    product = ProductFactory(quantity=5)

    with transaction.atomic():
        Order.objects.create(product=product, quantity=2)
        with pytest.raises(InsufficientStock):
            Order.objects.create(product=product, quantity=4)
        Order.objects.create(product=product, quantity=3)

    assert sorted(Order.objects.values_list("quantity", flat=True)) == [2, 3]
    assert stock(product) == 0


def test_rolling_back_a_savepoint_undoes_its_stock_moves() -> None:
    product = ProductFactory(quantity=10)

    with transaction.atomic():
        kept = Order.objects.create(product=product, quantity=1)
        try:
            with transaction.atomic():
                Order.objects.create(product=product, quantity=2)
                kept.quantity = 4
                kept.save()
                raise RuntimeError("roll back to the savepoint")
        except RuntimeError:
            pass

    assert list(Order.objects.values_list("quantity", flat=True)) == [1]
    assert stock(product) == 9


def test_a_product_that_does_not_exist_raises_does_not_exist() -> None:
    with pytest.raises(Product.DoesNotExist, match=r"shop\.Product with id=987654"):
        Order.objects.create(product_id=987654, quantity=1)

    assert Order.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_in_autocommit_mode_insufficient_stock_leaves_no_order() -> None:
    product = ProductFactory(quantity=2)
    assert connection.get_autocommit()

    with pytest.raises(InsufficientStock):
        Order.objects.create(product=product, quantity=3)

    assert Order.objects.count() == 0
    assert stock(product) == 2


@pytest.mark.django_db(transaction=True)
def test_in_autocommit_mode_a_failing_insert_puts_the_stock_back() -> None:
    product = ProductFactory(quantity=10)

    # A negative quantity gives stock back (+1), then fails the column's CHECK constraint
    # (MySQL's unsigned column refuses it as out of range: a DataError).
    with pytest.raises((IntegrityError, DataError)):
        Order.objects.create(product=product, quantity=-1)

    assert Order.objects.count() == 0
    assert stock(product) == 10


@pytest.mark.django_db(transaction=True)
def test_save_base_outside_a_transaction_is_refused_before_touching_the_stock() -> None:
    product = ProductFactory(quantity=10)

    with pytest.raises(TransactionManagementError, match=r"call save\(\)"):
        Order(product=product, quantity=1).save_base()

    assert stock(product) == 10


# --- stale instances and repeated saves ------------------------------------------------------


def test_a_stale_instance_saved_after_another_change_moves_only_its_own_difference() -> None:
    order = OrderFactory(product=ProductFactory(quantity=10), quantity=2)
    first, second = Order.objects.get(pk=order.pk), Order.objects.get(pk=order.pk)

    first.quantity = 5  # stock 10 - 5
    first.save()
    second.quantity = 4  # loaded with 2, stored 5: gives 1 back
    second.save()

    assert stock(order.product) == 6


def test_saving_an_order_again_moves_nothing() -> None:
    order = OrderFactory(product=ProductFactory(quantity=10), quantity=2)

    order.quantity = 4
    order.save()
    order.save()

    assert stock(order.product) == 6


def test_an_order_saved_after_its_row_was_deleted_is_inserted_and_takes_its_stock() -> None:
    order = OrderFactory(product=ProductFactory(quantity=10), quantity=2)
    Order.objects.filter(pk=order.pk).delete()  # gives 2 back: 10

    order.save()  # Django inserts the row again

    assert Order.objects.filter(pk=order.pk).exists()
    assert stock(order.product) == 8


def test_an_expression_as_quantity_is_refused_with_a_clear_error() -> None:
    order = OrderFactory(product=ProductFactory(quantity=10), quantity=2)

    order.quantity = F("quantity") + 1
    with pytest.raises(TypeError, match=r"Assign the new quantity, e\.g\. order\.quantity \+= 1"):
        order.save()

    assert stock(order.product) == 8


def test_a_quantity_given_as_a_string_is_converted() -> None:
    product = ProductFactory(quantity=10)

    Order.objects.create(product=product, quantity="3")

    assert stock(product) == 7


# --- proxies ---------------------------------------------------------------------------------


@pytest.fixture
def proxy_order() -> Iterator[type[Order]]:
    """A proxy of shop.Order, made up for the test (its receivers disconnected after)."""
    with isolate_apps("tests.shop"):

        class RushOrder(Order):
            class Meta:
                proxy = True
                app_label = "shop"

    yield RushOrder
    disconnect_stock_model(RushOrder)


def test_a_proxy_model_moves_stock_like_its_concrete_model(proxy_order: type[Order]) -> None:
    product = ProductFactory(quantity=10)

    order = proxy_order.objects.create(product=product, quantity=3)
    order.quantity = 4
    order.save()
    assert stock(product) == 6
    order.delete()

    assert stock(product) == 10


def test_a_proxy_queryset_delete_gives_the_stock_back(proxy_order: type[Order]) -> None:
    product = ProductFactory(quantity=10)
    OrderFactory(product=product, quantity=3)

    proxy_order.objects.all().delete()

    assert stock(product) == 10


def test_models_without_the_mixin_keep_djangos_fast_delete() -> None:
    from django.db.models.signals import post_delete, pre_delete

    assert pre_delete.has_listeners(Order)
    assert post_delete.has_listeners(Order)
    assert not pre_delete.has_listeners(Product)
    assert not post_delete.has_listeners(Product)


def test_the_mixin_is_an_abstract_model_whose_default_manager_guards_the_stock() -> None:
    assert StockMovementMixin._meta.abstract
    assert isinstance(Order._default_manager.all(), StockMovementQuerySet)
