from __future__ import annotations

from django.apps import AppConfig


class UsersConfig(AppConfig):
    """User profiles, created by a post_save receiver.

    No ``ready()``: signalkit imports this app's ``signals.py`` at start-up.
    """

    name = "example_project.users"
    verbose_name = "Users"
    default_auto_field = "django.db.models.BigAutoField"
