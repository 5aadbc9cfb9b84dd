from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from example_project.orders import traces
from example_project.orders.confirmation import confirm_order
from example_project.orders.models import Order
from example_project.orders.signals import order_confirmed
from example_project.products.models import Product
from example_project.tests.factories import OrderFactory, ProductFactory, UserFactory
from signalkit import after_commit

pytestmark = pytest.mark.django_db


@pytest.fixture
def confirmations() -> Iterator[list[Order]]:
    """The orders ``order_confirmed`` is sent for, in order."""
    sent: list[Order] = []

    def record(sender: type[Order], order: Order, **kwargs: Any) -> None:
        sent.append(order)

    order_confirmed.connect(record, dispatch_uid="example_project.tests.test_orders.record")
    yield sent
    order_confirmed.disconnect(dispatch_uid="example_project.tests.test_orders.record")


def confirm_url(order: Order) -> str:
    return reverse("orders:confirm", args=[order.pk])


def place_url(product: Product) -> str:
    return reverse("orders:place", args=[product.pk])


def stock(product: Product) -> int:
    return Product.objects.values_list("quantity", flat=True).get(pk=product.pk)


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


def test_confirming_an_order_leaves_its_stock_alone(client: Client) -> None:
    product = ProductFactory(quantity=10)
    order = OrderFactory(product=product, quantity=3)  # placing it took the stock
    assert stock(product) == 7

    client.post(confirm_url(order))

    assert stock(product) == 7


def test_confirming_an_order_counts_its_units_sold_once(client: Client) -> None:
    product = ProductFactory(quantity=10)
    order = OrderFactory(product=product, quantity=3)

    client.post(confirm_url(order))
    client.post(confirm_url(order))

    assert Product.objects.get(pk=product.pk).units_sold == 3


def test_units_sold_adds_up_in_the_database_not_in_python() -> None:
    product = ProductFactory(quantity=10)
    order = OrderFactory(product=product, quantity=2)
    Product.objects.filter(pk=product.pk).update(units_sold=5)  # product.units_sold is 0

    confirm_order(order)

    assert Product.objects.get(pk=product.pk).units_sold == 7


def test_a_failing_receiver_is_logged_and_the_confirmation_still_succeeds(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    def explode(sender: type[Order], order: Order, **kwargs: Any) -> None:
        raise RuntimeError("receiver bug")

    product = ProductFactory(quantity=10)
    order = OrderFactory(product=product, quantity=3)
    order_confirmed.connect(explode, dispatch_uid="example_project.tests.test_orders.explode")
    try:
        with caplog.at_level(logging.ERROR, logger="example_project.orders"):
            response = client.post(confirm_url(order))
    finally:
        order_confirmed.disconnect(dispatch_uid="example_project.tests.test_orders.explode")

    assert response.status_code == 302
    [record] = [r for r in caplog.records if r.name.startswith("example_project.orders")]
    assert record.levelno == logging.ERROR
    assert "explode" in record.getMessage()
    assert f"order {order.pk}" in record.getMessage()
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], RuntimeError)
    assert Product.objects.get(pk=product.pk).units_sold == 3  # the other receivers still ran


def test_the_shop_page_lists_products_with_their_stock_and_orders(client: Client) -> None:
    order = OrderFactory(product=ProductFactory(name="Moka pot", quantity=5), quantity=1)

    response = client.get(reverse("orders:index"))

    assert response.status_code == 200
    assert b"Moka pot" in response.content
    assert b'<td class="num">4</td>' in response.content
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


# --- placing an order from the shop page ------------------------------------------------------


def test_placing_an_order_takes_its_quantity_out_of_stock(client: Client) -> None:
    product = ProductFactory(name="Moka pot", quantity=5)

    response = client.post(place_url(product), {"quantity": "2"}, follow=True)

    [order] = Order.objects.all()
    assert (order.product, order.quantity, order.customer) == (product, 2, None)
    assert stock(product) == 3
    assert f"Order #{order.pk}: 2 x Moka pot placed." in response.content.decode()


def test_placing_an_order_beyond_the_stock_saves_nothing_and_says_what_is_left(
    client: Client,
) -> None:
    product = ProductFactory(name="Moka pot", quantity=1)

    response = client.post(place_url(product), {"quantity": "3"}, follow=True)

    assert Order.objects.count() == 0
    assert stock(product) == 1
    assert "Not enough Moka pot: you asked for 3, 1 left." in response.content.decode()


@pytest.mark.parametrize("quantity", ["0", "-2", "many"])
def test_placing_an_order_of_no_units_is_refused(client: Client, quantity: str) -> None:
    product = ProductFactory(quantity=5)

    response = client.post(place_url(product), {"quantity": quantity}, follow=True)

    assert Order.objects.count() == 0
    assert "Order at least one." in response.content.decode()


def test_a_logged_in_user_placing_an_order_is_its_customer(client: Client) -> None:
    user = UserFactory()
    client.force_login(user)

    client.post(place_url(ProductFactory(quantity=5)))

    assert Order.objects.get().customer == user


