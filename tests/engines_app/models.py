from __future__ import annotations

from django.db import models


class Note(models.Model):
    """Saved by a test's child process; its receivers do what ``behaviour`` says
    (tests.engines_tasks.behave) and leave their trace in the file ``trace``."""

    text = models.CharField(max_length=100)
    behaviour = models.CharField(max_length=20, default="record")
    trace = models.CharField(max_length=500)

    def __str__(self) -> str:
        return self.text
