"""Senders of every shape the inspector must name, and a signal defined in models.py."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import models
from django.dispatch import Signal

stock_low = Signal()


class Timestamped(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True


class StaffUser(User):
    class Meta:
        proxy = True
