"""The shop's custom signal.

signalkit imports this module at start-up (and so knows ``order_confirmed``); receivers in
other apps import the signal from here.
"""

from __future__ import annotations

from django.dispatch import Signal

order_confirmed = Signal()
"""Sent once when an order becomes confirmed, by ``orders.confirmation.confirm_order``.

``sender``: the ``Order`` class. Keyword arguments: ``order``, the confirmed ``Order``
(its ``product`` already loaded). Sent with ``send_robust``: a receiver that raises is
logged and does not stop the others. The order's stock was taken when it was created (its
``StockMovementMixin``), so receivers never touch the stock; ``products.signals``
counts the units sold. Example::

    @receiver(order_confirmed)
    def thank_customer(sender, order, **kwargs):
        ...
"""
