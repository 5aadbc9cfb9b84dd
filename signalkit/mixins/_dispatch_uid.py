"""The ``dispatch_uid`` signalkit's mixins connect their receivers with, one per model.

``"signalkit.<Mixin>:<app_label>.<model_name>"`` (documented in the manual): connecting
again for the same model replaces the receiver, and the inspector reads the model's app
from it, so a mixin's receiver is listed with the app of the model that uses the mixin
(``listsignals --app orders`` shows an ``Order``'s stock receivers).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.db import models

# The mixins whose receivers are connected per model.
MIXINS = frozenset({"AutoProfileMixin", "StockMovementMixin"})
_PREFIX = "signalkit."


def mixin_dispatch_uid(mixin: str, model: type[models.Model]) -> str:
    """``"signalkit.StockMovementMixin:orders.order"``: the uid of ``mixin``'s receivers
    connected for ``model``."""
    return f"{_PREFIX}{mixin}:{model._meta.label_lower}"


def mixin_app_label(uid: object) -> str | None:
    """The app label of the model a mixin's receiver was connected for, read from its
    ``dispatch_uid``; None for any other uid (never calls a method of ``uid``)."""
    if type(uid) is not str or not uid.startswith(_PREFIX):
        return None
    mixin, colon, label = uid[len(_PREFIX) :].partition(":")
    app_label, dot, model_name = label.partition(".")
    if mixin not in MIXINS or not (colon and dot and app_label and model_name):
        return None
    return app_label
