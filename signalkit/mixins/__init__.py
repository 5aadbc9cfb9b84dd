"""Model mixins whose receivers signalkit connects for every model that uses them.

Names are imported lazily: ``import signalkit.mixins`` imports no model, and each mixin's
module (which defines an abstract model, so needs the app registry) is imported on first
use, e.g. ``from signalkit.mixins import StockMovementMixin`` in a ``models.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from signalkit._exports import lazy_exports

# public name -> module that defines it
_EXPORTS = {
    "AutoProfileMixin": "signalkit.mixins.profiles",
    "BackfillProfiles": "signalkit.mixins.profiles",
    "ConcurrentStockChange": "signalkit.mixins.stock",
    "StockMovementMixin": "signalkit.mixins.stock",
    "StockMovementManager": "signalkit.mixins.stock",
    "StockMovementQuerySet": "signalkit.mixins.stock",
    "InsufficientStock": "signalkit.mixins.stock",
    "ProfileSerializationFailure": "signalkit.mixins.profiles",
    "UntrackedStockChange": "signalkit.mixins.stock",
    "non_negative_stock_constraint": "signalkit.mixins.stock",
}

__all__ = [
    "AutoProfileMixin",
    "BackfillProfiles",
    "ConcurrentStockChange",
    "InsufficientStock",
    "ProfileSerializationFailure",
    "StockMovementManager",
    "StockMovementMixin",
    "StockMovementQuerySet",
    "UntrackedStockChange",
    "non_negative_stock_constraint",
]

if TYPE_CHECKING:
    from signalkit.mixins.profiles import (
        AutoProfileMixin,
        BackfillProfiles,
        ProfileSerializationFailure,
    )
    from signalkit.mixins.stock import (
        ConcurrentStockChange,
        InsufficientStock,
        StockMovementManager,
        StockMovementMixin,
        StockMovementQuerySet,
        UntrackedStockChange,
        non_negative_stock_constraint,
    )


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
