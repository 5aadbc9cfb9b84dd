"""The inspector: a normalised, read-only view of every known signal and its receivers.

    >>> from signalkit import registry
    >>> reg = registry.snapshot()
    >>> [r.path for r in reg.filter(signal="post_save", app="shop").receivers]
    ['shop.signals.create_profile']

``snapshot()`` is a pure read: it imports nothing, connects nothing and never walks the
heap. This module holds the one normaliser of ``Signal.receivers`` (``_Entry``), whose
tuples differ across Django versions (their layouts are in ``signalkit._compat``); nothing
else in signalkit reads them. What a connected receiver is (its description, dispatch_uid,
whether it takes ``**kwargs``) is worked out once per connection and kept for the next
snapshots, as text and numbers only (see ``_Entry``): each snapshot still reads every
receiver, sender and death anew.

No receiver, sender or dispatch_uid can make a snapshot raise: names are read from the
objects' own classes (never through a metaclass or ``__getattr__``), a ``__module__`` that
is not a string counts as no module, and a ``repr()`` that raises gives a
``<unprintable …>`` text (each such error is logged at DEBUG level on ``signalkit``, a
receiver's own by the first snapshot that describes it).
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import os
import site
import sys
import sysconfig
import types
import weakref
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache, cached_property, partial
from typing import Any, Self, TypeVar, overload

from asgiref.sync import iscoroutinefunction
from django.apps import AppConfig, apps
from django.db import models
from django.db.models.signals import ModelSignal, m2m_changed, post_save, pre_save
from django.dispatch import Signal

from signalkit._compat import (
    ANY_SENDER_KEY,
    RECEIVER_IS_ASYNC_INDEX,
    RECEIVER_SENDER_REF_INDEX,
    receiver_key,
)
from signalkit._raw import ignores_raw
from signalkit.deferred import Deferral, deferral_of
from signalkit.discovery import catalogue, module_namespace, register_signal
from signalkit.mixins._dispatch_uid import mixin_app_label
from signalkit.presentation import class_names, plain_text, safe_repr, type_name

__all__ = [
    "Problem",
    "ReceiverInfo",
    "Registry",
    "SignalInfo",
    "dispatch_uid_of",
    "has_receivers",
    "is_project_file",
    "receiver_path",
    "register_signal",
    "send_sender_label",
    "snapshot",
]

logger = logging.getLogger("signalkit")

DEAD = "<dead weak reference>"
# A weak bound method dies with its object: a normal end (Django's own FileSystemStorage
# connects one to setting_changed per storage object), so listed but not a problem.
DEAD_METHOD = "<dead bound method>"


_T = TypeVar("_T")


class _cached(cached_property[_T]):
    """``functools.cached_property`` without the lock Python 3.11 takes on each first read
    (3.12 dropped it; at 5,000 receivers it cost the admin page milliseconds). Two threads
    reading one value at once may both work it out: the same value."""

    @overload
    def __get__(self, instance: None, owner: type[Any] | None = None) -> Self: ...

    @overload
    def __get__(self, instance: object, owner: type[Any] | None = None) -> _T: ...

    def __get__(self, instance: object, owner: type[Any] | None = None) -> _T | Self:
        if instance is None:
            return self
        value = self.func(instance)
        instance.__dict__[self.attrname] = value  # type: ignore[index]
        return value


@dataclass(frozen=True, eq=False)
class ReceiverInfo:
    """One connected receiver, described the same way on every Django version.

    ``path`` is the module plus ``__qualname__`` of the code that runs (a partial's wrapped
    function, a callable instance's class); ``name`` is what a person reads (``Class.method``,
    ``partial(func)``, ``Notifier instance``). ``sender`` is None for "any sender" (then
    ``sender_label`` is ``"any"``; other senders are named as :func:`send_sender_label`
    names them). ``app`` is the label of the installed app whose package holds the
    receiver's module, except for a receiver signalkit's mixins connected for a model
    (``StockMovementMixin``'s, ``AutoProfileMixin``'s): the app of that model, as its
    ``dispatch_uid`` says. ``file``/``line`` point at the real source, decorators
    unwrapped, or are None when there is no Python source (builtins, dead references).
    ``deferred`` is the :class:`~signalkit.deferred.Deferral` of a receiver decorated with
    ``after_commit`` or ``as_task`` (its path, name and file:line are the decorated
    function's), None for any other.
    """

    path: str
    name: str
    kind: str  # function, lambda, method, partial, instance, class, builtin, dead
    app: str | None
    signal_path: str
    sender: object | None
    sender_label: str
    sender_flags: tuple[str, ...]  # of a model sender: abstract, proxy, swapped, auto_created
    dispatch_uid: Hashable | None
    is_async: bool
    weak: bool
    alive: bool
    file: str | None
    line: int | None
    pending: bool
    deferred: Deferral | None
    receiver: Callable[..., Any] | None = field(repr=False)  # None when a weak ref died
    identity: Hashable = field(repr=False)  # equal for one callable connected twice

    @_cached
    def accepts_kwargs(self) -> bool | None:
        """Whether the receiver takes ``**kwargs`` (None when its signature is unknown).

        Read from the code object for functions and methods (decorators and partials
        unwrapped, as ``inspect.signature`` does), else from ``inspect.signature``. Never Django's
        ``func_accepts_kwargs``, whose cache would keep weak receivers alive.
        """
        return _accepts_kwargs(self.receiver, self.path)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form, as ``listsignals --format json`` prints it."""
        return {
            "path": self.path,
            "name": self.name,
            "kind": self.kind,
            "app": self.app,
            "signal": self.signal_path,
            "sender": self.sender_label,
            "sender_flags": list(self.sender_flags),
            "dispatch_uid": _jsonable(self.dispatch_uid),
            "is_async": self.is_async,
            "weak": self.weak,
            "alive": self.alive,
            "accepts_kwargs": self.accepts_kwargs,
            "pending": self.pending,
            "file": self.file,
            "line": self.line,
            "deferred": _deferral_dict(self.deferred),
            "in_project": self.in_project,
        }

    @_cached
    def in_project(self) -> bool:
        """Whether the receiver belongs to the project rather than to a library: its source
        file is the project's (:func:`is_project_file`), or it is attributed to an app of
        the project (a mixin's receiver, connected for a project's model)."""
        if self.file is not None and is_project_file(self.file):
            return True
        if self.app is None:
            return False
        try:
            app_path = apps.get_app_config(self.app).path
        except LookupError:
            return False
        return is_project_file(os.path.join(app_path, "__init__.py"))

    @_cached
    def unreachable_task(self) -> str | None:
        """Why a task worker cannot find this ``as_task`` receiver by its dotted path, or
        None (it can, or this is no live ``as_task`` receiver). Reads ``sys.modules`` only.
        """
        if self.deferred is None or self.deferred.kind != "task" or self.receiver is None:
            return None
        return _task_unreachable(self.receiver)


def _accepts_kwargs(target: Any, path: str) -> bool | None:
    """``ReceiverInfo.accepts_kwargs`` of the receiver ``target`` (its ``path`` is logged)."""
    if target is None:
        return None
    try:
        # A partial keeps its function's **kwargs (inspect.signature says the same,
        # far more slowly).
        while type(target) is partial:
            target = target.func
        if issubclass(type(target), types.MethodType):
            target = target.__func__
        if issubclass(type(target), types.FunctionType):
            with contextlib.suppress(ValueError):  # a __wrapped__ loop: the outer one
                target = inspect.unwrap(target)
            if issubclass(type(target), types.FunctionType):
                return bool(target.__code__.co_flags & inspect.CO_VARKEYWORDS)
        parameters = inspect.signature(target).parameters.values()
    except (TypeError, ValueError):  # no signature (some builtins)
        return None
    except Exception:
        logger.debug("The signature of %s could not be read", path, exc_info=True)
        return None
    return any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters)


