"""Receivers, senders and dispatch_uids built to crash whatever describes them.

Each ``Hostile`` connection says what to connect and the text that must be listed for it.
The receivers and senders live at module level, so weak references keep them alive and
the inspector finds the senders in the receivers' module, as it does on Django 5.x.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Hostile:
    receiver: Any
    listed_as: str  # the receiver's path, as listed
    connect_kwargs: dict[str, Any] = field(default_factory=dict)
    shown: str = ""  # what else the listing shows for it (a uid, a sender)

    @property
    def sender(self) -> Any:
        return self.connect_kwargs.get("sender")


def receiver(sender: object, **kwargs: Any) -> None:
    pass


def without_module(sender: object, **kwargs: Any) -> None:
    pass


without_module.__module__ = None  # type: ignore[assignment]


def with_object_module(sender: object, **kwargs: Any) -> None:
    pass


with_object_module.__module__ = object()  # type: ignore[assignment]


def with_unhashable_module(sender: object, **kwargs: Any) -> None:
    pass


with_unhashable_module.__module__ = ["tests"]  # type: ignore[assignment]


class HostileStr(str):
    """A string whose methods, hash included, raise: only str's own code may read it."""

    def startswith(self, *args: Any) -> bool:  # type: ignore[override]
        raise RuntimeError("startswith raised")

    def __hash__(self) -> int:
        raise RuntimeError("__hash__ raised")

    def __str__(self) -> str:
        raise RuntimeError("__str__ raised")

    def __format__(self, spec: str) -> str:
        raise RuntimeError("__format__ raised")


def with_hostile_str_module(sender: object, **kwargs: Any) -> None:
    pass


with_hostile_str_module.__module__ = HostileStr("tests.registry_app.hostile")


class UnprintableUid:
    """A dispatch_uid whose repr() raises."""

    def __repr__(self) -> str:
        raise RuntimeError("this dispatch_uid has no repr")


UNPRINTABLE_UID = UnprintableUid()


class Unprintable:
    """A sender whose repr() raises."""

    def __repr__(self) -> str:
        raise RuntimeError("this sender has no repr")


UNPRINTABLE_SENDER = Unprintable()


class Classless:
    """A sender whose ``__class__`` raises, as a lazy object's does when it cannot load."""

    @property  # type: ignore[misc]
    def __class__(self) -> type:
        raise RuntimeError("this sender has no __class__")


CLASSLESS_SENDER = Classless()


class WrappedRaises:
    """A callable whose ``__wrapped__`` raises (inspect.unwrap and signature() read it)."""

    @property
    def __wrapped__(self) -> Any:
        raise RuntimeError("__wrapped__ raised")

    def __call__(self, sender: object, **kwargs: Any) -> None:
        pass


WRAPPED_RAISES = WrappedRaises()


class SignatureRaises:
    """A callable whose ``__signature__`` raises."""

    @property
    def __signature__(self) -> Any:
        raise RuntimeError("__signature__ raised")

    def __call__(self, sender: object, **kwargs: Any) -> None:
        pass


SIGNATURE_RAISES = SignatureRaises()


class LoopedInstance:
    def __call__(self, sender: object, **kwargs: Any) -> None:
        pass


LOOPED_INSTANCE = LoopedInstance()
LOOPED_INSTANCE.__wrapped__ = LOOPED_INSTANCE  # type: ignore[attr-defined]


def looped(sender: object, **kwargs: Any) -> None:
    pass


looped.__wrapped__ = looped  # type: ignore[attr-defined]


class HostileMeta(type):
    """Every class made by it raises when asked for its name, module or repr."""

    def __repr__(cls) -> str:
        raise RuntimeError("the class has no repr")

    @property
    def __name__(cls) -> str:  # type: ignore[override]
        raise RuntimeError("__name__ raised")

    @property
    def __module__(cls) -> str:  # type: ignore[override]
        raise RuntimeError("__module__ raised")


class ClassReceiver(metaclass=HostileMeta):
    """A class connected as a receiver: a send instantiates it."""

    def __init__(self, sender: object, **kwargs: Any) -> None:
        pass


class CallableOfHostileClass(metaclass=HostileMeta):
    def __call__(self, sender: object, **kwargs: Any) -> None:
        pass


CALLABLE_OF_HOSTILE_CLASS = CallableOfHostileClass()


class ModuleNone:
    def __call__(self, sender: object, **kwargs: Any) -> None:
        pass


ModuleNone.__module__ = None  # type: ignore[assignment]
MODULE_NONE = ModuleNone()


class CodelessCall:
    """A callable whose ``__call__`` is a builtin: there is no ``__code__`` to read.

    ``dict`` accepts any keyword arguments and has no signature on any Python (``print``
    has one from Python 3.13 on, without ``**kwargs``: a real problem for a receiver).
    """

    __call__ = dict


CODELESS_CALL = CodelessCall()

HERE = __name__
CONNECTIONS = {
    "module None": Hostile(without_module, "without_module"),
    "module an object": Hostile(with_object_module, "with_object_module"),
    "module unhashable": Hostile(with_unhashable_module, "with_unhashable_module"),
    "module a hostile str": Hostile(with_hostile_str_module, f"{HERE}.with_hostile_str_module"),
    "dispatch_uid repr raises": Hostile(
        receiver,
        f"{HERE}.receiver",
        {"dispatch_uid": UNPRINTABLE_UID},
        "uid=<unprintable UnprintableUid object at 0x",
    ),
    "sender repr raises": Hostile(
        receiver,
        f"{HERE}.receiver",
        {"sender": UNPRINTABLE_SENDER},
        "<unprintable Unprintable object at 0x",
    ),
    "sender __class__ raises": Hostile(
        receiver, f"{HERE}.receiver", {"sender": CLASSLESS_SENDER}, f"<{HERE}.Classless object"
    ),
    "sender class of a hostile metaclass": Hostile(
        receiver, f"{HERE}.receiver", {"sender": CallableOfHostileClass}, f"{HERE}.CallableOf"
    ),
    "__wrapped__ raises": Hostile(WRAPPED_RAISES, f"{HERE}.WrappedRaises"),
    "__signature__ raises": Hostile(SIGNATURE_RAISES, f"{HERE}.SignatureRaises"),
    "__wrapped__ loop (instance)": Hostile(LOOPED_INSTANCE, f"{HERE}.LoopedInstance"),
    "__wrapped__ loop (function)": Hostile(looped, f"{HERE}.looped"),
    "metaclass raises (class)": Hostile(ClassReceiver, f"{HERE}.ClassReceiver"),
    "metaclass raises (instance)": Hostile(
        CALLABLE_OF_HOSTILE_CLASS, f"{HERE}.CallableOfHostileClass"
    ),
    "class __module__ None": Hostile(MODULE_NONE, "ModuleNone"),
    "__call__ without __code__": Hostile(CODELESS_CALL, f"{HERE}.CodelessCall"),
}
