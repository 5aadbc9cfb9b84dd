"""A custom signal, a re-export of a Django signal, and a receiver of the user model.

``order_confirmed`` is defined here and imported by ``tests.catalog_app.signals``, which
connects its one receiver. ``welcome_new_user`` listens to ``settings.AUTH_USER_MODEL``, which
Django resolves when it connects, so it is a receiver of a swapped model once the setting
changes. It does nothing (and takes ``raw``, as a project's receiver must: ``W007``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models.signals import post_save  # a re-export stays Django's
from django.dispatch import Signal, receiver

order_confirmed = Signal()


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def welcome_new_user(sender: type[Any], raw: bool, **kwargs: Any) -> None:
    pass
