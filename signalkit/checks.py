"""System checks on connected receivers, run by ``manage.py check`` (and runserver, migrate).

=================  ===========================================================
``signalkit.W001``  One callable connected so that one send calls it more than once.
``signalkit.W002``  A receiver that does not accept ``**kwargs`` (Django only checks
                    this under ``DEBUG``, at connect time).
``signalkit.W003``  A receiver listening to an abstract model, which never sends.
``signalkit.W004``  A receiver listening to a swapped model (``auth.User`` when
                    ``AUTH_USER_MODEL`` names another), which never sends.
``signalkit.W005``  A weakly connected function that was garbage collected (a closure
                    or lambda): it never runs. Dead bound methods are not reported.
``signalkit.E001``  ``StockMovementMixin``: ``Stock.stock_field`` is not a numeric field
                    of the stocked model.
``signalkit.W006``  ``StockMovementMixin``: the default manager does not make
                    ``StockMovementQuerySet`` objects, so its bulk writes skip the stock.
=================  ===========================================================

Lazy ``"app.Model"`` senders that never resolved are Django's own ``signals.E001``.
``manage.py check <app_label>`` limits the checks to receivers defined in those apps.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.apps import AppConfig
from django.core.checks import CheckMessage, Tags, register
from django.core.checks import Warning as CheckWarning

if TYPE_CHECKING:
    from signalkit.registry import ReceiverInfo


CHECK_IDS = {
    "duplicate": "signalkit.W001",
    "no_kwargs": "signalkit.W002",
    "abstract_sender": "signalkit.W003",
    "swapped_sender": "signalkit.W004",
    "dead": "signalkit.W005",
}


def check_receivers(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """One warning per problem of the connected receivers (see the table above)."""
    # Imported here, not at start-up: only runs of the checks pay for the inspector.
    from signalkit.registry import snapshot

    registry = snapshot()
    if app_configs is not None:
        registry = registry.filter(app=[config.label for config in app_configs])
    return [
        CheckWarning(problem.message, obj=_located(problem.receiver), id=CHECK_IDS[problem.kind])
        for problem in registry.problems()
        if problem.kind in CHECK_IDS
    ]


def register_checks() -> None:
    """Register the checks (Django keeps a set: registering again changes nothing)."""
    register(check_receivers, Tags.signals)
    register(check_stock_models, Tags.models)


def _located(receiver: ReceiverInfo) -> str:
    if receiver.file and receiver.line:
        return f"{receiver.path} ({receiver.file}:{receiver.line})"
    return str(receiver.path)


def check_stock_models(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """``signalkit.E001`` and ``signalkit.W006`` on models using ``StockMovementMixin``.

    E001: ``Stock.stock_field`` is not a numeric field of the stocked model. W006: the
    default manager's querysets are not ``StockMovementQuerySet`` objects, so its
    ``bulk_create()`` and ``update()`` change orders without moving the stock. Nothing is
    imported when no model uses the mixin.
    """
    stock = sys.modules.get("signalkit.mixins.stock")
    if stock is None:
        return []
    messages: list[CheckMessage] = stock.check_stock_models(app_configs, **kwargs)
    return messages
