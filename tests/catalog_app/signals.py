"""Receivers for the inspector tests to list and filter; none of them does anything.

Two ``pre_save`` receivers of ``Book``, one ``m2m_changed`` receiver of ``Book.tags.through``,
a ``post_save``, ``pre_delete`` and ``post_delete`` receiver of ``Tag``, and a receiver of any
sender on ``order_confirmed``, which this module imports from ``tests.registry_app.signals``.
The ``pre_save``/``post_save`` ones take ``raw``, as a project's must (``signalkit.W007``).
This app comes before registry_app in INSTALLED_APPS, so the inspector meets the imported
signal here first and must still list it under the module that defines it.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save
from django.dispatch import receiver

from tests.catalog_app.models import Book, Tag
from tests.registry_app.signals import order_confirmed


@receiver(pre_save, sender=Book)
def stamp_book_before_save(sender: type[Book], raw: bool, **kwargs: Any) -> None:
    pass


@receiver(pre_save, sender=Book)
def check_book_before_save(sender: type[Book], raw: bool, **kwargs: Any) -> None:
    pass


@receiver(m2m_changed, sender=Book.tags.through)
def follow_book_tags(sender: type[Any], **kwargs: Any) -> None:
    pass


@receiver(post_save, sender=Tag)
def note_tag_saved(sender: type[Tag], raw: bool, **kwargs: Any) -> None:
    pass


@receiver(pre_delete, sender=Tag)
def note_tag_before_delete(sender: type[Tag], **kwargs: Any) -> None:
    pass


@receiver(post_delete, sender=Tag)
def note_tag_deleted(sender: type[Tag], **kwargs: Any) -> None:
    pass


@receiver(order_confirmed)
def count_confirmed_order(sender: Any, **kwargs: Any) -> None:
    pass
