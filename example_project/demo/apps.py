from __future__ import annotations

from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The ``demo`` management command: migrate, sample data, a superuser.

    No ``ready()``: signalkit imports this app's ``signals.py`` at start-up.
    """

    name = "example_project.demo"
    verbose_name = "Demo"
    default_auto_field = "django.db.models.BigAutoField"
