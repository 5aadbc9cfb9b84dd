"""StockMovementMixin in forced interleavings: one change paused inside a receiver connected
after signalkit's, while another runs into it, at each isolation level.

Every test checks the ledger: each product's stock is its initial stock minus the
quantities of the orders that exist. At READ COMMITTED (Django's default on PostgreSQL and
on MariaDB) both changes go through; at REPEATABLE READ and SERIALIZABLE the database may
refuse one of them instead (a serialization failure, a deadlock), and then that change is
rolled back whole.

Skipped unless the suite runs on PostgreSQL or MariaDB (see tests/conftest.py).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import IntegrityError
from django.db.models.signals import post_save, pre_delete, pre_save
from django.dispatch import Signal

from tests.factories import OrderFactory, ProductFactory
from tests.shop.models import Order, Product
from tests.test_stock import stock
from tests.test_stock_concurrency import ISOLATION_LEVELS, Race, Worker, ledger_errors, refused

pytestmark = [pytest.mark.server_database, pytest.mark.django_db(transaction=True)]

CREATED = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
WEBHOOK_PK = 4242


@pytest.fixture(params=ISOLATION_LEVELS)
def isolation(request: pytest.FixtureRequest) -> str:
    level: str = request.param
    return level


def went_through(isolation: str, *workers: Worker) -> bool:
    """Whether the changes all went through: required at READ COMMITTED; at the stricter
    levels the database may refuse all but one, which must go through."""
    passed = [not refused(worker) for worker in workers]
    if isolation == "read committed":
        assert all(passed), [worker.error for worker in workers]
    else:
        assert any(passed), [worker.error for worker in workers]
    return all(passed)


def quantities() -> list[tuple[int, int, int]]:
    """Every order as (pk, product pk, quantity)."""
    return list(Order.objects.order_by("pk").values_list("pk", "product_id", "quantity"))


# --- creating ---------------------------------------------------------------------------------


@pytest.mark.parametrize("pause_in", [pre_save, post_save], ids=["pre_save", "post_save"])
def test_a_webhook_delivered_twice_at_once_takes_the_stock_once(
    isolation: str, pause_in: Signal
) -> None:
    product = ProductFactory(quantity=10)

    def deliver() -> None:
        Order(pk=WEBHOOK_PK, product_id=product.pk, quantity=3, created_at=CREATED).save()

    with Race(isolation) as race:
        first = race.run(deliver, pause_in=pause_in)  # no row read; 3 taken
        second = race.run(deliver)  # no row read either; waits for the product's row
        first.resume()

    went_through(isolation, first, second)  # the second one as an update of the row
    assert ledger_errors({product.pk: 10}) == {}
    assert quantities() == [(WEBHOOK_PK, product.pk, 3)]
    assert stock(product) == 7


def test_a_webhook_without_its_creation_time_delivered_twice_fails_as_one_after_the_other(
    isolation: str,
) -> None:
    product = ProductFactory(quantity=10)

    def deliver() -> None:  # created_at is auto_now_add: set by the INSERT only
        Order(pk=WEBHOOK_PK, product_id=product.pk, quantity=3).save()

    with Race(isolation) as race:
        first = race.run(deliver, pause_in=pre_save)
        second = race.run(deliver)
        first.resume()

    # Run one after the other, the second save() would be Django's UPDATE of the stored
    # row, writing created_at = NULL; run at once, the retry as an update does the same.
    [failed] = [worker for worker in (first, second) if refused(worker)]
    if isolation == "read committed":
        assert isinstance(failed.error, IntegrityError)
    assert ledger_errors({product.pk: 10}) == {}
    assert quantities() == [(WEBHOOK_PK, product.pk, 3)]


def test_an_order_created_again_while_a_stale_copy_is_deleted_is_never_lost(
    isolation: str,
) -> None:
    product = ProductFactory(quantity=10)
    stale = OrderFactory(product=product, quantity=2)
    Order.objects.filter(pk=stale.pk).delete()  # `stale` still has its pk

    def create_again() -> None:
        Order(pk=stale.pk, product_id=product.pk, quantity=4, created_at=CREATED).save()

    with Race(isolation) as race:
        deleting = race.run(stale.delete, pause_in=pre_delete)  # no row read: nothing to give
        creating = race.run(create_again)  # inserts the row, takes 4
        deleting.resume()  # its DELETE now meets the new row

    assert ledger_errors({product.pk: 10}) == {}
    if went_through(isolation, deleting, creating) and isolation == "read committed":
        # The deletion saw it had removed a row it had not read, and ran again.
        assert quantities() == []
        assert stock(product) == 10


# --- changing and deleting --------------------------------------------------------------------


def test_deleting_an_order_while_its_quantity_changes_gives_back_the_new_quantity(
    isolation: str,
) -> None:
    product = ProductFactory(quantity=10)
    order = OrderFactory(product=product, quantity=2)
    changed, deleted = Order.objects.get(pk=order.pk), Order.objects.get(pk=order.pk)
    changed.quantity = 5

    with Race(isolation) as race:
        changing = race.run(changed.save, pause_in=pre_save)  # row locked, 3 more taken
        deleting = race.run(deleted.delete)  # waits for the row
        changing.resume()

    assert ledger_errors({product.pk: 10}) == {}
    if went_through(isolation, changing, deleting):
        assert quantities() == []
        assert stock(product) == 10


def test_changing_the_quantity_of_an_order_being_deleted_saves_it_again(isolation: str) -> None:
    product = ProductFactory(quantity=10)
    order = OrderFactory(product=product, quantity=2)
    changed, deleted = Order.objects.get(pk=order.pk), Order.objects.get(pk=order.pk)
    changed.quantity = 5

    with Race(isolation) as race:
        deleting = race.run(deleted.delete, pause_in=pre_delete)  # row locked, 2 to give back
        changing = race.run(changed.save)  # waits for the row
        deleting.resume()

    assert ledger_errors({product.pk: 10}) == {}
    if went_through(isolation, deleting, changing):
        # Django's save() of an object whose row is gone inserts it again.
        assert quantities() == [(order.pk, product.pk, 5)]
        assert stock(product) == 5


def test_two_stale_copies_of_a_deleted_order_saved_at_once_take_the_stock_once(
    isolation: str,
) -> None:
    product = ProductFactory(quantity=10)
    order = OrderFactory(product=product, quantity=1)
    first_copy, second_copy = Order.objects.get(pk=order.pk), Order.objects.get(pk=order.pk)
    Order.objects.filter(pk=order.pk).delete()
    first_copy.quantity, second_copy.quantity = 5, 2

    with Race(isolation) as race:
        first = race.run(first_copy.save, pause_in=pre_save)  # no row read: takes 5, inserts
        second = race.run(second_copy.save)  # no row read either; waits for the product
        first.resume()

    assert ledger_errors({product.pk: 10}) == {}
    if went_through(isolation, first, second):
        assert quantities() == [(order.pk, product.pk, 2)]  # the second saved over the first
        assert stock(product) == 8


def test_a_stale_copy_deleted_while_another_saves_the_order_again_gives_back_what_it_deletes(
    isolation: str,
) -> None:
    product = ProductFactory(quantity=10)
    order = OrderFactory(product=product, quantity=1)
    saved, deleted = Order.objects.get(pk=order.pk), Order.objects.get(pk=order.pk)
    Order.objects.filter(pk=order.pk).delete()
    saved.quantity = 4

    with Race(isolation) as race:
        deleting = race.run(deleted.delete, pause_in=pre_delete)  # no row read: gives nothing
        saving = race.run(saved.save)  # inserts the order again, takes 4
        deleting.resume()

    assert ledger_errors({product.pk: 10}) == {}
    if went_through(isolation, deleting, saving) and isolation == "read committed":
        assert quantities() == []
        assert stock(product) == 10


def test_a_queryset_delete_while_one_of_its_orders_changes_moves_every_unit(
    isolation: str,
) -> None:
    product, other = ProductFactory(quantity=10), ProductFactory(quantity=10)
    first, _ = OrderFactory(product=product, quantity=1), OrderFactory(product=product, quantity=2)
    kept = OrderFactory(product=other, quantity=3)
    changed = Order.objects.get(pk=first.pk)
    changed.quantity = 4

    with Race(isolation) as race:
        deleting = race.run(
            lambda: Order.objects.filter(product=product).delete(), pause_in=pre_delete
        )  # both rows locked
        changing = race.run(changed.save)  # waits for its row
        deleting.resume()

    assert ledger_errors({product.pk: 10, other.pk: 10}) == {}
    if went_through(isolation, deleting, changing):
        assert quantities() == [(first.pk, product.pk, 4), (kept.pk, other.pk, 3)]
        assert (stock(product), stock(other)) == (6, 7)


# --- changing twice ---------------------------------------------------------------------------


def test_moving_an_order_while_its_quantity_changes_moves_and_changes_it(isolation: str) -> None:
    old, new = ProductFactory(quantity=10), ProductFactory(quantity=10)
    order = OrderFactory(product=old, quantity=2)
    moved, changed = Order.objects.get(pk=order.pk), Order.objects.get(pk=order.pk)
    moved.product_id = new.pk
    changed.quantity = 5

    with Race(isolation) as race:
        moving = race.run(moved.save, pause_in=pre_save)  # row locked; 2 moved old -> new
        changing = race.run(lambda: changed.save(update_fields=["quantity"]))  # waits
        moving.resume()

    assert ledger_errors({old.pk: 10, new.pk: 10}) == {}
    if went_through(isolation, moving, changing):
        assert quantities() == [(order.pk, new.pk, 5)]
        assert (stock(old), stock(new)) == (10, 5)


def test_two_quantity_changes_at_once_leave_the_last_one_and_its_stock(isolation: str) -> None:
    product = ProductFactory(quantity=10)
    order = OrderFactory(product=product, quantity=2)
    first_copy, second_copy = Order.objects.get(pk=order.pk), Order.objects.get(pk=order.pk)
    first_copy.quantity, second_copy.quantity = 5, 3

    with Race(isolation) as race:
        first = race.run(first_copy.save, pause_in=pre_save)  # row locked, 3 more taken
        second = race.run(second_copy.save)  # waits for the row
        first.resume()

    assert ledger_errors({product.pk: 10}) == {}
    if went_through(isolation, first, second):
        assert quantities() == [(order.pk, product.pk, 3)]
        assert stock(product) == 7


def test_the_ledger_helper_sees_a_lost_unit() -> None:
    product = ProductFactory(quantity=10)
    OrderFactory(product=product, quantity=2)
    Product.objects.filter(pk=product.pk).update(quantity=7)  # one unit gone astray

    assert ledger_errors({product.pk: 10}) == {product.pk: 1}
