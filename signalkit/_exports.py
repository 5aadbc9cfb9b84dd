"""Lazy re-exports for signalkit's packages: a public name's module is imported on first use,
so importing a package imports no model (and needs no app registry)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any


def lazy_exports(
    package: str, exports: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The module ``__getattr__`` and ``__dir__`` of ``package``, which re-exports each name
    of ``exports`` (public name -> module defining it) on first access::

        __getattr__, __dir__ = lazy_exports(__name__, {"muted_signals": "signalkit.muting"})
    """

    def __getattr__(name: str) -> Any:
        try:
            module = exports[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        value = getattr(import_module(module), name)
        setattr(sys.modules[package], name, value)  # later lookups find it at once
        return value

    def __dir__() -> list[str]:
        return sorted(getattr(sys.modules[package], "__all__", exports))

    return __getattr__, __dir__
