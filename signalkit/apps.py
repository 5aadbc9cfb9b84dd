"""signalkit's app config: at start-up it imports the apps' signals modules and registers
the receiver checks, nothing else."""

from __future__ import annotations

from django.apps import AppConfig


class SignalkitConfig(AppConfig):
    name = "signalkit"
    verbose_name = "signalkit"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from signalkit.checks import register_checks
        from signalkit.discovery import autodiscover

        autodiscover()
        register_checks()
