from __future__ import annotations

from django.apps import AppConfig


class OrdersConfig(AppConfig):
    """Orders, which keep the products' stock (signalkit's ``StockMovementMixin``), and the
    custom ``order_confirmed`` signal.

    No ``ready()``: signalkit imports this app's ``signals.py`` at start-up.
    """

    name = "example_project.orders"
    verbose_name = "Orders"
    default_auto_field = "django.db.models.BigAutoField"
