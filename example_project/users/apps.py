from __future__ import annotations

from django.apps import AppConfig


class UsersConfig(AppConfig):
    """User profiles, created with each user by signalkit's AutoProfileMixin.

    No ``ready()`` and no ``signals.py``: signalkit connects the profile receiver itself.
    """

    name = "example_project.users"
    verbose_name = "Users"
    default_auto_field = "django.db.models.BigAutoField"
