"""The ``@as_task`` receiver of the Celery worker tests, on signalkit's CeleryBackend."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from signalkit import as_task
from tests.engines_celery_app.models import CeleryNote
from tests.engines_tasks import behave


@receiver(post_save, sender=CeleryNote)
@as_task(backend="celery", queue_name="mail", retries=1, retry_delay=1.0)
def celery_note_saved(
    sender: type[CeleryNote], instance: CeleryNote, created: bool, **kwargs: Any
) -> None:
    behave(instance, created)
