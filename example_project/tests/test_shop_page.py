"""How the shop page looks: its stylesheet, its messages by level, its links to the admin."""

from __future__ import annotations

import re
import urllib.request
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.contrib.messages import constants
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from example_project.orders.models import Order
from example_project.products.models import Product
from example_project.tests.factories import OrderFactory, ProductFactory

if TYPE_CHECKING:
    from pytest_django.live_server_helper import LiveServer

ORDERS_APP = Path(__file__).resolve().parents[1] / "orders"
STYLESHEET = ORDERS_APP / "static" / "orders" / "shop.css"
TEMPLATES = sorted((ORDERS_APP / "templates" / "orders").glob("*.html"))
RECEIVERS_PAGE = "admin:signalkit_receiver_changelist"
GRAPH_PAGE = "admin:signalkit_receiver_graph"


class _Page(HTMLParser):
    """What the tests read of a page: its messages, links, stylesheets and external loads."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[dict[str, str]] = []
        self.links: dict[str, str] = {}  # href: text
        self.stylesheets: list[str] = []
        self.loads: list[str] = []  # every src and <link> href: what the browser fetches
        self.in_messages = False
        self.message: dict[str, str] | None = None
        self.link: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if "src" in attributes:
            self.loads.append(attributes["src"])
        if tag == "ul" and attributes.get("class") == "messages":
            self.in_messages = True
        elif tag == "li" and self.in_messages:
            self.message = {"class": attributes.get("class", ""), "role": "", "text": ""}
            self.message["role"] = attributes.get("role", "")
        elif tag == "link":
            self.loads.append(attributes.get("href", ""))
            if attributes.get("rel") == "stylesheet":
                self.stylesheets.append(attributes.get("href", ""))
        elif tag == "a":
            self.link = attributes.get("href", "")
            self.links[self.link] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "ul":
            self.in_messages = False
        elif tag == "li" and self.message is not None:
            self.message["text"] = " ".join(self.message["text"].split())
            self.messages.append(self.message)
            self.message = None
        elif tag == "a":
            self.link = None

    def handle_data(self, data: str) -> None:
        if self.message is not None:
            self.message["text"] += data
        if self.link is not None:
            self.links[self.link] += data


def read_page(response: HttpResponse) -> _Page:
    assert response.status_code == 200
    page = _Page()
    page.feed(response.content.decode())
    return page


def place_url(product: Product) -> str:
    return reverse("orders:place", args=[product.pk])


def confirm_url(order: Order) -> str:
    return reverse("orders:confirm", args=[order.pk])


# --- messages -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_placed_order_is_a_success_message(client: Client) -> None:
    product = ProductFactory(name="Moka pot", quantity=5)

    response = client.post(place_url(product), {"quantity": "2"}, follow=True)

    [order] = Order.objects.all()
    assert read_page(response).messages == [
        {
            "class": "message message-success",
            "role": "status",
            "text": f"Order #{order.pk}: 2 x Moka pot placed.",
        }
    ]


@pytest.mark.django_db
def test_an_order_refused_for_insufficient_stock_is_an_error_message_announced_as_an_alert(
    client: Client,
) -> None:
    product = ProductFactory(name="Moka pot", quantity=1)

    response = client.post(place_url(product), {"quantity": "3"}, follow=True)

    assert read_page(response).messages == [
        {
            "class": "message message-error",
            "role": "alert",
            "text": "Not enough Moka pot: you asked for 3, 1 left.",
        }
    ]


@pytest.mark.django_db
def test_confirming_a_confirmed_order_is_an_info_message(client: Client) -> None:
    order = OrderFactory(confirmed=True)

    response = client.post(confirm_url(order), follow=True)

    assert [message["class"] for message in read_page(response).messages] == [
        "message message-info"
    ]


def test_the_stylesheet_gives_every_message_level_a_rule_of_its_own() -> None:
    css = STYLESHEET.read_text(encoding="utf-8")

    unstyled = [
        tag
        for tag in constants.DEFAULT_TAGS.values()
        if not re.search(rf"\.message-{tag}\s*\{{", css)
    ]

    assert unstyled == []


# --- the stylesheet -------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_shop_page_links_its_stylesheet_and_loads_nothing_from_another_host(
    client: Client,
) -> None:
    response = client.get(reverse("orders:index"))

    page = read_page(response)
    assert page.stylesheets == ["/static/orders/shop.css"]
    assert [url for url in page.loads if not url.startswith("/")] == []
    assert b"<script" not in response.content


def test_the_stylesheet_fetches_no_font_image_or_other_stylesheet() -> None:
    css = STYLESHEET.read_text(encoding="utf-8")

    assert "@import" not in css
    assert "url(" not in css
    assert "@font-face" not in css


def test_the_server_serves_the_stylesheet_the_shop_page_links(live_server: LiveServer) -> None:
    with urllib.request.urlopen(f"{live_server.url}/static/orders/shop.css", timeout=30) as reply:
        status, content_type, body = reply.status, reply.headers["Content-Type"], reply.read()

    assert status == 200
    assert content_type.startswith("text/css")
    assert body == STYLESHEET.read_bytes()


def template_classes() -> set[str]:
    """Every CSS class written literally in the shop's templates."""
    classes: set[str] = set()
    for template in TEMPLATES:
        for value in re.findall(r'class="([^"]*)"', template.read_text(encoding="utf-8")):
            value = re.sub(r"\S*\{\{.*?\}\}\S*", " ", value)  # message-{{ level_tag }}
            value = re.sub(r"\{%.*?%\}", " ", value)
            classes.update(value.split())
    return classes


def test_the_shop_templates_write_classes() -> None:
    assert {"trace-run-failed", "trace-run-deferred", "message"} <= template_classes()


@pytest.mark.parametrize("css_class", sorted(template_classes()))
def test_every_class_of_the_shop_templates_has_a_rule_in_the_stylesheet(css_class: str) -> None:
    css = STYLESHEET.read_text(encoding="utf-8")

    assert re.search(rf"\.{re.escape(css_class)}(?![\w-])", css), css_class


# --- links to the admin ----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "text"), [(RECEIVERS_PAGE, "Signal receivers"), (GRAPH_PAGE, "Signal graph")]
)
def test_the_shop_page_links_the_admins_signal_pages(client: Client, name: str, text: str) -> None:
    page = read_page(client.get(reverse("orders:index")))

    assert page.links[reverse(name)] == text


@pytest.mark.django_db
@pytest.mark.parametrize("name", [RECEIVERS_PAGE, GRAPH_PAGE])
def test_the_admin_pages_the_shop_links_open_for_the_superuser(
    admin_client: Client, name: str
) -> None:
    response = admin_client.get(reverse(name))

    assert response.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("name", [RECEIVERS_PAGE, GRAPH_PAGE])
def test_the_admin_pages_the_shop_links_send_a_visitor_to_the_login(
    client: Client, name: str
) -> None:
    response = client.get(reverse(name))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.django_db
def test_the_shop_page_says_the_admin_pages_need_the_demos_superuser(client: Client) -> None:
    content = " ".join(client.get(reverse("orders:index")).content.decode().split())

    assert (
        "Admin pages: log in as the superuser <code>python manage.py demo</code> created "
        "(admin / admin unless you chose others)."
    ) in content
