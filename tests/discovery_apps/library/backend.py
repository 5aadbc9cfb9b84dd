"""The module users import; it re-exports the signal and holds a lazy object that raises.

Imported first, it comes before ``library.signals`` in ``sys.modules``, as
``django.tasks.base`` comes before ``django.tasks.signals``.
"""

from __future__ import annotations

from django.utils.functional import SimpleLazyObject

from tests.discovery_apps.library.signals import task_finished  # noqa: F401


def _explode() -> object:
    raise AssertionError("the library's lazy storage was evaluated")


storage = SimpleLazyObject(_explode)