def _runs_python_function(target: Any) -> bool:
    """Whether ``target`` is a function, or a method or partial of one: what
    :func:`_accepts_kwargs` reads from code alone, as a snapshot already unwraps it."""
    while type(target) is partial:
        target = target.func
    if issubclass(type(target), types.MethodType):
        target = target.__func__
    return issubclass(type(target), types.FunctionType)


@cache
def _library_roots() -> tuple[str, ...]:
    """Folders whose code is not the project's: the standard library, every site-packages,
    and Django's and signalkit's packages (signalkit installed from a checkout too)."""
    import django

    import signalkit

    roots = {
        sysconfig.get_path(name, vars=scheme_vars)
        for name in ("stdlib", "platstdlib", "purelib", "platlib")
        for scheme_vars in (None, {"base": sys.base_prefix, "platbase": sys.base_exec_prefix})
    }
    roots.update(site.getsitepackages())
    roots.add(site.getusersitepackages())
    roots.update(os.path.dirname(package.__file__ or "") for package in (django, signalkit))
    return tuple(os.path.join(os.path.realpath(root), "") for root in roots if root)


_LIBRARY_PARTS = frozenset({"site-packages", "dist-packages"})


@cache  # receivers share files, and resolving symlinks asks the file system
def is_project_file(path: str) -> bool:
    """Whether ``path`` is the project's code: a real file outside the standard library,
    every ``site-packages``/``dist-packages`` folder, and Django and signalkit."""
    if not os.path.isabs(path):  # <frozen ...>, <string>: no file of the project's
        return False
    real = os.path.realpath(path)
    if real.startswith(_library_roots()):
        return False
    return _LIBRARY_PARTS.isdisjoint(real.split(os.sep))


@dataclass(frozen=True, eq=False)
class SignalInfo:
    """A known signal: its dotted ``path`` (the unique key), bare ``name`` and receivers."""

    path: str
    name: str
    signal: Signal = field(repr=False)
    receivers: list[ReceiverInfo]

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "name": self.name,
            "receivers": [receiver.to_dict() for receiver in self.receivers],
        }


@dataclass(frozen=True)
class Problem:
    """Something about a receiver that makes it misbehave; ``listsignals --check`` fails."""

    # duplicate, dead, no_kwargs, unresolved_sender, abstract_sender, swapped_sender,
    # unreachable_task, ignores_raw
    kind: str
    message: str
    receiver: ReceiverInfo

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "message": self.message,
            "signal": self.receiver.signal_path,
            "receiver": self.receiver.path,
            "file": self.receiver.file,
            "line": self.receiver.line,
        }


