"""Autodiscovery of ``<app>.signals`` modules, and the catalogue of known Signal objects.

Django's own ``autodiscover_modules`` re-raises the bare exception of a broken module;
signalkit names the module that failed and chains the original exception, and it tells
"the app has no signals module" (skipped) apart from "the signals module raised
ImportError" (a missing dependency: an error).
"""

from __future__ import annotations

import ast
import sys
from importlib import import_module
from importlib.util import find_spec
from types import ModuleType

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.dispatch import Signal
from django.utils.module_loading import import_string

from signalkit.conf import conf


class AutodiscoveryError(ImproperlyConfigured):
    """A signals module exists but raised while it was imported.

    The original exception is chained as ``__cause__``.
    """


# Django's own signal modules, in the order signals are listed. A module that re-exports a
# signal (django.test.signals re-exports setting_changed) comes after the one defining it.
DJANGO_SIGNAL_MODULES = (
    "django.db.models.signals",
    "django.core.signals",
    "django.db.backends.signals",
    "django.contrib.auth.signals",
    "django.test.signals",
    "django.utils.autoreload",
)

# Signals made known by signalkit.registry.register_signal(), by dotted path.
_registered: dict[str, Signal] = {}


def autodiscover() -> list[str]:
    """Import the ``SIGNALKIT_AUTODISCOVER`` submodules of every installed app.

    Also imports the modules of ``SIGNALKIT_EXTRA_SIGNALS`` and checks each path names a
    Signal, so a typo fails start-up instead of hiding a signal.

    Returns the dotted names of the modules that exist, in INSTALLED_APPS order. Apps
    without such a module are skipped. Safe to call again: a module is imported once per
    process (``sys.modules``), so no receiver is connected twice. Example::

        >>> from signalkit.discovery import autodiscover
        >>> autodiscover()
        ['shop.signals', 'blog.signals']
    """
    imported: list[str] = []
    submodules = conf.AUTODISCOVER
    for app_config in apps.get_app_configs():
        for submodule in submodules:
            dotted = f"{app_config.name}.{submodule}"
            if not _module_exists(dotted):
                continue
            try:
                import_module(dotted)
            except Exception as exc:
                raise AutodiscoveryError(
                    f"signalkit could not import {dotted!r} (app {app_config.label!r}): "
                    f"{type(exc).__name__}: {exc}"
                ) from exc
            imported.append(dotted)
    for path in conf.EXTRA_SIGNALS:
        _import_extra_signal(path)
    return imported


def _import_extra_signal(path: str) -> Signal:
    try:
        signal = import_string(path)
    except ImportError as exc:
        raise AutodiscoveryError(
            f"SIGNALKIT_EXTRA_SIGNALS contains {path!r}, which could not be imported: {exc}"
        ) from exc
    if not isinstance(signal, Signal):
        raise AutodiscoveryError(
            f"SIGNALKIT_EXTRA_SIGNALS contains {path!r}, which is a "
            f"{type(signal).__name__}, not a django.dispatch.Signal."
        )
    return signal


def _module_exists(dotted: str) -> bool:
    """Whether ``dotted`` can be imported, without executing it.

    ``find_spec`` imports the parent packages (already imported: they are apps) but not the
    module itself, so an ImportError raised *inside* the module is never mistaken for a
    missing module. A nested name whose intermediate package is missing counts as missing.
    """
    try:
        return find_spec(dotted) is not None
    except ModuleNotFoundError as exc:
        # A package on the way to ``dotted`` is missing: so is the module. Anything else
        # missing was imported by a package on the way, which is that package's bug.
        if exc.name and dotted.startswith(f"{exc.name}."):
            return False
        raise AutodiscoveryError(f"signalkit could not look up {dotted!r}: {exc}") from exc


def catalogue() -> dict[str, Signal]:
    """Every known signal, by dotted path: Django's, then the apps', then the extra ones.

    Known means: module-level ``Signal`` instances of Django's signal modules, of each
    installed app's ``signals``, ``models`` and ``SIGNALKIT_AUTODISCOVER`` modules,
    ``SIGNALKIT_EXTRA_SIGNALS`` and ``register_signal()``. A pure read: only modules that
    are already imported are looked at. A signal found in several modules (re-exported) is
    listed once, under the module whose source defines it.
    """
    paths: dict[Signal, str] = {}
    for module_name in DJANGO_SIGNAL_MODULES:
        _collect(paths, sys.modules.get(module_name))
    submodules = dict.fromkeys(["signals", "models", *conf.AUTODISCOVER])
    for app_config in apps.get_app_configs():
        for submodule in submodules:
            _collect(paths, sys.modules.get(f"{app_config.name}.{submodule}"))
    for path in conf.EXTRA_SIGNALS:
        module_name, _, attribute = path.rpartition(".")
        signal = getattr(sys.modules.get(module_name), attribute, None)
        if isinstance(signal, Signal):
            paths.setdefault(signal, path)
    for path, signal in _registered.items():
        paths.setdefault(signal, path)
    return {path: signal for signal, path in paths.items()}


def add_signal(path: str, signal: Signal) -> None:
    """Make ``signal`` known under ``path`` (see ``signalkit.registry.register_signal``)."""
    known = _registered.get(path)
    if known is not None and known is not signal:
        raise ValueError(f"Another signal is already registered as {path!r}.")
    _registered[path] = signal


def _collect(paths: dict[Signal, str], module: ModuleType | None) -> None:
    if module is None:
        return
    for attribute, value in list(vars(module).items()):
        # type() and not isinstance(): isinstance() asks a lazy object for its __class__,
        # which evaluates it (django.contrib.staticfiles.storage.staticfiles_storage).
        if not issubclass(type(value), Signal):
            continue
        path = f"{module.__name__}.{attribute}"
        known = paths.get(value)
        if known is None or _defines_instead(module.__name__, attribute, known):
            paths[value] = path


def _defines_instead(module_name: str, attribute: str, known_path: str) -> bool:
    """Whether the signal found at ``known_path`` is really defined by ``module_name``."""
    known_module, known_attribute = known_path.rsplit(".", 1)
    return known_attribute not in _assigned_names(known_module) and attribute in _assigned_names(
        module_name
    )


# Module-level names each parsed module assigns, by module file; only ever asked when one
# signal object is found in two modules (a re-export), so this rarely parses anything.
_assigned: dict[str, frozenset[str]] = {}


def _assigned_names(module_name: str) -> frozenset[str]:
    """Names the source of ``module_name`` assigns at module level (empty if unreadable)."""
    filename = getattr(sys.modules.get(module_name), "__file__", None) or ""
    if filename not in _assigned:
        try:
            with open(filename, encoding="utf-8") as source:
                tree = ast.parse(source.read())
        except (OSError, SyntaxError, ValueError):
            return frozenset()  # not cached: a file being edited may parse next time
        _assigned[filename] = frozenset(
            target.id
            for node in tree.body
            for target in (
                node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
            )
            if isinstance(target, ast.Name)
        )
    return _assigned[filename]
