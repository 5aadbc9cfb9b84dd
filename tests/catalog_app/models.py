"""Models of a small catalogue: the senders of the receivers in ``signals.py``."""

from __future__ import annotations

from django.db import models
from django.dispatch import Signal

# Named like tests.registry_app.models.stock_low: two signals of one name in two modules.
stock_low = Signal()


class Tag(models.Model):
    name = models.CharField(max_length=50)

    def __str__(self) -> str:
        return self.name


class Book(models.Model):
    title = models.CharField(max_length=200)
    tags = models.ManyToManyField(Tag, blank=True)  # Book.tags.through: an auto-created model

    def __str__(self) -> str:
        return self.title