@dataclass(frozen=True)
class Registry:
    """What ``snapshot()`` returns: known signals with their receivers, and pending ones."""

    signals: list[SignalInfo]
    pending: list[ReceiverInfo]

    @property
    def receivers(self) -> list[ReceiverInfo]:
        """Every connected receiver of every known signal, in signal then connect order."""
        return [receiver for info in self.signals for receiver in info.receivers]

    def filter(
        self,
        app: str | Iterable[str] | None = None,
        signal: str | Signal | Iterable[str | Signal] | None = None,
        sender: object = None,
    ) -> Registry:
        """Keep the receivers of these apps, signals and senders (each one or several).

        ``signal`` is a dotted path, a bare name (every signal of that name) or a Signal.
        ``sender`` is a model, an ``"app.Model"`` label or any object. Receivers connected
        for that sender are kept, and receivers of "any sender" of the signals it can send:
        for a model, the model signals (``ModelSignal``: ``pre_init`` to ``post_delete``, and
        ``m2m_changed`` for a many-to-many ``through`` model), not ``request_started``,
        ``setting_changed`` or a custom ``Signal``, whose senders cannot be told; for any
        other object, every signal. Filtering by app or sender drops the signals left
        without receivers. Unknown values raise ValueError naming the value and the valid
        choices::

            reg.filter(app=["shop", "blog"], signal="post_save", sender="shop.Order")
        """
        signals = self.signals
        if signal is not None:
            wanted = _signal_matcher(signals, signal)
            signals = [info for info in signals if wanted(info)]
        labels = _app_labels(app) if app is not None else None
        senders = None
        if sender is not None:
            waited_for = {r.sender_label for r in self.pending}
            senders = [_resolve_sender(value, waited_for) for value in _as_list(sender)]

        # Whether an "any sender" receiver of each signal runs for one of the senders.
        any_runs = {
            info.path: senders is not None and any(_can_send(s, info.signal) for s in senders)
            for info in signals
        }

        def keep(receiver: ReceiverInfo) -> bool:
            return (labels is None or receiver.app in labels) and (
                senders is None
                or _receives_from(receiver, senders, any_runs.get(receiver.signal_path, False))
            )

        known = {info.path for info in signals}
        named = Registry(signals, [r for r in self.pending if r.signal_path in known])
        return named.select(keep, drop_empty=labels is not None or senders is not None)

    def select(
        self, accept: Callable[[ReceiverInfo], bool], *, drop_empty: bool = False
    ) -> Registry:
        """The receivers (pending ones included) that ``accept`` keeps, under their signals.

        With ``drop_empty``, signals left without receivers are dropped too::

            reg.select(lambda receiver: receiver.is_async, drop_empty=True)
        """
        kept = [
            SignalInfo(info.path, info.name, info.signal, [r for r in info.receivers if accept(r)])
            for info in self.signals
        ]
        if drop_empty:
            kept = [info for info in kept if info.receivers]
        return Registry(kept, [r for r in self.pending if accept(r)])

    def duplicates(self) -> list[list[ReceiverInfo]]:
        """Groups of one callable connected to one signal so that a send calls it twice.

        That is: the same callable (or the same function imported twice under two module
        names) connected more than once to one signal, with the same sender or with "any
        sender" on one side, under different dispatch_uids or sender keys. The same
        function connected for two different senders is not a duplicate.
        """
        groups: list[list[ReceiverInfo]] = []
        for info in self.signals:
            by_identity: dict[Hashable, list[ReceiverInfo]] = defaultdict(list)
            for receiver in info.receivers:
                if receiver.alive:
                    by_identity[receiver.identity].append(receiver)
            for connected in by_identity.values():
                if len(connected) < 2:  # most callables are connected once
                    continue
                group = [r for r in connected if _overlaps_another(r, connected)]
                if len(group) > 1:
                    groups.append(group)
        return groups

    def problems(self) -> list[Problem]:
        """Everything ``listsignals --check`` and the system checks report."""
        return self._problems(self.duplicates())

    def _problems(self, duplicates: list[list[ReceiverInfo]]) -> list[Problem]:
        """:meth:`problems`, given :meth:`duplicates` (the admin page needs both)."""
        found: list[Problem] = []
        for group in duplicates:
            first = group[0]
            found.append(
                Problem(
                    "duplicate",
                    f"{first.path} is connected to {first.signal_path} {len(group)} times "
                    f"({'; '.join(_connection(r) for r in group)}): one send calls it "
                    f"{len(group)} times.",
                    first,
                )
            )
        for info in self.signals:
            sends_raw = any(info.signal is signal for signal in _RAW_SIGNALS)
            for receiver in info.receivers:
                found.extend(_receiver_problems(receiver))
                if sends_raw and _ignores_raw(receiver):
                    found.append(
                        Problem(
                            "ignores_raw",
                            f"{receiver.path} never reads raw, so it also runs when loaddata "
                            f"saves fixture rows (Django sends {info.name} with raw=True for "
                            f"each) and may write what the fixture already holds. Take raw "
                            f"and return early when it is True; a receiver meant to run for "
                            f"fixture rows too takes raw as well.",
                            receiver,
                        )
                    )
        found.extend(
            Problem(
                "unresolved_sender",
                f"{receiver.path} waits for sender {receiver.sender_label!r} of "
                f"{receiver.signal_path}, which is not an installed model.",
                receiver,
            )
            for receiver in self.pending
        )
        return found

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable; the schema ``listsignals --format json`` prints."""
        return {
            "signals": [info.to_dict() for info in self.signals],
            "pending": [receiver.to_dict() for receiver in self.pending],
            "problems": [problem.to_dict() for problem in self.problems()],
        }


def snapshot() -> Registry:
    """Read every known signal and its receivers, now. Imports and connects nothing."""
    reader = _Reader()
    paths_by_signal: dict[Signal, str] = {}
    signals = []
    for path, signal in catalogue().items():
        paths_by_signal[signal] = path
        receivers = [
            reader.connected(entry, target, path) for entry, target in reader.entries(signal)
        ]
        signals.append(SignalInfo(path, path.rpartition(".")[2], signal, receivers))
    registry = Registry(signals, _pending(reader, paths_by_signal))
    reader.keep_read()
    return registry


# --- the one normaliser of Signal.receivers --------------------------------------------


class _Entry:
    """One ``Signal.receivers`` tuple, read, and what it says that cannot change while it is
    connected: the receiver's description and dispatch_uid, worked out by the first
    snapshot that finds the receiver alive and kept for the next ones.

    Kept from one snapshot to the next by the id of its tuple (see ``_Reader.entries``),
    with the tuple's lookup key, which Django makes anew for each connect: a tuple of that
    id holding that very key is the same connection. It holds no receiver and no sender: a
    weakly connected receiver through the tuple's own weak reference, a strongly connected
    one not at all (each snapshot reads it from the tuple), the sender weakly. What is kept
    of a receiver is text and numbers (``known``); what refers to the receiver itself (the
    receiver, its identity when that is the function, its deferral) is read again by each
    snapshot, which so also sees each death. A disconnected receiver's entry is kept until
    the next snapshot at most, and with it the tuple's lookup key (its ``dispatch_uid``).
    """

    __slots__ = (
        "found_sender",
        "identity_of",
        "key",
        "known",
        "module",
        "receiver_key",
        "ref",
        "sender_key",
        "sender_ref",
        "stored_is_async",
        "weak",
        "weak_method",
    )

    def __init__(self, entry: tuple[Any, ...]) -> None:
        """Read Django 5.2's ``(key, ref, is_async)`` and 6.x's ``(key, ref, sender_ref,
        is_async)`` (``signalkit._compat``). Only indexes 0 and 1 mean the same everywhere."""
        ref = entry[1]
        self.key = entry[0]
        # dispatch_uid, or Django's id-based key of the receiver; id(sender) or NONE_ID
        self.receiver_key, self.sender_key = self.key
        # type(), not isinstance(): a strong receiver is any object, __class__ included.
        self.weak = issubclass(type(ref), weakref.ReferenceType)
        self.ref: weakref.ReferenceType[Any] | None = ref if self.weak else None
        # A weakref.WeakMethod: the type survives the receiver's death.
        self.weak_method = issubclass(type(ref), weakref.WeakMethod)
        # Django 6.x keeps a weak reference to the sender (None for "any sender"); 5.2 only
        # its id, and the sender found from it is kept weakly in found_sender.
        self.sender_ref: weakref.ReferenceType[Any] | None = (
            entry[RECEIVER_SENDER_REF_INDEX] if RECEIVER_SENDER_REF_INDEX is not None else None
        )
        self.found_sender: weakref.ReferenceType[Any] | None = None
        self.stored_is_async: bool = entry[RECEIVER_IS_ASYNC_INDEX]
        # The live receiver's ReceiverInfo fields that cannot change (its description, its
        # dispatch_uid, ...) and what accepts_kwargs says when code alone tells; None until
        # a snapshot finds it alive. Numbers and text only: never the receiver.
        self.known: dict[str, Any] | None = None
        self.module: str | None = None  # the receiver's, for its app and its sender
        # How a snapshot works out the identity when it refers to the receiver (None: it is
        # in known, numbers and text).
        self.identity_of: Callable[[Any], Hashable] | None = None

    def target(self, entry: tuple[Any, ...]) -> Any:
        """The receiver of ``entry`` (this one's tuple); None when its weak reference died."""
        return self.ref() if self.ref is not None else entry[1]

    def fields(self, target: Any) -> dict[str, Any]:
        """A new dict of the ReceiverInfo fields the live receiver ``target`` of this entry
        has whatever the snapshot (``module`` is then its module)."""
        known = self.known
        if known is None:
            described = _Description.of(target)
            known = {
                "path": described.path,
                "name": described.name,
                "kind": described.kind,
                "file": described.file,
                "line": described.line,
                "dispatch_uid": _dispatch_uid(self.receiver_key, target),
                "is_async": self.stored_is_async,
                "weak": self.weak,
                "pending": False,
            }
            if _runs_python_function(target):
                known["accepts_kwargs"] = _accepts_kwargs(target, described.path)
            if described.file is not None and is_project_file(described.file):
                known["in_project"] = True  # as ReceiverInfo.in_project says, whatever its app
            identity_of = _identity_rule(described.identity, target)
            if identity_of is _UNCACHEABLE:  # worked out again by the next snapshot
                self.module = described.module
                return {**known, "identity": described.identity}
            if identity_of is None:
                known["identity"] = described.identity
            self.identity_of = identity_of
            self.module = described.module
            self.known = known
        fields = known.copy()
        if self.identity_of is not None:
            fields["identity"] = self.identity_of(target)
        return fields

    def dead_fields(self) -> dict[str, Any]:
        """The ReceiverInfo fields of this entry's receiver once it died."""
        described = _Description.dead(self.weak_method)
        key = self.receiver_key
        return {
            "path": described.path,
            "name": described.name,
            "kind": described.kind,
            "file": None,
            "line": None,
            "dispatch_uid": None if _looks_like_id(key) else key,
            "is_async": False,
            "weak": self.weak,
            "pending": False,
            "identity": described.identity,
            "accepts_kwargs": None,
        }


def _the_receiver(target: Any) -> Hashable:
    identity: Hashable = target
    return identity


def _method_identity(method: Any) -> Hashable:
    return (id(method.__self__), method.__func__)


def _uncacheable(target: Any) -> Hashable:  # a marker, never called
    raise NotImplementedError


_UNCACHEABLE: Callable[[Any], Hashable] = _uncacheable


def _identity_rule(identity: Hashable, target: Any) -> Callable[[Any], Hashable] | None:
    """How to work out ``identity`` from the receiver again, without keeping what it
    refers to: None when it holds only numbers and text (kept as it is)."""
    if _plain(identity):
        return None
    if identity is target:  # a closure or lambda, a builtin
        return _the_receiver
    if (
        type(target) is types.MethodType
        and type(identity) is tuple
        and len(identity) == 2
        and identity[0] == id(target.__self__)
        and identity[1] is target.__func__
    ):
        return _method_identity
    return _UNCACHEABLE


def _plain(value: object) -> bool:
    """Whether ``value`` is made of numbers, text and None only (in tuples)."""
    if value is None or type(value) in (str, int):
        return True
    return type(value) is tuple and all(_plain(item) for item in value)


_UNKNOWN = object()
# The signals sent with raw=True while loaddata saves fixture rows (Model.save_base(raw=True));
# m2m_changed, pre_delete and post_delete have no raw argument.
_RAW_SIGNALS = (pre_save, post_save)

# The entries the last snapshot read, by id() of their tuple: each snapshot keeps only those
# connected then, so a disconnected receiver's entry lasts until the next snapshot at most.
_last_read: dict[int, _Entry] = {}


def _looks_like_id(key: Hashable) -> bool:
    """Whether ``key`` is one of Django's id-based receiver keys (any dispatch_uid may not)."""
    return type(key) is int or (
        type(key) is tuple and len(key) == 2 and all(type(k) is int for k in key)
    )


def _dispatch_uid(key: Hashable, target: object) -> Hashable | None:
    """The dispatch_uid a live receiver was connected with, None without one.

    Only an id-shaped key is compared (a dispatch_uid's own ``__eq__`` is never called).
    """
    if not _looks_like_id(key):
        return key
    try:
        own_key = receiver_key(target)
    except Exception:  # Django's key asks the receiver for __func__ and __self__
        logger.debug(
            "The receiver key of a %s could not be computed", type_name(target), exc_info=True
        )
        return None
    return None if key == own_key else key


# --- naming receivers --------------------------------------------------------------------


@dataclass(frozen=True)
class _Description:
    path: str
    name: str
    kind: str
    module: str | None
    file: str | None
    line: int | None
    identity: Hashable

    @classmethod
    def dead(cls, method: bool) -> _Description:
        name = DEAD_METHOD if method else DEAD
        return cls(name, name, "dead", None, None, None, object())

    @classmethod
    def of(cls, target: Any) -> _Description:
        """Describe any receiver; never raises (see the module docstring)."""
        try:
            return cls._of(target)
        except Exception:
            logger.debug(
                "A receiver of type %s could not be described", type_name(target), exc_info=True
            )
            module, qualname = class_names(type(target))
            return cls(
                _dotted(module, qualname),
                f"<unprintable {qualname} object at {id(target):#x}>",
                "unknown",
                module,
                None,
                None,
                id(target),
            )

    @classmethod
    def _of(cls, target: Any) -> _Description:
        # type(), not isinstance(): isinstance() asks the object for its __class__.
        kind = type(target)
        if issubclass(kind, partial):
            inner = cls.of(target.func)
            return cls(
                inner.path,
                f"partial({inner.name})",
                "partial",
                inner.module,
                inner.file,
                inner.line,
                id(target),
            )
        if issubclass(kind, types.MethodType):
            inner = cls.of(target.__func__)
            return cls(
                inner.path,
                inner.name,
                "method",
                inner.module,
                inner.file,
                inner.line,
                (id(target.__self__), inner.identity),
            )
        if issubclass(kind, types.FunctionType):
            return cls._function(target)
        if issubclass(kind, types.BuiltinFunctionType | types.BuiltinMethodType):
            home = plain_text(getattr(target, "__module__", None)) or "builtins"
            name = plain_text(target.__qualname__) or "<builtin>"
            return cls(_dotted(home, name), name, "builtin", home, None, None, target)
        if issubclass(kind, type):
            file, line = _class_source(target)
            module, qualname = class_names(target)
            return cls(_dotted(module, qualname), qualname, "class", module, file, line, id(target))
        return cls._instance(target)

    @classmethod
    def _function(cls, function: types.FunctionType) -> _Description:
        file, line = _code_location(function)
        # A function's __module__ is any object (None for code run by exec without one).
        module = plain_text(function.__module__)
        kind = "lambda" if function.__name__ == "<lambda>" else "function"
        # A plain function is known by where it is defined, so one imported twice under two
        # module names (the classic cause of double e-mails) still counts as one callable.
        # Closures and lambdas made in a loop share their code but not their behaviour. A
        # deferred receiver's wrapper is a closure: it is known by the function it defers.
        real: Any = function
        how: tuple[str, ...] = ()
        deferral = deferral_of(function)
        if deferral is not None and issubclass(type(deferral.function), types.FunctionType):
            real, how = deferral.function, (deferral.kind,)
        identity: Hashable = (
            (*how, real.__qualname__, file, line)
            if real.__closure__ is None and kind == "function" and file
            else function
        )
        return cls(
            _dotted(module, function.__qualname__),
            function.__qualname__,
            kind,
            module,
            file,
            line,
            identity,
        )

    @classmethod
    def _instance(cls, target: object) -> _Description:
        klass = type(target)
        module, qualname = class_names(klass)
        # The class's own __call__, looked up without running any descriptor or metaclass.
        call = inspect.getattr_static(klass, "__call__", None)
        file, line = (
            _code_location(call) if issubclass(type(call), types.FunctionType) else (None, None)
        )
        return cls(
            _dotted(module, qualname),
            f"{qualname} instance",
            "instance",
            module,
            file,
            line,
            id(target),
        )


def has_receivers(signal: Signal) -> bool:
    """Whether any receiver is connected to ``signal`` (alive or not, from any sender): the
    check ``Signal.send()`` makes before it looks for the receivers of a sender."""
    return bool(signal.receivers)


def dispatch_uid_of(signal: Signal, receiver: object, sender: object) -> Hashable | None:
    """The ``dispatch_uid`` ``receiver`` was connected to ``signal`` with for sends from
    ``sender``, None without one (or when it is not connected): what an observer, given
    the callable Django calls, reports. Never raises."""
    try:
        sender_keys: tuple[Hashable, ...] = (receiver_key(sender), ANY_SENDER_KEY)
    except Exception:
        sender_keys = (ANY_SENDER_KEY,)
    method = type(receiver) is types.MethodType
    for entry in list(signal.receivers):  # copied atomically, as _Reader.entries() does
        (connection_key, sender_key), ref = entry[0], entry[1]
        if sender_key not in sender_keys:
            continue
        target = ref() if issubclass(type(ref), weakref.ReferenceType) else ref
        # A weakly held method is a new bound method each time: equal, not identical.
        if target is receiver or (
            method and type(target) is types.MethodType and target == receiver
        ):
            return _dispatch_uid(connection_key, target)
    return None


def receiver_path(receiver: object) -> str:
    """A receiver's dotted path, as :attr:`ReceiverInfo.path` reads it; never raises."""
    return _Description.of(receiver).path


def send_sender_label(sender: object) -> str:
    """The sender of one send, as people read it: ``shop.Order`` for a model, the dotted
    path of another class, ``contenttypes app config`` for an app config (the migrate
    signals' sender), ``None``, or the ``repr()`` of any other object; never raises."""
    return "None" if sender is None else _sender_label(sender)[0]


def _dotted(module: str | None, qualname: str | None) -> str:
    """``module.qualname``; the qualname alone without a module, as Python's reprs do."""
    qualname = qualname or "<unnamed>"
    return f"{module}.{qualname}" if module else qualname


def _code_location(function: types.FunctionType) -> tuple[str | None, int | None]:
    target: object = function
    try:
        target = inspect.unwrap(function)
    except ValueError:  # a __wrapped__ loop: keep the outer function
        pass
    except Exception:  # a __wrapped__ that raises: keep the outer function
        logger.debug("%s could not be unwrapped", function.__qualname__, exc_info=True)
    try:
        code = getattr(target, "__code__", None)
    except Exception:  # what __wrapped__ led to may be any object
        code = None
    if type(code) is not types.CodeType:
        return None, None
    return code.co_filename, code.co_firstlineno


def _class_source(klass: type) -> tuple[str | None, int | None]:
    try:
        return inspect.getsourcefile(klass), inspect.getsourcelines(klass)[1]
    except (OSError, TypeError):
        return None, None
    except Exception:  # inspect reads __module__, __qualname__ ... through the metaclass
        logger.debug("The source of %s could not be found", class_names(klass)[1], exc_info=True)
        return None, None


class _Reader:
    """Describes receivers for one snapshot, caching what many receivers share."""

    def __init__(self) -> None:
        self._models: dict[int, object] | None = None
        self._module_values: dict[str, dict[int, object]] = {}
        self._app_labels: dict[str, str | None] = {}
        # id(sender) -> (sender, label, flags): a snapshot's receivers share few senders.
        self._senders: dict[int, tuple[object, str, tuple[str, ...]]] = {}
        self._read: dict[int, _Entry] = {}

    def entries(self, signal: Signal) -> list[tuple[_Entry, Any]]:
        """``signal.receivers``, read: (the entry, its receiver or None when it died).
        ``list()`` copies atomically; Django replaces, never mutates, on cleanup. An entry
        the last snapshot read is the same one, what it worked out kept."""
        read = self._read
        entries = []
        for entry in list(signal.receivers):
            found = _last_read.get(id(entry))
            if found is None or found.key is not entry[0]:
                found = _Entry(entry)
            read[id(entry)] = found
            entries.append((found, found.target(entry)))
        return entries

    def keep_read(self) -> None:
        """Keep this snapshot's entries for the next one, and only those: a disconnected
        receiver's entry is let go."""
        global _last_read
        _last_read = self._read

    def connected(self, entry: _Entry, target: Any, signal_path: str) -> ReceiverInfo:
        if target is None:
            fields = entry.dead_fields()
            module = None
        else:
            fields = entry.fields(target)
            module = entry.module
        flags: tuple[str, ...] = ()
        sender_alive = True
        if entry.sender_key == ANY_SENDER_KEY:
            sender: object = None
        elif entry.sender_ref is not None:
            sender = entry.sender_ref()
            sender_alive = sender is not None
        else:
            sender = self._sender_of(entry, module)
        if sender is _UNKNOWN:
            sender, label = None, f"<unknown sender {_hex(entry.sender_key)}>"
        else:
            known = self._senders.get(id(sender))
            if known is None:
                known = self._senders[id(sender)] = (sender, *_sender_label(sender))
            label, flags = known[1], known[2]
        fields["sender"] = sender
        fields["sender_label"] = label
        fields["sender_flags"] = flags
        fields["alive"] = target is not None and sender_alive
        return self.made(module, signal_path, target, fields)

    def info(self, described: _Description, signal_path: str, **fields: Any) -> ReceiverInfo:
        """The ReceiverInfo of ``described``; ``fields`` are the other fields."""
        return self.made(
            described.module,
            signal_path,
            fields.pop("receiver"),
            {
                "path": described.path,
                "name": described.name,
                "kind": described.kind,
                "file": described.file,
                "line": described.line,
                "identity": described.identity,
                **fields,
            },
        )

    def made(
        self, module: str | None, signal_path: str, receiver: Any, fields: dict[str, Any]
    ) -> ReceiverInfo:
        """``ReceiverInfo(...)``, the same frozen object, made without the dataclass's
        ``__init__`` (its one ``object.__setattr__`` call per field was a third of a
        snapshot's time) from ``fields``, a new dict of every field but the receiver, its
        app, signal and deferral (tests check that a snapshot's receivers have every field).
        It may hold the values of cached properties, as if read already.
        """
        deferred = deferral_of(receiver)
        if deferred is None or deferred.kind != "task":
            fields["unreachable_task"] = None  # as ReceiverInfo.unreachable_task says
        fields["receiver"] = receiver
        fields["deferred"] = deferred
        fields["signal_path"] = signal_path
        fields["app"] = self._app_of(module, fields["dispatch_uid"])
        info: ReceiverInfo = object.__new__(ReceiverInfo)
        object.__setattr__(info, "__dict__", fields)
        return info

    def _sender_of(self, entry: _Entry, module_name: str | None) -> object:
        """The sender of a Django 5.2 entry, which keeps only its id: the one a previous
        snapshot found, while it lives, else found again (``_find_sender``)."""
        if entry.found_sender is not None:
            sender = entry.found_sender()
            if sender is not None:
                return sender
            entry.found_sender = None
        sender = self._find_sender(entry.sender_key, module_name)
        if sender is not _UNKNOWN:
            with contextlib.suppress(TypeError):  # an object no weak reference can point to
                entry.found_sender = weakref.ref(sender)
        return sender

    def _app_of(self, module: str | None, dispatch_uid: Hashable | None) -> str | None:
        """The app of the model a signalkit mixin connected the receiver for (read from its
        dispatch_uid), else the app whose package holds the receiver's module."""
        label = mixin_app_label(dispatch_uid)
        if label is not None and label in apps.app_configs:
            return label
        return self._app_label(module)

    def _app_label(self, module: str | None) -> str | None:
        if module is None:
            return None
        if module not in self._app_labels:
            app_config = apps.get_containing_app_config(module)
            self._app_labels[module] = app_config.label if app_config else None
        return self._app_labels[module]

    def _find_sender(self, sender_key: Hashable, module_name: str | None) -> object:
        """The sender of a Django 5.2 entry, which keeps only ``id(sender)``.

        Candidates: every model class (abstract, proxy, swapped and auto-created included,
        found through ``Model.__subclasses__()``, not a heap scan), every app config (the
        sender of the migrate signals), and the globals of the receiver's own module, where
        a sender passed to ``connect()`` or ``@receiver`` almost always is.
        """
        if type(sender_key) is not int:
            return _UNKNOWN
        if self._models is None:
            self._models = {id(model): model for model in _model_classes()}
            self._models.update((id(config), config) for config in apps.get_app_configs())
        found = self._models.get(sender_key, _UNKNOWN)
        if found is _UNKNOWN and module_name:
            if module_name not in self._module_values:
                namespace = module_namespace(sys.modules.get(module_name))
                values = list(namespace.values()) if namespace is not None else []
                self._module_values[module_name] = {id(value): value for value in values}
            found = self._module_values[module_name].get(sender_key, _UNKNOWN)
        return found


def _model_classes() -> Iterator[type[models.Model]]:
    seen: set[type] = set()
    stack: list[type[models.Model]] = [models.Model]
    while stack:
        klass = stack.pop()
        for subclass in type.__subclasses__(klass):
            if subclass not in seen:
                seen.add(subclass)
                stack.append(subclass)
                yield subclass


def _sender_label(sender: object) -> tuple[str, tuple[str, ...]]:
    """(label, model flags) of a sender; never raises, whatever the sender is."""
    if sender is None:
        return "any", ()
    # type(), not isinstance(): isinstance() asks the object for its __class__.
    if issubclass(type(sender), AppConfig):  # the sender of the migrate signals
        return _app_config_label(sender), ()  # type: ignore[arg-type]
    if not issubclass(type(sender), type):
        return safe_repr(sender), ()
    try:
        if issubclass(sender, models.Model):  # type: ignore[arg-type]
            return _model_label(sender)  # type: ignore[arg-type]
    except Exception:
        logger.debug("The model sender %s could not be read", type_name(sender), exc_info=True)
    return _dotted(*class_names(sender)), ()  # type: ignore[arg-type]


def _app_config_label(config: AppConfig) -> str:
    """``"contenttypes app config"``: an app config by its label, not its repr."""
    try:
        label = plain_text(config.label)
    except Exception:  # an app config of anyone's making
        logger.debug("The label of a %s could not be read", type_name(config), exc_info=True)
        label = None
    return f"{label} app config" if label else safe_repr(config)


def _model_label(model: type[models.Model]) -> tuple[str, tuple[str, ...]]:
    meta = model._meta
    flags = tuple(
        flag
        for flag, present in (
            ("abstract", meta.abstract),
            ("proxy", meta.proxy),
            ("swapped", bool(meta.swapped)),
            ("auto_created", bool(meta.auto_created)),
        )
        if present
    )
    return meta.label, flags


def _is_async(receiver: object) -> bool:
    try:
        return iscoroutinefunction(receiver)
    except Exception:  # it reads attributes of the receiver, which may raise
        logger.debug("Whether a %s is async could not be told", type_name(receiver), exc_info=True)
        return False


def _hex(key: Hashable) -> str:
    return f"id {key:#x}" if type(key) is int else safe_repr(key)


# --- pending (lazy "app.Model" senders) ----------------------------------------------------


def _pending(reader: _Reader, paths_by_signal: dict[Signal, str]) -> list[ReceiverInfo]:
    """Receivers connected with ``sender="app.Model"`` whose model is not registered.

    ``ModelSignal.connect`` hands ``partial(Signal.connect, receiver, weak=..,
    dispatch_uid=..)`` to ``apps.lazy_model_operation``, which keeps it, wrapped, in
    ``apps._pending_operations`` until the model exists (Django's own ``signals.E001``
    check reads them the same way).
    """
    found = []
    for (app_label, model_name), operations in list(apps._pending_operations.items()):
        for operation in list(operations):
            function, args, keywords = _unwrap_operation(operation)
            signal = getattr(function, "__self__", None)
            if (
                getattr(function, "__name__", None) != "connect"
                or not isinstance(signal, Signal)
                or not args
            ):
                continue
            receiver = args[0]
            found.append(
                reader.info(
                    _Description.of(receiver),
                    paths_by_signal.get(signal) or safe_repr(signal),
                    sender=None,
                    sender_label=f"{app_label}.{model_name}",
                    sender_flags=(),
                    dispatch_uid=keywords.get("dispatch_uid"),
                    is_async=_is_async(receiver),
                    weak=bool(keywords.get("weak", True)),
                    alive=True,
                    pending=True,
                    receiver=receiver,
                )
            )
    return found


def _unwrap_operation(operation: Any) -> tuple[Any, list[Any], dict[str, Any]]:
    args: list[Any] = []
    keywords: dict[str, Any] = {}
    while hasattr(operation, "func"):
        args.extend(getattr(operation, "args", ()))
        keywords.update(getattr(operation, "keywords", {}))
        operation = operation.func
    return operation, args, keywords


# --- filters ------------------------------------------------------------------------------


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, str | Signal) or not isinstance(value, Iterable):
        return [value]
    return list(value)


