"""A module autodiscovery does not import: SIGNALKIT_EXTRA_SIGNALS imports it at start-up."""

from __future__ import annotations

from django.dispatch import Signal
from django.utils.functional import SimpleLazyObject

order_paid = Signal()
not_a_signal = "order_paid"


def _explode() -> object:
    raise AssertionError("the lazy storage of tests.registry_app.events was evaluated")


lazy_storage = SimpleLazyObject(_explode)
