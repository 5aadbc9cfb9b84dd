"""``"app_label.ModelName"`` labels given for a sender, shared by muting and recording.

>>> model_for("auth.User")
<class 'django.contrib.auth.models.User'>
>>> unknown("auth.Usr")
"no installed model is labelled 'auth.Usr' (did you mean 'auth.User'?)"
"""

from __future__ import annotations

import difflib

from django.apps import apps
from django.db import models

__all__ = ["is_label", "model_for", "unknown"]


def is_label(value: object) -> bool:
    """Whether ``value`` has the shape of a model label: a string with one dot."""
    return isinstance(value, str) and value.count(".") == 1


def model_for(label: str) -> type[models.Model] | None:
    """The installed model labelled ``label`` (the model name in any case), or None."""
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


def unknown(label: str) -> str:
    """Says that no installed model has ``label``, with the closest labels when some are."""
    labels = {model._meta.label_lower: model._meta.label for model in apps.get_models()}
    close = [repr(labels[found]) for found in difflib.get_close_matches(label.lower(), labels)]
    message = f"no installed model is labelled {label!r}"
    if len(close) > 1:
        message += f" (did you mean {', '.join(close[:-1])} or {close[-1]}?)"
    elif close:
        message += f" (did you mean {close[0]}?)"
    return message