def _app_labels(app: str | Iterable[str]) -> set[str]:
    labels = set(_as_list(app))
    installed = [config.label for config in apps.get_app_configs()]
    for label in labels:
        if label not in installed:
            raise ValueError(
                f"Unknown app label {label!r}. Installed app labels: {', '.join(installed)}."
            )
    return labels


def _signal_matcher(
    signals: list[SignalInfo], wanted: str | Signal | Iterable[str | Signal]
) -> Callable[[SignalInfo], bool]:
    values = _as_list(wanted)
    for value in values:
        if isinstance(value, Signal):
            continue
        if not any(value in (info.path, info.name) for info in signals):
            raise ValueError(f"Unknown signal {value!r}. {_signal_choices(signals)}")
    return lambda info: any(
        value is info.signal or value in (info.path, info.name) for value in values
    )


def _signal_choices(signals: list[SignalInfo]) -> str:
    paths_by_name: dict[str, list[str]] = defaultdict(list)
    for info in signals:
        paths_by_name[info.name].append(info.path)
    choices = [
        name if len(paths) == 1 else f"{name} ({' or '.join(paths)})"
        for name, paths in sorted(paths_by_name.items())
    ]
    return f"Known signals (a name or a dotted path): {', '.join(choices)}."


def _resolve_sender(value: object, waited_for: set[str]) -> object:
    """A model for an ``"app.Model"`` label; other objects as they are.

    A label no installed model has is kept as a string when a pending receiver waits for
    it, so ``filter(sender="shop.Invoice")`` finds what waits on a missing model.
    """
    if not isinstance(value, str):
        return value
    try:
        return apps.get_model(value)
    except (LookupError, ValueError):
        if value.lower() in waited_for:
            return value.lower()
        labels = sorted(model._meta.label for model in apps.get_models())
        raise ValueError(
            f"Unknown model {value!r}; use 'app_label.ModelName'. Installed models: "
            f"{', '.join(labels)}."
        ) from None


