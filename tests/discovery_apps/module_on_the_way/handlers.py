"""A plain module where ``SIGNALKIT_AUTODISCOVER = ["handlers.orders"]`` expects a package.

Like ``django.contrib.staticfiles.handlers``: there is no ``handlers.orders`` here, and
this module must not even be imported looking for it.
"""

from __future__ import annotations

raise AssertionError("handlers.py was imported while looking for handlers.orders")
