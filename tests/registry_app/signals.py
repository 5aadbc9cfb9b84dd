"""A custom signal named like the example shop's, and a re-export of a Django signal."""

from __future__ import annotations

from django.db.models.signals import post_save  # noqa: F401 (a re-export stays Django's)
from django.dispatch import Signal

order_confirmed = Signal()