def _can_send(sender: object, signal: Signal) -> bool:
    """Whether ``sender`` (a model, the label a pending receiver waits for, or any other
    object) can send ``signal``: a model sends the model signals only, m2m_changed only
    when it is a many-to-many ``through`` model. Another object: it cannot be told, so yes.
    """
    if isinstance(sender, str):  # a model that is not installed: m2m_changed cannot be told
        return isinstance(signal, ModelSignal)
    if not (isinstance(sender, type) and issubclass(sender, models.Model)):
        return True
    if signal is m2m_changed:
        return _is_through_model(sender)
    return isinstance(signal, ModelSignal)


def _is_through_model(model: type[models.Model]) -> bool:
    if model._meta.auto_created:
        return True
    return any(
        field.remote_field.through is model
        for other in apps.get_models()
        for field in other._meta.local_many_to_many
    )


def _receives_from(receiver: ReceiverInfo, senders: list[object], any_runs: bool) -> bool:
    if receiver.pending:
        # Django keeps the awaited model as ("app_label", "modelname"): lower case.
        return any(
            (s._meta.label_lower if isinstance(s, type) and issubclass(s, models.Model) else s)
            == receiver.sender_label
            for s in senders
        )
    if receiver.sender_label == "any":
        return any_runs
    return any(receiver.sender is sender for sender in senders)


