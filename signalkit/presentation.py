"""How receivers are described to people, shared by ``listsignals`` and the admin page.

Both show the same flags with the same words and the same ``file:line``::

    >>> informational_flags(receiver)
    ['async', 'strong', 'uid=shop.welcome']
    >>> informational_flags(task_receiver)   # @as_task(queue_name="mail", retries=3)
    ['task (queue=mail, retries=3)']
    >>> location(receiver)
    'shop/signals.py:12'

Nothing here raises on a hostile value: a ``repr()`` that raises reads
``<unprintable Class object at 0x…: repr() raised Error>`` (:func:`safe_repr`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import types
import weakref
from collections.abc import Hashable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.dispatch import Signal

    from signalkit.registry import ReceiverInfo, Registry

__all__ = [
    "BAD_SENDER_FLAGS",
    "NO_APP",
    "NO_SOURCE",
    "PENDING",
    "app_label",
    "bound_to",
    "class_names",
    "count",
    "deferred_flag",
    "duplicated_ids",
    "duration_text",
    "error_message",
    "error_text",
    "format_uid",
    "informational_flags",
    "location",
    "names_itself",
    "plain_text",
    "problem_flags",
    "readable_path",
    "relative_path",
    "safe_repr",
    "short_signal_name",
    "signal_name",
    "signal_names",
    "totals",
    "type_name",
]

logger = logging.getLogger("signalkit")

# The dotted path of every signal signal_name() has named, while the signal lives.
_named: weakref.WeakKeyDictionary[Signal, str] = weakref.WeakKeyDictionary()

# Longest exception message shown by error_message(); a longer one is cut, ending with "…".
MESSAGE_LIMIT = 200
# Longest repr shown; a longer one is cut, ending with "…".
REPR_LIMIT = 200
#: A model sender's flags that mean the receiver never runs (the others only describe it).
BAD_SENDER_FLAGS = frozenset({"abstract", "swapped"})
#: Shown as the app of a receiver defined outside every installed app.
NO_APP = "-"
#: Shown as the location of a receiver without Python source (a builtin, a dead reference).
NO_SOURCE = "no Python source"
#: What the receivers of ``Registry.pending`` wait for, after "Pending: ".
PENDING = "waiting for a sender model that is not installed"
# Receiver kinds whose dotted path alone says what runs; the others are named with it.
_KINDS_NAMED_BY_PATH = frozenset({"function", "lambda", "dead"})
# The queue a task goes to when as_task() names none: the task framework's
# DEFAULT_TASK_QUEUE_NAME (not imported: showing a receiver must not load a task framework).
DEFAULT_TASK_QUEUE = "default"
_TYPE_MODULE = vars(type)["__module__"]
_TYPE_QUALNAME = vars(type)["__qualname__"]


def duplicated_ids(registry: Registry) -> set[int]:
    """``id()`` of every receiver in one of ``registry.duplicates()``' groups."""
    return {id(receiver) for group in registry.duplicates() for receiver in group}


def names_itself(receiver: ReceiverInfo) -> bool:
    """Whether the receiver's dotted path says what runs (a function); a method, partial,
    callable instance, class or builtin is shown with its kind too."""
    return receiver.kind in _KINDS_NAMED_BY_PATH


def bound_to(receiver: ReceiverInfo) -> str | None:
    """What a bound-method receiver is bound to, None for other receivers:
    ``'self: FileSystemStorage'`` (its object's class), ``'cls: Order'`` for a class method.

    A receiver's name says where the method is defined (``StorageSettingsMixin.…``); this
    says which object runs it, which tells apart one method connected for many objects.
    """
    method = receiver.receiver
    # type(), not isinstance(): isinstance() asks the object for its __class__. A bound
    # method's __self__ is read by the method type itself, never by the object.
    if type(method) is not types.MethodType:
        return None
    owner = method.__self__
    if issubclass(type(owner), type):
        return f"cls: {class_names(owner)[1]}"  # type: ignore[arg-type]
    return f"self: {type_name(owner)}"


def app_label(receiver: ReceiverInfo) -> str:
    """The receiver's app label, or :data:`NO_APP` outside every installed app."""
    return receiver.app or NO_APP


