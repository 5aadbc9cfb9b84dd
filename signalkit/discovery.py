"""Autodiscovery of ``<app>.signals`` modules, and the catalogue of known Signal objects
(with :func:`register_signal`, its one writer).

Django's own ``autodiscover_modules`` re-raises the bare exception of a broken module;
signalkit names the module that failed and chains the original exception, and it tells
"the app has no signals module" (skipped) apart from "the signals module raised
ImportError" (a missing dependency: an error). The catalogue reads the globals of every
imported module without evaluating anything (no attribute access, no ``isinstance``).
"""

from __future__ import annotations

import ast
import inspect
import sys
import types
from collections.abc import Iterator
from importlib import import_module
from importlib.util import find_spec
from types import ModuleType
from typing import Any

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.dispatch import Signal

from signalkit.conf import conf
from signalkit.presentation import safe_repr


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

# Signals made known by register_signal(), by dotted path.
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
            try:
                if not _module_exists(app_config.name, submodule):
                    continue
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
    """Import the module of one ``SIGNALKIT_EXTRA_SIGNALS`` path and return its signal.

    Every failure names the setting and the path, the original exception chained.
    """
    module_name, _, attribute = path.rpartition(".")
    setting = f"SIGNALKIT_EXTRA_SIGNALS contains {path!r}"
    try:
        module = import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is None or not f"{module_name}.".startswith(f"{exc.name}."):
            raise _extra_signal_error(setting, module_name, exc) from exc
        missing = "" if exc.name == module_name else f" (no module named {exc.name!r})"
        raise AutodiscoveryError(
            f"{setting}, but there is no module {module_name!r}{missing}. Use the dotted "
            f'path of a Signal at module level, such as "myapp.events.order_paid".'
        ) from exc
    except Exception as exc:
        raise _extra_signal_error(setting, module_name, exc) from exc
    try:
        signal = getattr(module, attribute)
    except AttributeError as exc:
        raise AutodiscoveryError(
            f"{setting}, but module {module_name!r} has no attribute {attribute!r}."
        ) from exc
    except Exception as exc:
        raise AutodiscoveryError(
            f"{setting}: reading {attribute!r} from module {module_name!r} raised "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    # type() and not isinstance(): a lazy object would be evaluated (see _collect).
    if not issubclass(type(signal), Signal):
        raise AutodiscoveryError(
            f"{setting}, which is a {type(signal).__qualname__}, not a django.dispatch.Signal."
        )
    return signal  # type: ignore[no-any-return]


def _extra_signal_error(setting: str, module_name: str, exc: Exception) -> AutodiscoveryError:
    return AutodiscoveryError(
        f"{setting}, whose module {module_name!r} raised while it was imported: "
        f"{type(exc).__name__}: {exc}"
    )


def _module_exists(package: str, submodule: str) -> bool:
    """Whether ``<package>.<submodule>`` can be imported, without executing it.

    Each name on the way must be a package: ``find_spec`` imports the parent of the name it
    looks up (an app's package is already imported) but not the module itself, so an
    ImportError raised *inside* the module is never mistaken for a missing module. A name
    on the way that is missing, or is a plain module rather than a package (``handlers.py``
    when ``handlers.orders`` is asked for, e.g. ``django.contrib.staticfiles.handlers``),
    means there is no such module here: that plain module is not imported. A package on the
    way that fails to import raises.
    """
    name = package
    is_package = _is_package(sys.modules.get(package))
    for part in submodule.split("."):
        if not is_package:
            return False
        name = f"{name}.{part}"
        namespace = module_namespace(sys.modules.get(name))
        if namespace is not None:
            is_package = "__path__" in namespace
            continue
        spec = find_spec(name)
        if spec is None:
            return False
        is_package = spec.submodule_search_locations is not None
    return True


def _is_package(module: object) -> bool:
    namespace = module_namespace(module)
    return namespace is not None and "__path__" in namespace


def module_namespace(module: object) -> dict[str, Any] | None:
    """The globals of ``module`` when it is a module object, else None; evaluates nothing.

    ``vars(module)`` would ask the object for its ``__dict__``: a module being imported
    lazily (``importlib.util.LazyLoader``) executes itself on any attribute access, and
    ``sys.modules`` may hold objects that are no modules at all. The dict is read through
    the module type's own descriptor instead.
    """
    if not issubclass(type(module), ModuleType):
        return None
    namespace: dict[str, Any] = _MODULE_DICT.__get__(module)
    return namespace


_MODULE_DICT = vars(ModuleType)["__dict__"]


def catalogue() -> dict[str, Signal]:
    """Every known signal, by dotted path: Django's, the apps', the extra and registered
    ones, then those of every other imported module.

    Known means: module-level ``Signal`` instances of Django's signal modules, of each
    installed app's ``signals``, ``models`` and ``SIGNALKIT_AUTODISCOVER`` modules,
    ``SIGNALKIT_EXTRA_SIGNALS``, ``register_signal()``, and every ``Signal`` held by a
    module-level variable of any other imported module (a library's own signals, outside
    INSTALLED_APPS, such as ``django.tasks.signals``). A pure read: only modules that are
    already imported are looked at, and their globals are read without evaluating anything
    (no attribute access, no ``isinstance``; never a heap scan). A signal found in several
    modules (re-exported) is listed once, under the module whose source defines it.
    """
    paths: dict[Signal, str] = {}
    for module_name in DJANGO_SIGNAL_MODULES:
        _collect(paths, module_name)
    submodules = dict.fromkeys(["signals", "models", *conf.AUTODISCOVER])
    for app_config in apps.get_app_configs():
        for submodule in submodules:
            _collect(paths, f"{app_config.name}.{submodule}")
    for path in conf.EXTRA_SIGNALS:
        signal = _imported_signal(path)
        if signal is not None:
            paths.setdefault(signal, path)
    for path, signal in _registered.items():
        paths.setdefault(signal, path)
    _collect_imported(paths)
    return {path: signal for signal, path in paths.items()}


def register_signal(signal: Signal, name: str | None = None) -> Signal:
    """Make a custom signal known to the inspector, under the dotted path ``name``.

    Signals held by a module-level variable of an imported module are found without this:
    it is for the others (a signal kept in a class or a registry of your own). ``name``
    defaults to the caller's module plus the variable holding the signal there. Returns
    the signal::

        order_paid = register_signal(Signal())  # listed as "myapp.events.order_paid"
    """
    if not issubclass(type(signal), Signal):
        raise TypeError(
            f"register_signal() takes a django.dispatch.Signal, not {safe_repr(signal)}."
        )
    if name is None:
        name = _name_in_caller(signal, sys._getframe(1))
    elif "." not in name or not all(part.isidentifier() for part in name.split(".")):
        raise ValueError(
            f"register_signal() needs a dotted path such as 'myapp.events.order_paid' as "
            f"name, not {name!r}."
        )
    known = _registered.get(name)
    if known is not None and known is not signal:
        raise ValueError(f"Another signal is already registered as {name!r}.")
    _registered[name] = signal
    return signal


def _name_in_caller(signal: Signal, frame: types.FrameType) -> str:
    module = frame.f_globals.get("__name__", "")
    for variable, value in frame.f_globals.items():
        if value is signal:
            return f"{module}.{variable}"
    # register_signal(Signal()) on the right of an assignment: the variable isn't bound yet.
    line = inspect.getframeinfo(frame).code_context or [""]
    variable = line[0].split("=", 1)[0].strip()
    if "=" in line[0] and variable.isidentifier():
        return f"{module}.{variable}"
    raise ValueError(
        "register_signal() could not tell the signal's name; pass it, e.g. "
        "register_signal(signal, name='myapp.events.order_paid')."
    )


def _collect(paths: dict[Signal, str], module_name: str) -> None:
    namespace = module_namespace(sys.modules.get(module_name))
    if namespace is not None:
        for attribute, signal in _signals_in(namespace):
            _place(paths, signal, module_name, attribute)


def _collect_imported(paths: dict[Signal, str]) -> None:
    """Add the signals of every imported module that ``paths`` does not know yet.

    The cost is one ``type()`` per module-level variable of every module in
    ``sys.modules``, looked up in the set of Signal classes (about 0.5 ms for 28,000
    variables). ``list()`` copies each dict at once: another thread may be importing
    meanwhile.
    """
    found: dict[Signal, str] = {}
    signal_types = _subclasses(Signal)
    for module_name, module in list(sys.modules.items()):
        namespace = module_namespace(module)
        if namespace is None or type(module_name) is not str:
            continue
        # Most modules hold no signal: look at the values' types alone before pairing names.
        if signal_types.isdisjoint(map(type, list(namespace.values()))):
            continue
        for attribute, signal in _signals_in(namespace):
            if signal not in paths:
                _place(found, signal, module_name, attribute)
    paths.update(found)


def _subclasses(klass: type) -> set[type]:
    """``klass`` and every class that derives from it: the types ``issubclass(type(value),
    klass)`` is true for."""
    found = {klass}
    stack = [klass]
    while stack:
        subclasses: list[type] = type.__subclasses__(stack.pop())
        for subclass in subclasses:
            if subclass not in found:
                found.add(subclass)
                stack.append(subclass)
    return found


def _signals_in(namespace: dict[str, Any]) -> Iterator[tuple[str, Signal]]:
    """The module-level signals of a module's globals, as (name, signal)."""
    for attribute, value in list(namespace.items()):
        # type() and not isinstance(): isinstance() asks a lazy object for its __class__,
        # which evaluates it (django.contrib.staticfiles.storage.staticfiles_storage).
        if issubclass(type(value), Signal) and type(attribute) is str:
            yield attribute, value


def _place(paths: dict[Signal, str], signal: Signal, module_name: str, attribute: str) -> None:
    """Key ``signal`` by this path unless it is known where its source defines it."""
    known = paths.get(signal)
    if known is None or _defines_instead(module_name, attribute, known):
        paths[signal] = f"{module_name}.{attribute}"


def _imported_signal(path: str) -> Signal | None:
    """The signal at ``path`` when its module is imported (a pure read, as _collect)."""
    module_name, _, attribute = path.rpartition(".")
    module = sys.modules.get(module_name)
    namespace = module_namespace(module)
    if namespace is None:
        return None
    value = namespace.get(attribute)
    if value is None and type(module) is ModuleType and "__getattr__" in namespace:
        try:  # a module-level __getattr__ (PEP 562), which autodiscover() already called
            value = getattr(module, attribute)
        except Exception:
            return None
    return value if issubclass(type(value), Signal) else None


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
    namespace = module_namespace(sys.modules.get(module_name))
    filename = namespace.get("__file__") if namespace is not None else None
    if type(filename) is not str:
        return frozenset()
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
