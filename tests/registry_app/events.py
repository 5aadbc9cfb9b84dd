"""A signal in a module signalkit does not scan: known only through SIGNALKIT_EXTRA_SIGNALS."""

from __future__ import annotations

from django.dispatch import Signal

order_paid = Signal()
not_a_signal = "order_paid"
