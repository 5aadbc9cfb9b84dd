"""``signalkit.contrib.debug_toolbar.SignalsPanel``, through django-debug-toolbar's panel API:
a request handled by a ``DebugToolbar`` whose one panel is signalkit's."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

pytest.importorskip(
    "debug_toolbar",
    reason='django-debug-toolbar is not installed: python -m pip install -e ".[test]"',
)

from asgiref.sync import async_to_sync
from django.dispatch import Signal
from django.http import HttpRequest, HttpResponse
from django.test import AsyncRequestFactory, RequestFactory

from signalkit import gate
from signalkit.contrib.debug_toolbar import SignalsPanel
from tests.factories import ProductFactory

PANEL = "signalkit.contrib.debug_toolbar.SignalsPanel"
# "2 sends · 3 receivers · 1.2 ms": the counts, then a duration of any length.
SUBTITLE = re.compile(r"^(\d+ sends?) \u00b7 (\d+ receivers?) \u00b7 [\d.]+ (\u00b5s|ms|s)$")

order_placed = Signal()
stock_changed = Signal()
audited = Signal()  # no receiver


def update_stock(sender: object, **kwargs: Any) -> None:
    stock_changed.send(sender=sender)
    audited.send(sender=sender)


def reindex(sender: object, **kwargs: Any) -> None:
    pass


def refuse(sender: object, **kwargs: Any) -> None:
    raise ValueError("the warehouse is closed")


@pytest.fixture(autouse=True)
def _only_signalkits_panel(settings: Any) -> Iterator[None]:
    settings.DEBUG_TOOLBAR_PANELS = [PANEL]
    yield
    assert not gate.is_installed(), "the panel left its trace installed"


@pytest.fixture
def connected() -> Iterator[None]:
    order_placed.connect(update_stock)
    stock_changed.connect(reindex)
    yield
    order_placed.disconnect(update_stock)
    stock_changed.disconnect(reindex)


def handle(view: Callable[[HttpRequest], Any], request: HttpRequest | None = None) -> SignalsPanel:
    """``request`` (a GET of / by default) through a toolbar with signalkit's panel, as the
    toolbar's middleware runs it: instrumentation, the panels' chain, then the stats."""
    from debug_toolbar.toolbar import DebugToolbar

    request = request or RequestFactory().get("/")
    toolbar = DebugToolbar(request, view)
    panel = toolbar.get_panel_by_id("SignalsPanel")
    assert isinstance(panel, SignalsPanel)
    panel.enable_instrumentation()
    try:
        response = toolbar.process_request(request)
        if not isinstance(response, HttpResponse):  # an ASGI request: a coroutine
            response = async_to_sync(awaited)(response)
    finally:
        panel.disable_instrumentation()
    panel.generate_stats(request, response)
    return panel


async def awaited(response: Any) -> HttpResponse:
    return await response  # type: ignore[no-any-return]


def place_order(request: HttpRequest) -> HttpResponse:
    order_placed.send(sender="shop")
    return HttpResponse("placed")


def outline(panel: SignalsPanel) -> list[tuple[int, str]]:
    """(depth, signal or receiver) of each row of the panel."""
    return [
        (row["depth"], row["signal"] if row["kind"] == "send" else row["receiver"])
        for row in panel.get_stats()["rows"]
    ]


@pytest.mark.usefixtures("connected")
def test_the_panel_shows_this_requests_sends_with_the_sends_of_a_receiver_nested_under_it() -> None:
    panel = handle(place_order)

    assert outline(panel) == [
        (0, "order_placed"),
        (1, "tests.test_debug_toolbar.update_stock"),
        (2, "stock_changed"),
        (3, "tests.test_debug_toolbar.reindex"),
    ]
    assert [(name, number) for name, _path, number in panel.get_stats()["unreceived"]] == [
        ("audited", 1)
    ]


@pytest.mark.usefixtures("connected")
def test_the_subtitle_counts_every_send_and_receiver_run_and_gives_the_time() -> None:
    panel = handle(place_order)

    match = SUBTITLE.match(panel.nav_subtitle)
    assert match is not None, panel.nav_subtitle
    assert match.groups()[:2] == ("3 sends", "2 receivers")


@pytest.mark.django_db
@pytest.mark.usefixtures("connected")
def test_the_panel_renders_the_tree_with_the_receivers_time_and_queries() -> None:
    def count_products(sender: object, **kwargs: Any) -> None:
        list(ProductFactory._meta.model.objects.all())

    stock_changed.connect(count_products)
    try:
        panel = handle(place_order)
    finally:
        stock_changed.disconnect(count_products)
    content = panel.content

    assert "<strong" in content
    assert "order_placed" in content
    assert content.count('class="sk-run') == 3
    assert re.search(r"<td>1 <small>\([\d.]+ (\u00b5s|ms)\)</small></td>", content), content


def test_the_panel_escapes_receiver_paths() -> None:
    def local_receiver(sender: object, **kwargs: Any) -> None:
        pass

    order_placed.connect(local_receiver)
    try:
        content = handle(place_order).content
    finally:
        order_placed.disconnect(local_receiver)

    path = "test_the_panel_escapes_receiver_paths.&lt;locals&gt;.local_receiver"
    assert path in content
    assert "<locals>" not in content


def test_the_panel_shows_the_exception_a_receiver_raised() -> None:
    def robust_view(request: HttpRequest) -> HttpResponse:
        order_placed.send_robust(sender="shop")
        return HttpResponse()

    order_placed.connect(refuse)
    try:
        panel = handle(robust_view)
    finally:
        order_placed.disconnect(refuse)

    [_send, run] = panel.get_stats()["rows"]
    assert run["error"] == "ValueError: the warehouse is closed"
    assert "raised ValueError: the warehouse is closed" in panel.content


def test_a_request_that_sends_nothing_says_so() -> None:
    panel = handle(lambda request: HttpResponse())

    assert panel.get_stats()["rows"] == []
    assert panel.nav_subtitle.startswith("0 sends \u00b7 0 receivers \u00b7 ")
    assert "No signal was sent" in panel.content


def test_another_threads_sends_during_the_request_are_not_in_its_panel() -> None:
    ran: list[str] = []

    def in_other_thread(sender: object, **kwargs: Any) -> None:
        ran.append(str(sender))

    def view(request: HttpRequest) -> HttpResponse:
        # Another request's thread sends while this one is being handled.
        other = threading.Thread(target=order_placed.send, kwargs={"sender": "other"})
        other.start()
        other.join()
        order_placed.send(sender="this")
        return HttpResponse()

    order_placed.connect(in_other_thread)
    try:
        panel = handle(view)
    finally:
        order_placed.disconnect(in_other_thread)

    assert ran == ["other", "this"]
    [send] = [row for row in panel.get_stats()["rows"] if row["kind"] == "send"]
    assert send["sender"] == "'this'"


@pytest.mark.usefixtures("connected")
def test_under_asgi_the_panel_traces_the_async_view() -> None:
    async def view(request: HttpRequest) -> HttpResponse:
        await order_placed.asend(sender="shop")
        return HttpResponse()

    panel = handle(view, AsyncRequestFactory().get("/"))

    assert [name for _depth, name in outline(panel)] == [
        "order_placed",
        "tests.test_debug_toolbar.update_stock",
        "stock_changed",
        "tests.test_debug_toolbar.reindex",
    ]