def informational_flags(receiver: ReceiverInfo) -> list[str]:
    """Flags that describe a connection: how a deferred receiver runs (:func:`deferred_flag`),
    ``async``, ``strong`` (not weak), ``uid=...``."""
    flags = []
    deferred = deferred_flag(receiver)
    if deferred is not None:
        flags.append(deferred)
    if receiver.is_async:
        flags.append("async")
    if not receiver.weak:
        flags.append("strong")
    if receiver.dispatch_uid is not None:
        flags.append(f"uid={format_uid(receiver.dispatch_uid)}")
    return flags


def deferred_flag(receiver: ReceiverInfo) -> str | None:
    """How a deferred receiver runs, None for the others.

    ``commit`` for ``@after_commit`` (``commit (using=replica, robust)`` with options);
    ``task (queue=<queue>, retries=<n>)`` for ``@as_task``, the queue ``default`` when none
    is named, then ``retry_delay=<s>s``, ``priority=<p>`` and ``backend=<alias>`` when given.
    """
    deferral = receiver.deferred
    if deferral is None:
        return None
    if deferral.kind == "commit":
        options = [] if deferral.using is None else [f"using={_option(deferral.using)}"]
        if deferral.robust:
            options.append("robust")
        return f"commit ({', '.join(options)})" if options else "commit"
    queue = DEFAULT_TASK_QUEUE if deferral.queue_name is None else deferral.queue_name
    options = [f"queue={_option(queue)}", f"retries={_option(deferral.retries)}"]
    if deferral.retry_delay:
        options.append(f"retry_delay={_option(deferral.retry_delay)}s")
    if deferral.priority is not None:
        options.append(f"priority={_option(deferral.priority)}")
    if deferral.backend is not None:
        options.append(f"backend={_option(deferral.backend)}")
    return f"task ({', '.join(options)})"


def _option(value: object) -> str:
    """An option's value as written: a string as it is, a number without a needless ``.0``."""
    if type(value) is float:
        return format(value, "g")
    return format_uid(value)


def problem_flags(receiver: ReceiverInfo, duplicated: set[int]) -> list[str]:
    """Flags that say something is wrong: ``dead``, ``no **kwargs``, ``not importable`` (an
    ``as_task`` receiver a worker cannot find), ``DUPLICATE``, ``pending``. ``duplicated``
    is :func:`duplicated_ids` of the registry shown.
    """
    flags = []
    if not receiver.alive:
        flags.append("dead")
    if receiver.accepts_kwargs is False:
        flags.append("no **kwargs")
    if receiver.unreachable_task is not None:
        flags.append("not importable")
    if id(receiver) in duplicated:
        flags.append("DUPLICATE")
    if receiver.pending:
        flags.append("pending")
    return flags


def format_uid(uid: Hashable) -> str:
    """A dispatch_uid as written: a string as it is, anything else as its repr."""
    text = plain_text(uid)
    return text if text is not None else safe_repr(uid)


def safe_repr(value: object, limit: int = REPR_LIMIT) -> str:
    """``repr(value)``, cut to ``limit`` characters; never raises.

    A ``repr()`` that raises gives ``<unprintable Class object at 0x…: repr() raised
    RuntimeError>`` (the error is logged at DEBUG level on the ``signalkit`` logger)::

        >>> safe_repr(Broken())
        '<unprintable Broken object at 0x7f3a…: repr() raised RuntimeError>'
    """
    try:
        text = str.__str__(repr(value))
    except Exception as exc:
        logger.debug("repr() of a %s object raised", type_name(value), exc_info=True)
        text = (
            f"<unprintable {type_name(value)} object at {id(value):#x}: repr() raised "
            f"{type_name(exc)}>"
        )
    return text if len(text) <= limit else f"{text[: limit - 1]}…"


def class_names(klass: type) -> tuple[str | None, str]:
    """(module, qualname) as the class stores them, whatever its metaclass says.

    The module is None when the class's ``__module__`` is not a string.
    """
    try:
        module = plain_text(_TYPE_MODULE.__get__(klass))
    except Exception:  # a class without __module__ (made by C code) or a hostile one
        module = None
    qualname: str = _TYPE_QUALNAME.__get__(klass)
    return module, qualname


def type_name(value: object) -> str:
    """The qualname of ``value``'s class, for messages: never a repr(), which may raise."""
    return class_names(type(value))[1]