def test_get_on_the_place_url_is_not_allowed(client: Client) -> None:
    response = client.get(place_url(ProductFactory()))

    assert response.status_code == 405


def test_the_shop_page_has_an_order_form_per_product(client: Client) -> None:
    product = ProductFactory()

    response = client.get(reverse("orders:index"))

    assert f'action="{place_url(product)}"'.encode() in response.content


# --- the admin --------------------------------------------------------------------------------


def test_adding_an_order_in_the_admin_takes_its_stock(admin_client: Client) -> None:
    product = ProductFactory(quantity=5)

    response = admin_client.post(
        reverse("admin:orders_order_add"), {"product": product.pk, "quantity": 2}
    )

    assert response.status_code == 302
    assert stock(product) == 3


def test_the_admin_form_says_when_the_stock_cannot_cover_an_order(admin_client: Client) -> None:
    product = ProductFactory(name="Moka pot", quantity=2)

    response = admin_client.post(
        reverse("admin:orders_order_add"), {"product": product.pk, "quantity": 3}
    )

    assert response.status_code == 200
    assert "Only 2 more of Moka pot in stock (this needs 3)." in response.content.decode()
    assert Order.objects.count() == 0


def test_the_admin_form_counts_only_the_increase_of_an_existing_order(
    admin_client: Client,
) -> None:
    product = ProductFactory(quantity=5)
    order = OrderFactory(product=product, quantity=4)  # 1 left

    response = admin_client.post(
        reverse("admin:orders_order_change", args=[order.pk]),
        {"product": product.pk, "quantity": 5},
    )

    assert response.status_code == 302
    assert stock(product) == 0


def test_deleting_orders_with_the_admin_action_gives_their_stock_back(
    admin_client: Client,
) -> None:
    product = ProductFactory(quantity=10)
    orders = OrderFactory.create_batch(2, product=product, quantity=3)

    admin_client.post(
        reverse("admin:orders_order_changelist"),
        {"action": "delete_selected", "_selected_action": [o.pk for o in orders], "post": "yes"},
    )

    assert Order.objects.count() == 0
    assert stock(product) == 10


# --- the shop page shows what fired -----------------------------------------------------------

# What varies from run to run in a trace: durations, and the line a send was made on.
_DURATION = re.compile(r"\d+(?:\.\d+)? (?:\N{MICRO SIGN}s|ms|s)\b")
_LINE = re.compile(r"(\.py):\d+")


class _TraceTree(HTMLParser):
    """The shop page's trace box as lines: each list item's own text, indented two spaces
    per level of nesting, and the box's paragraphs, durations as ``T``, lines as ``N``."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []
        self.in_box = False
        self.depth = 0
        self.open: list[int] = []  # the line of each open <li> or <p>

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "section" and ("class", "trace") in attrs:
            self.in_box = True
        elif self.in_box and tag == "ul":
            self.depth += 1
        elif self.in_box and tag in ("li", "p", "h2"):
            self.open.append(len(self.lines))
            self.lines.append("  " * max(self.depth - 1, 0))

    def handle_endtag(self, tag: str) -> None:
        if tag == "section":
            self.in_box = False
        elif self.in_box and tag == "ul":
            self.depth -= 1
        elif self.in_box and tag in ("li", "p", "h2"):
            self.open.pop()

    def handle_data(self, data: str) -> None:
        if self.in_box and self.open:
            self.lines[self.open[-1]] += data

    def result(self) -> list[str]:
        lines = []
        for line in self.lines:
            indent = line[: len(line) - len(line.lstrip(" "))]
            text = _LINE.sub(r"\1:N", _DURATION.sub("T", " ".join(line.split())))
            lines.append(indent + text)
        return lines


def trace_box(response: HttpResponse) -> list[str]:
    """The trace box of a shop page response, as :class:`_TraceTree` lines ([] if none)."""
    parser = _TraceTree()
    parser.feed(response.content.decode())
    return parser.result()


def sends_and_runs(response: HttpResponse) -> list[str]:
    """The trace box's tree only: its list items (no heading, no paragraphs)."""
    lines = trace_box(response)
    return [line for line in lines if not line.startswith(("What fired", "Traced with", "And "))]


@after_commit
def thank_customer(sender: type[Order], order: Order, **kwargs: Any) -> None:
    """A deferred order_confirmed receiver, for the [commit] mark."""


def save_the_product(sender: type[Order], order: Order, **kwargs: Any) -> None:
    """An order_confirmed receiver that sends signals of its own (the product's pre_save)."""
    order.product.save()


def fail(sender: type[Order], order: Order, **kwargs: Any) -> None:
    raise RuntimeError("receiver bug")


@pytest.fixture
def connect() -> Iterator[Any]:
    """``connect(receiver)`` connects it to order_confirmed for the test."""
    connected: list[str] = []

    def connect_receiver(receiver: Any) -> None:
        uid = f"example_project.tests.test_orders.{receiver.__name__}"
        order_confirmed.connect(receiver, dispatch_uid=uid)
        connected.append(uid)

    yield connect_receiver
    for uid in connected:
        order_confirmed.disconnect(dispatch_uid=uid)


