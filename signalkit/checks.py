"""System checks on connected receivers, run by ``manage.py check`` (and runserver, migrate).

:data:`CHECK_IDS` is the one table of signalkit's check ids; the "System checks" page of
the docs explains each. The receiver checks (``W001`` to ``W005``) read the inspector and are
registered by ``SignalkitConfig.ready()``; the stock checks (``E001``, ``W006``) live with
:class:`~signalkit.mixins.StockMovementMixin`, which registers them when it is imported.
Lazy ``"app.Model"`` senders that never resolved are Django's own ``signals.E001``.
``manage.py check <app_label>`` limits the checks to receivers defined in those apps.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.apps import AppConfig
from django.core.checks import CheckMessage, Tags, register
from django.core.checks import Warning as CheckWarning

if TYPE_CHECKING:
    from signalkit.registry import ReceiverInfo


#: Every check id signalkit reports, by the problem it names.
CHECK_IDS = {
    "duplicate": "signalkit.W001",  # one callable that one send calls more than once
    "no_kwargs": "signalkit.W002",  # a receiver without **kwargs
    "abstract_sender": "signalkit.W003",  # listens to an abstract model: never runs
    "swapped_sender": "signalkit.W004",  # listens to a swapped model: never runs
    "dead": "signalkit.W005",  # a weakly connected function that was garbage collected
    "stock_manager": "signalkit.W006",  # a stock model's manager whose bulk writes skip stock
    "stock_field": "signalkit.E001",  # Stock.stock_field is not a numeric field
}


def check_receivers(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """One warning per problem of the connected receivers (``W001`` to ``W005``)."""
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
    """Register the receiver checks (Django keeps a set: registering again changes nothing)."""
    register(check_receivers, Tags.signals)


def _located(receiver: ReceiverInfo) -> str:
    if receiver.file and receiver.line:
        return f"{receiver.path} ({receiver.file}:{receiver.line})"
    return str(receiver.path)
