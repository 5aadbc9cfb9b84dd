from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from example_project.orders.models import Order
from example_project.orders.signals import order_confirmed
from tests.factories import OrderFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def confirmations() -> Iterator[list[Order]]:
    """The orders ``order_confirmed`` is sent for, in order."""
    sent: list[Order] = []

    def record(sender: type[Order], order: Order, **kwargs: Any) -> None:
        sent.append(order)

    order_confirmed.connect(record, dispatch_uid="test_example_orders.record")
    yield sent
    order_confirmed.disconnect(dispatch_uid="test_example_orders.record")


def confirm_url(order: Order) -> str:
    return reverse("orders:confirm", args=[order.pk])


def test_posting_to_confirm_marks_the_order_confirmed(client: Client) -> None:
    order = OrderFactory()

    response = client.post(confirm_url(order))

    assert response.status_code == 302
    assert response["Location"] == reverse("orders:index")
    order.refresh_from_db()
    assert order.confirmed


def test_confirming_sends_order_confirmed_once_with_the_order(
    client: Client, confirmations: list[Order]
) -> None:
    order = OrderFactory()

    client.post(confirm_url(order))

    assert [sent.pk for sent in confirmations] == [order.pk]


def test_confirming_a_confirmed_order_sends_nothing(
    client: Client, confirmations: list[Order]
) -> None:
    order = OrderFactory()
    client.post(confirm_url(order))

    response = client.post(confirm_url(order))

    assert response.status_code == 302
    assert len(confirmations) == 1


def test_get_on_the_confirm_url_is_not_allowed(client: Client, confirmations: list[Order]) -> None:
    order = OrderFactory()

    response = client.get(confirm_url(order))

    assert response.status_code == 405
    order.refresh_from_db()
    assert not order.confirmed
    assert confirmations == []


def test_confirming_an_unknown_order_is_not_found(client: Client) -> None:
    response = client.post(reverse("orders:confirm", args=[987654]))

    assert response.status_code == 404


def test_confirming_without_a_csrf_token_is_forbidden() -> None:
    order = OrderFactory()

    response = Client(enforce_csrf_checks=True).post(confirm_url(order))

    assert response.status_code == 403
    order.refresh_from_db()
    assert not order.confirmed


def test_confirming_an_order_takes_its_quantity_out_of_stock(client: Client) -> None:
    product = ProductFactory(quantity=10)
    order = OrderFactory(product=product, quantity=3)

    client.post(confirm_url(order))
    client.post(confirm_url(order))

    product.refresh_from_db()
    assert product.quantity == 7


def test_a_failing_receiver_is_logged_and_the_confirmation_still_succeeds(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    def explode(sender: type[Order], order: Order, **kwargs: Any) -> None:
        raise RuntimeError("receiver bug")

    product = ProductFactory(quantity=10)
    order = OrderFactory(product=product, quantity=3)
    order_confirmed.connect(explode, dispatch_uid="test_example_orders.explode")
    try:
        with caplog.at_level(logging.ERROR, logger="example_project.orders"):
            response = client.post(confirm_url(order))
    finally:
        order_confirmed.disconnect(dispatch_uid="test_example_orders.explode")

    assert response.status_code == 302
    [record] = [r for r in caplog.records if r.name.startswith("example_project.orders")]
    assert record.levelno == logging.ERROR
    assert "explode" in record.getMessage()
    assert f"order {order.pk}" in record.getMessage()
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], RuntimeError)
    product.refresh_from_db()
    assert product.quantity == 7  # the other receivers still ran


def test_the_shop_page_lists_products_with_their_stock_and_orders(client: Client) -> None:
    order = OrderFactory(product=ProductFactory(name="Moka pot", quantity=4))

    response = client.get(reverse("orders:index"))

    assert response.status_code == 200
    assert b"Moka pot" in response.content
    assert b"<td>4</td>" in response.content
    assert confirm_url(order).encode() in response.content


def test_the_admin_action_confirms_orders_and_sends_order_confirmed(
    admin_client: Client, confirmations: list[Order]
) -> None:
    pending, already = OrderFactory(), OrderFactory(confirmed=True)

    response = admin_client.post(
        reverse("admin:orders_order_changelist"),
        {"action": "confirm_selected", "_selected_action": [pending.pk, already.pk]},
    )

    assert response.status_code == 302
    assert [sent.pk for sent in confirmations] == [pending.pk]
    pending.refresh_from_db()
    assert pending.confirmed