def test_placing_an_order_shows_the_stock_receiver_under_the_pre_save_of_the_order(
    client: Client,
) -> None:
    product = ProductFactory(quantity=5)

    response = client.post(place_url(product), {"quantity": "2"}, follow=True)

    assert sends_and_runs(response) == [
        "pre_save from orders.Order at example_project/orders/views.py:N (1 receiver, T)",
        "  signalkit.mixins.stock.move_stock_before_save T, 1 query (T)",
    ]


def test_placing_an_order_counts_the_sends_that_reached_no_receiver_in_one_line(
    client: Client,
) -> None:
    product = ProductFactory(quantity=5)

    response = client.post(place_url(product), {"quantity": "2"}, follow=True)

    assert trace_box(response)[-1] == (
        "And 3 sends that reached no receiver: post_init \N{MULTIPLICATION SIGN}1, "
        "post_save \N{MULTIPLICATION SIGN}1, pre_init \N{MULTIPLICATION SIGN}1."
    )


def test_the_trace_says_what_was_traced(client: Client) -> None:
    order = OrderFactory()

    response = client.post(confirm_url(order), follow=True)

    assert trace_box(response)[0] == f"What fired while confirming order #{order.pk}"


def test_a_refused_order_shows_the_stock_receiver_raising_insufficient_stock(
    client: Client,
) -> None:
    product = ProductFactory(name="Moka pot", quantity=1)

    response = client.post(place_url(product), {"quantity": "3"}, follow=True)

    assert sends_and_runs(response) == [
        "pre_save from orders.Order at example_project/orders/views.py:N (1 receiver, T)",
        "  signalkit.mixins.stock.move_stock_before_save T, 2 queries (T) raised "
        "signalkit.mixins.stock.InsufficientStock: Not enough stock of Moka pot "
        f"(products.Product pk={product.pk}): requested 3, available 1.",
    ]
    assert 'class="trace-run trace-run-failed"' in response.content.decode()


def test_the_trace_escapes_what_it_shows(client: Client) -> None:
    product = ProductFactory(name="<b>Moka</b>", quantity=1)

    response = client.post(place_url(product), {"quantity": "3"}, follow=True)

    assert "of &lt;b&gt;Moka&lt;/b&gt; (products.Product" in response.content.decode()


def test_confirming_an_order_shows_order_confirmed_and_the_units_sold_receiver(
    client: Client,
) -> None:
    order = OrderFactory()

    response = client.post(confirm_url(order), follow=True)

    assert sends_and_runs(response) == [
        "order_confirmed from orders.Order at example_project/orders/confirmation.py:N "
        "(1 receiver, T)",
        "  example_project.products.signals.count_units_sold T, 1 query (T)",
    ]


def test_confirming_a_confirmed_order_shows_that_no_signal_reached_a_receiver(
    client: Client,
) -> None:
    order = OrderFactory(confirmed=True)

    response = client.post(confirm_url(order), follow=True)

    assert "No signal reached a receiver." in trace_box(response)


def test_the_sends_a_receiver_makes_are_nested_under_it(client: Client, connect: Any) -> None:
    connect(save_the_product)
    order = OrderFactory()

    response = client.post(confirm_url(order), follow=True)

    assert sends_and_runs(response)[2:] == [
        "  example_project.tests.test_orders.save_the_product T, 1 query (T)",
        "    pre_save from products.Product at example_project/tests/test_orders.py:N "
        "(2 receivers, T)",
        "      example_project.products.signals.stamp_price_change T, 1 query (T)",
        "      example_project.products.signals.refresh_tag_names_on_save T, 1 query (T)",
    ]


def test_a_deferred_receiver_is_marked_with_how_it_runs(client: Client, connect: Any) -> None:
    connect(thank_customer)

    response = client.post(confirm_url(OrderFactory()), follow=True)

    assert "  example_project.tests.test_orders.thank_customer [commit] T" in sends_and_runs(
        response
    )


def test_a_failing_receiver_is_shown_with_the_exception_it_raised(
    client: Client, connect: Any
) -> None:
    connect(fail)

    response = client.post(confirm_url(OrderFactory()), follow=True)

    assert "  example_project.tests.test_orders.fail T raised RuntimeError: receiver bug" in (
        sends_and_runs(response)
    )


def test_the_trace_is_shown_once(client: Client) -> None:
    client.post(confirm_url(OrderFactory()), follow=True)

    response = client.get(reverse("orders:index"))

    assert trace_box(response) == []
    assert traces.SESSION_KEY not in client.session


def test_the_page_shows_the_trace_of_the_last_order_placed_or_confirmed(client: Client) -> None:
    order = OrderFactory()
    client.post(place_url(ProductFactory(quantity=5)))
    client.post(confirm_url(order))

    response = client.get(reverse("orders:index"))

    assert trace_box(response)[0] == f"What fired while confirming order #{order.pk}"


def test_an_order_refused_before_it_is_made_shows_no_trace(client: Client) -> None:
    response = client.post(place_url(ProductFactory()), {"quantity": "0"}, follow=True)

    assert trace_box(response) == []
