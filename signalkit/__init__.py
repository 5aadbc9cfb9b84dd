"""signalkit: make Django signals visible, testable and safe.

Add ``"signalkit"`` to ``INSTALLED_APPS`` and every installed app's ``signals.py`` is
imported once at start-up. Public names are re-exported lazily, so ``import signalkit``
imports neither models nor the app registry.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0.dev0"

# public name -> module that defines it
_EXPORTS = {
    "autodiscover": "signalkit.discovery",
    "AutodiscoveryError": "signalkit.discovery",
}

__all__ = ["AutodiscoveryError", "__version__", "autodiscover"]

if TYPE_CHECKING:
    from signalkit.discovery import AutodiscoveryError, autodiscover


def __getattr__(name: str) -> Any:
    try:
        module = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'signalkit' has no attribute {name!r}") from None
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
