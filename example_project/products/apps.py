from __future__ import annotations

from django.apps import AppConfig


class ProductsConfig(AppConfig):
    """Products and tags: pre_save and m2m_changed receivers, a sales counter.

    No ``ready()``: signalkit imports this app's ``signals.py`` at start-up.
    """

    name = "example_project.products"
    verbose_name = "Products"
    default_auto_field = "django.db.models.BigAutoField"
