"""A page with django-debug-toolbar and signalkit's Signals panel, for the browser test.

Placing an order sends ``order_placed``: its receivers count the products (a query),
send ``stock_changed`` (nested under them) and ``audited`` (no receiver), and one raises.
The view wraps itself in the toolbar's middleware: the live server's handler loaded
``MIDDLEWARE`` when it started, before the test's settings.
"""

from __future__ import annotations

from typing import Any

from debug_toolbar.middleware import DebugToolbarMiddleware
from django.dispatch import Signal, receiver
from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from tests.shop.models import Product

order_placed = Signal()
stock_changed = Signal()
audited = Signal()


def show_toolbar(request: HttpRequest) -> bool:
    return True


@receiver(order_placed)
def update_stock(sender: object, **kwargs: Any) -> None:
    Product.objects.count()
    stock_changed.send(sender=sender)
    audited.send(sender=sender)


@receiver(stock_changed)
def reindex(sender: object, **kwargs: Any) -> None:
    pass


@receiver(order_placed)
def notify_warehouse(sender: object, **kwargs: Any) -> None:
    raise ValueError("the warehouse is closed")


def place_order(request: HttpRequest) -> HttpResponse:
    order_placed.send_robust(sender=Product)
    return HttpResponse("<!DOCTYPE html><html><body><h1>Order placed</h1></body></html>")


urlpatterns = [
    path("order/", DebugToolbarMiddleware(place_order)),
    path("__debug__/", include("debug_toolbar.urls")),
]
