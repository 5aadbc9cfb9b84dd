"""The ``@as_task`` receivers of the worker tests, on the default backend (django-tasks-db)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from signalkit import as_task
from tests.engines_app.models import Note
from tests.engines_tasks import behave


@receiver(post_save, sender=Note)
@as_task(retries=1, retry_delay=1.0)
def note_saved(sender: type[Note], instance: Note, created: bool, **kwargs: Any) -> None:
    behave(instance, created)
