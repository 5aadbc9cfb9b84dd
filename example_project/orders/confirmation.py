"""Confirming an order: the one place that sends ``order_confirmed``."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from example_project.orders.models import Order
from example_project.orders.signals import order_confirmed

logger = logging.getLogger(__name__)


def confirm_order(order: Order) -> bool:
    """Mark ``order`` confirmed and send ``order_confirmed``; return whether it was.

    An order that is already confirmed is left alone and nothing is sent. The check and
    the write are one conditional UPDATE, so two concurrent confirmations send the signal
    once. Receivers run after the write is committed (in autocommit); every exception one
    of them raises is logged on ``example_project.orders.confirmation`` with its traceback.
    """
    updated = Order._base_manager.filter(pk=order.pk, confirmed=False).update(confirmed=True)
    if not updated:
        return False
    order.confirmed = True
    for receiver, result in order_confirmed.send_robust(sender=Order, order=order):
        if isinstance(result, Exception):
            logger.error(
                "order_confirmed receiver %s failed for order %s",
                receiver_name(receiver),
                order.pk,
                exc_info=result,
            )
    return True


def receiver_name(receiver: Callable[..., Any]) -> str:
    """``module.qualname`` of a receiver, or its repr (partials, callable instances)."""
    module = getattr(receiver, "__module__", None)
    qualname = getattr(receiver, "__qualname__", None)
    if module and qualname:
        return f"{module}.{qualname}"
    return repr(receiver)