def plain_text(value: object) -> str | None:
    """``value`` as a plain str when it is a string, else None (never calls its methods)."""
    return str.__str__(value) if issubclass(type(value), str) else None


def location(receiver: ReceiverInfo) -> str:
    """``file:line`` of the receiver's source, the file as imported (:func:`readable_path`):
    ``django/db/__init__.py:47``, ``shop/signals.py:12``."""
    if not receiver.file:
        return NO_SOURCE
    return f"{readable_path(receiver.file)}:{receiver.line}"


def relative_path(path: str) -> str:
    """``path`` relative to the working directory when it is inside it, for reading."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # on another drive (Windows)
        return path
    return path if relative == os.pardir or relative.startswith(os.pardir + os.sep) else relative


def readable_path(path: str) -> str:
    """``path`` relative to its longest ``sys.path`` entry, else to the working directory.

    ``/srv/venv/lib/python3.12/site-packages/django/db/__init__.py`` reads
    ``django/db/__init__.py``: the import path, which is what a person looks for, even when
    the virtualenv sits inside the project (tox's ``.tox/``).
    """
    roots = [root for root in sys.path if root and path.startswith(os.path.join(root, ""))]
    if roots:
        return os.path.relpath(path, max(roots, key=len))
    return relative_path(path)


def count(number: int, noun: str) -> str:
    """``count(1, "receiver")`` is ``'1 receiver'``; ``count(2, ...)``: ``'2 receivers'``."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def totals(receivers: int, signals: int, pending: int, problems: int) -> str:
    """The one-line count of a listing: ``'3 receivers on 2 signals, 0 pending, 1 problem'``."""
    return (
        f"{count(receivers, 'receiver')} on {count(signals, 'signal')}, {pending} pending, "
        f"{count(problems, 'problem')}"
    )


def signal_names() -> dict[Signal, str]:
    """The dotted path of every signal signalkit knows, by signal (empty before the app
    registry is ready): for messages."""
    from django.core.exceptions import AppRegistryNotReady

    from signalkit.discovery import catalogue

    try:
        known = catalogue()
    except AppRegistryNotReady:  # too early to look: reprs will do
        return {}
    return {signal: path for path, signal in known.items()}


def signal_name(signal: Signal, names: dict[Signal, str] | None = None) -> str:
    """A signal's dotted path when signalkit knows it (``django.db.models.signals.post_save``),
    else its ``repr()``. ``names``: :func:`signal_names`, when naming many.

    Without ``names``, a signal once named keeps its name for the life of the process (the
    catalogue is read again only for a signal it has not named yet): what tracing asks on
    every new trace, a request's or a test's."""
    if names is not None:
        return names.get(signal) or repr(signal)
    try:
        return _named[signal]
    except (KeyError, TypeError):  # not named yet, or a signal that cannot be weakly held
        pass
    names = signal_names()
    for known, path in names.items():
        with contextlib.suppress(TypeError):
            _named[known] = path
    return names.get(signal) or repr(signal)


def short_signal_name(signal_path: str) -> str:
    """``post_save`` for ``django.db.models.signals.post_save``; a ``repr()`` stays whole."""
    if signal_path.startswith("<"):
        return signal_path
    return signal_path.rpartition(".")[2]


def duration_text(seconds: float) -> str:
    """A duration for people: ``850 µs``, ``3.1 ms``, ``1.25 s``."""
    if seconds < 1e-4:
        return f"{seconds * 1e6:.0f} \N{MICRO SIGN}s"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


def error_message(error: BaseException) -> str:
    """An exception's message on one line, cut at :data:`MESSAGE_LIMIT` characters (its
    ``repr()`` when ``str()`` raises)."""
    try:
        message = str(error)
    except Exception:  # a __str__ that raises: its repr, safely
        message = safe_repr(error)
    message = " ".join(message.split())
    if len(message) > MESSAGE_LIMIT:
        message = f"{message[: MESSAGE_LIMIT - 1]}…"
    return message


def error_text(error: BaseException) -> str:
    """``ValueError: bad quantity``: an exception's type and :func:`error_message`."""
    message = error_message(error)
    name = type_name(error)
    return f"{name}: {message}" if message else name