# --- problems -----------------------------------------------------------------------------


def _overlaps_another(receiver: ReceiverInfo, connected: list[ReceiverInfo]) -> bool:
    return any(
        other is not receiver
        and (
            other.sender is receiver.sender
            or other.sender_label == "any"
            or receiver.sender_label == "any"
        )
        for other in connected
    )


def _connection(receiver: ReceiverInfo) -> str:
    uid = receiver.dispatch_uid
    uid = f", dispatch_uid={safe_repr(uid)}" if uid is not None else ""
    return f"sender={receiver.sender_label}{uid}"


def _receiver_problems(receiver: ReceiverInfo) -> Iterator[Problem]:
    if not receiver.alive:
        # Only a dead function is a bug (a closure or lambda connected weakly never runs);
        # bound methods and senders die with their objects.
        if receiver.path == DEAD:
            yield Problem(
                "dead",
                f"A weakly connected function receiver of {receiver.signal_path} was garbage "
                f"collected and will never run (a function defined inside another one, or a "
                f"lambda). Define it at module level or connect it with weak=False.",
                receiver,
            )
        return
    if receiver.accepts_kwargs is False:
        yield Problem(
            "no_kwargs",
            f"{receiver.path} does not accept **kwargs; Django passes signal= and every "
            f"argument of {receiver.signal_path} as keywords. Add **kwargs to its signature.",
            receiver,
        )
    if receiver.unreachable_task is not None:
        yield Problem(
            "unreachable_task",
            f"{receiver.path} runs in a task worker, which finds it by its dotted path, but "
            f"{receiver.unreachable_task}. Define it at module level under its own name, in a "
            f"module the worker imports at start-up (e.g. the app's signals.py).",
            receiver,
        )
    if "abstract" in receiver.sender_flags:
        yield Problem(
            "abstract_sender",
            f"{receiver.path} listens to {receiver.signal_path} from the abstract model "
            f"{receiver.sender_label}, which never sends: Django sends with the concrete "
            f"class. Connect it for each concrete subclass.",
            receiver,
        )
    if "swapped" in receiver.sender_flags:
        swapped_for = receiver.sender._meta.swapped  # type: ignore[union-attr]
        yield Problem(
            "swapped_sender",
            f"{receiver.path} listens to {receiver.signal_path} from "
            f"{receiver.sender_label}, which is swapped for {swapped_for} and never sends. "
            f"Use sender=settings.{_swappable_setting(receiver.sender)} instead.",
            receiver,
        )


