from __future__ import annotations

from django.apps import AppConfig


class BlogConfig(AppConfig):
    """Posts and comments: e-mail the post's author after a comment is committed.

    No ``ready()``: signalkit imports this app's ``signals.py`` at start-up.
    """

    name = "example_project.blog"
    verbose_name = "Blog"
    default_auto_field = "django.db.models.BigAutoField"
