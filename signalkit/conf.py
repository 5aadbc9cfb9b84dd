"""signalkit's settings, read from ``django.conf.settings`` on every access.

Nothing is cached and no default is ever written into ``django.conf.settings``, so
``override_settings`` and ``pytest-django``'s ``settings`` fixture just work::

    from signalkit.conf import conf

    conf.AUTODISCOVER  # ["signals"] unless SIGNALKIT_AUTODISCOVER says otherwise
"""

from __future__ import annotations

import re
import string
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

#: The placeholders ``SIGNALKIT_EDITOR_URL`` may use.
EDITOR_URL_FIELDS = ("path", "line")
# URL schemes a link must never have: following one runs what the link carries.
_SCRIPT_SCHEMES = frozenset({"javascript", "vbscript", "data"})
# RFC 3986: a scheme is a letter, then letters, digits, "+", "-" or ".", then ":".
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


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

    @property
    def EDITOR_URL(self) -> str | None:
        """A URL template that makes each receiver's ``file:line`` on the admin page a link
        that opens it in an editor, e.g. ``"vscode://file/{path}:{line}"``.

        ``SIGNALKIT_EDITOR_URL``, default ``None`` (no links; ``""`` too). ``{path}`` is the
        absolute path of the file, URL-escaped, and ``{line}`` the line number; ``{{`` and
        ``}}`` are literal braces. The template must start with its scheme (``vscode:``,
        ``pycharm:``, ``https:``...), and ``javascript:``, ``vbscript:`` and ``data:`` are
        refused. A template that breaks these rules raises ``ImproperlyConfigured`` naming
        the setting when the page is viewed.
        """
        value = getattr(settings, "SIGNALKIT_EDITOR_URL", None)
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            raise ImproperlyConfigured(
                f"SIGNALKIT_EDITOR_URL must be a URL template string such as "
                f'"vscode://file/{{path}}:{{line}}", or None, not {value!r}.'
            )
        _check_editor_url(value)
        return value


def _check_editor_url(template: str) -> None:
    """Raise ImproperlyConfigured unless ``template`` is a safe ``SIGNALKIT_EDITOR_URL``."""
    example = 'such as "vscode://file/{path}:{line}"'
    try:
        fields = [
            (name, spec, conversion)
            for _, name, spec, conversion in string.Formatter().parse(template)
            if name is not None
        ]
    except ValueError as exc:  # an unmatched brace
        raise ImproperlyConfigured(
            f"SIGNALKIT_EDITOR_URL {template!r} is not a valid template ({exc}); write "
            f"literal braces as {{{{ and }}}}, and placeholders {example}."
        ) from None
    for name, spec, conversion in fields:
        if name not in EDITOR_URL_FIELDS or spec or conversion:
            written = "{" + name + (f"!{conversion}" if conversion else "")
            written += (f":{spec}" if spec else "") + "}"
            raise ImproperlyConfigured(
                f"SIGNALKIT_EDITOR_URL {template!r} contains {written}; the only "
                f"placeholders are {{path}} and {{line}}, as written, {example}."
            )
    if "path" not in {name for name, _, _ in fields}:
        raise ImproperlyConfigured(
            f"SIGNALKIT_EDITOR_URL {template!r} has no {{path}} placeholder; write where "
            f"the file's path goes, {example}."
        )
    scheme = _SCHEME.match(template)
    if scheme is None:
        raise ImproperlyConfigured(
            f"SIGNALKIT_EDITOR_URL {template!r} does not start with a URL scheme; start it "
            f"with the editor's, {example}."
        )
    if scheme.group()[:-1].lower() in _SCRIPT_SCHEMES:
        raise ImproperlyConfigured(
            f"SIGNALKIT_EDITOR_URL {template!r} uses the {scheme.group()} scheme, which runs "
            f"code in the browser; use the editor's own scheme, {example}."
        )


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