def _ignores_raw(receiver: ReceiverInfo) -> bool:
    """A live receiver of the project's own code that never reads ``raw`` (``W007``);
    libraries' receivers (Django's, signalkit's mixins') are theirs to get right."""
    return (
        receiver.alive
        and receiver.file is not None
        and ignores_raw(receiver.receiver)
        and is_project_file(receiver.file)
    )


def _swappable_setting(model: Any) -> str:
    return str(getattr(model._meta, "swappable", None) or "AUTH_USER_MODEL")


def _task_unreachable(wrapper: Callable[..., Any]) -> str | None:
    """Why ``module.qualname`` of a task receiver's wrapper does not lead back to it.

    Only reads: the module must already be in ``sys.modules`` (nothing is imported) and the
    qualname is followed with ``inspect.getattr_static`` (no ``__getattr__``, descriptor or
    metaclass runs).
    """
    try:
        module_name = plain_text(wrapper.__module__)
        qualname = plain_text(wrapper.__qualname__) or ""
        if wrapper.__name__ == "<lambda>" or qualname.endswith("<lambda>"):
            return "it is a lambda, which has no name to find it by"
        if "<locals>" in qualname:
            return "it is defined inside a function, where no import can reach it"
        module = sys.modules.get(module_name) if module_name else None
        if module is None:
            return f"its module {module_name or '(none)'} is not imported"
        found: object = module
        for part in qualname.split("."):
            found = inspect.getattr_static(found, part, _UNKNOWN)
            if found is _UNKNOWN:
                return f"{module_name} has no {qualname}"
            if issubclass(type(found), staticmethod):  # a class's static method: the function
                found = staticmethod.__getattribute__(found, "__func__")
    except Exception:  # names read from a hostile object
        logger.debug("The dotted path of a task receiver could not be read", exc_info=True)
        return "its dotted path could not be read"
    if found is not wrapper:
        return (
            f"{module_name}.{qualname} is another object ({safe_repr(found, limit=80)}), not "
            f"the connected receiver"
        )
    return None


def _deferral_dict(deferral: Deferral | None) -> dict[str, Any] | None:
    """``ReceiverInfo.to_dict()["deferred"]``: how a deferred receiver runs, JSON-safe."""
    if deferral is None:
        return None
    if deferral.kind == "commit":
        return {
            "kind": "commit",
            "using": _jsonable(deferral.using),
            "robust": _jsonable(deferral.robust),
        }
    return {
        "kind": "task",
        "queue_name": _jsonable(deferral.queue_name),
        "priority": _jsonable(deferral.priority),
        "backend": _jsonable(deferral.backend),
        "retries": _jsonable(deferral.retries),
        "retry_delay": _jsonable(deferral.retry_delay),
    }


def _jsonable(value: object) -> object:
    if value is None or issubclass(type(value), str | int | float | bool):
        return value
    return safe_repr(value)
