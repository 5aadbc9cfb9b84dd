from __future__ import annotations

from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    """Request timing with request_started / request_finished receivers.

    No ``ready()``: signalkit imports this app's ``signals.py`` at start-up.
    """

    name = "example_project.monitoring"
    verbose_name = "Monitoring"
    default_auto_field = "django.db.models.BigAutoField"
