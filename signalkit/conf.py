"""signalkit's settings, read from ``django.conf.settings`` on every access.

Nothing is cached and no default is ever written into ``django.conf.settings``, so
``override_settings`` and ``pytest-django``'s ``settings`` fixture just work::

    from signalkit.conf import conf

    conf.AUTODISCOVER  # ["signals"] unless SIGNALKIT_AUTODISCOVER says otherwise
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class Settings:
    """Typed accessors for the ``SIGNALKIT_*`` settings, with their defaults."""

    @property
    def AUTODISCOVER(self) -> list[str]:
        """Submodules imported from every installed app at start-up.

        ``SIGNALKIT_AUTODISCOVER``, default ``["signals"]``; ``[]`` turns autodiscovery off.
        """
        value = _list_setting(
            "AUTODISCOVER",
            ["signals"],
            'module names such as ["signals"]',
            "; use [] to turn autodiscovery off",
        )
        for name in value:
            if not _is_dotted_name(name):
                raise ImproperlyConfigured(
                    f"SIGNALKIT_AUTODISCOVER contains {name!r}, which is not a module "
                    f'name; use names relative to each app, such as "signals" or '
                    f'"receivers.orders".'
                )
        return value

    @property
    def EXTRA_SIGNALS(self) -> list[str]:
        """Dotted paths of further signals to list, e.g. ``["myapp.events.order_paid"]``.

        ``SIGNALKIT_EXTRA_SIGNALS``, default ``[]``. Autodiscovery imports their modules at
        start-up. Signals at module level of any imported module are found without it: it
        is for modules nothing else imports.
        """
        value = _list_setting(
            "EXTRA_SIGNALS", [], 'dotted paths such as ["myapp.events.order_paid"]'
        )
        for path in value:
            if not _is_dotted_name(path) or "." not in path:
                raise ImproperlyConfigured(
                    f"SIGNALKIT_EXTRA_SIGNALS contains {path!r}, which is not a dotted path "
                    f'to a signal such as "myapp.events.order_paid".'
                )
        return value

    @property
    def ADMIN(self) -> bool:
        """Whether the "Signal receivers" page is registered on Django's default admin site.

        ``SIGNALKIT_ADMIN``, default ``True``. Read once, when ``django.contrib.admin``
        autodiscovers ``signalkit.admin`` at start-up (registration is a start-up
        decision): changing it later, e.g. with ``override_settings``, does not add or
        remove the page.
        """
        value = getattr(settings, "SIGNALKIT_ADMIN", True)
        if not isinstance(value, bool):
            raise ImproperlyConfigured(
                f"SIGNALKIT_ADMIN must be True or False, not {value!r}; set it to False to "
                f"hide the signal receivers page from the admin."
            )
        return value


def _list_setting(name: str, default: list[str], items: str, hint: str = "") -> list[Any]:
    """``SIGNALKIT_<name>`` as a new list; anything but a list or tuple is refused."""
    value = getattr(settings, f"SIGNALKIT_{name}", default)
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise ImproperlyConfigured(
            f"SIGNALKIT_{name} must be a list of {items}, not {value!r}{hint}."
        )
    return list(value)


def _is_dotted_name(value: object) -> bool:
    return isinstance(value, str) and all(part.isidentifier() for part in value.split("."))


conf = Settings()
