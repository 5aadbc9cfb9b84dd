from __future__ import annotations

from django.apps import AppConfig


class LegacyReadyConfig(AppConfig):
    """The pre-signalkit way: the app imports its own signals module in ready()."""

    name = "tests.discovery_apps.legacy_ready"

    def ready(self) -> None:
        from tests.discovery_apps.legacy_ready import signals  # noqa: F401
