"""Whether a ``pre_save``/``post_save`` receiver ever reads ``raw`` (check ``signalkit.W007``).

``loaddata`` saves every fixture row with ``Model.save_base(raw=True)``, so these two signals
are sent with ``raw=True`` for each row; a receiver that never reads ``raw`` runs (and
writes) while fixtures load. Read from the receiver's code objects, never by running it::

    >>> ignores_raw(create_profile)     # def create_profile(sender, instance, created, **kwargs)
    True

Conservative: only a receiver sure never to see ``raw`` counts. It does not when any function
of its decorator chain names ``raw`` (an argument, a local, an attribute, the string
``"raw"``, in nested functions too) or hands its ``**kwargs`` dict on (``handle(**kwargs)``,
``kwargs.items()``, ``locals()``), and receivers without Python code (builtins, classes) are
never counted.
"""

from __future__ import annotations

import dis
import functools
import inspect
import logging
import sys
import types
from collections.abc import Iterator
from functools import partial
from typing import Any

__all__ = ["ignores_raw"]

logger = logging.getLogger("signalkit")

RAW = "raw"
# ``kwargs.get("key")`` and the like read one key, never the whole dict.
_ONE_KEY_METHODS = frozenset({"get", "pop", "setdefault", "__getitem__", "__contains__"})
# Instructions that only pad the bytecode between two that mean something.
_PADDING = frozenset({"CACHE", "EXTENDED_ARG", "NOP", "PRECALL", "PUSH_NULL"})
# LOAD_ATTR's argument is the name's index shifted left by one from Python 3.12 (the low bit
# says whether a method is loaded), the index itself before (LOAD_METHOD loaded methods).
_ATTR_SHIFT = 1 if sys.version_info >= (3, 12) else 0
# Calls that hand a function's whole namespace on: its **kwargs escape through them.
_NAMESPACE_READERS = frozenset({"locals", "vars", "currentframe", "_getframe"})


def ignores_raw(receiver: object) -> bool:
    """Whether ``receiver`` certainly never reads the ``raw`` argument of its signal.

    False whenever it may: see the module docstring. Never raises.
    """
    try:
        chain = _functions(receiver)
        if not chain:
            return False
        if any(_names_raw(function.__code__) for function in chain):
            return False
        # Outer decorators hand **kwargs to the function they wrap, which is read below.
        return not _passes_kwargs_on(chain[-1].__code__)
    except Exception:  # attributes of an arbitrary callable, or bytecode it cannot read
        logger.debug("Whether a receiver reads raw could not be told", exc_info=True)
        return False


def _functions(receiver: object) -> list[types.FunctionType]:
    """The receiver's Python functions, outermost decorator first; empty when it has none
    (a builtin, a class) or may get ``raw`` some other way (a partial that binds it)."""
    target: Any = receiver
    # type(), not isinstance(): isinstance() asks the object for its __class__.
    while issubclass(type(target), partial):
        if RAW in target.keywords:
            return []
        target = target.func
    if issubclass(type(target), types.MethodType):
        target = target.__func__
    elif not issubclass(type(target), types.FunctionType | type):
        call = inspect.getattr_static(type(target), "__call__", None)  # a callable instance
        target = call
    chain: list[types.FunctionType] = []
    seen: set[int] = set()
    while issubclass(type(target), types.FunctionType) and id(target) not in seen:
        seen.add(id(target))
        chain.append(target)
        # functools.wraps (and signalkit's after_commit / as_task) point at the wrapped one.
        target = vars(target).get("__wrapped__")
    if target is not None and not issubclass(type(target), types.FunctionType) and chain:
        return []  # wraps something that is not a Python function: it may read raw
    return chain


def _names_raw(code: types.CodeType) -> bool:
    names = (*code.co_varnames, *code.co_cellvars, *code.co_freevars, *code.co_names)
    return RAW in names or any(_const_names_raw(const) for const in code.co_consts)


def _const_names_raw(const: object) -> bool:
    if isinstance(const, str):
        return const == RAW
    if isinstance(const, tuple | frozenset):
        return any(_const_names_raw(item) for item in const)
    if isinstance(const, types.CodeType):
        return _names_raw(const)
    return False


@functools.lru_cache(maxsize=4096)
def _passes_kwargs_on(code: types.CodeType) -> bool:
    """Whether the function's ``**kwargs`` dict is used other than to read one named key
    (``kwargs.get("key")``, ``kwargs["key"]``, ``"key" in kwargs``)."""
    if not code.co_flags & inspect.CO_VARKEYWORDS:
        return False
    if not _NAMESPACE_READERS.isdisjoint(code.co_names):
        return True
    position = code.co_argcount + code.co_kwonlyargcount
    position += bool(code.co_flags & inspect.CO_VARARGS)
    if code.co_varnames[position] in code.co_cellvars:  # a nested function uses it
        return True
    instructions = list(_instructions(code))
    for index, (name, arg) in enumerate(instructions):
        if not name.startswith("LOAD_FAST"):
            continue
        if name.count("LOAD_FAST") == 2:  # LOAD_FAST_LOAD_FAST (3.13): two locals at once
            if arg >> 4 == position:
                return True  # the first of two: not what the next instruction uses
            arg &= 15
        if arg == position and not _reads_one_key(code, instructions[index + 1 : index + 3]):
            return True
    return False


def _instructions(code: types.CodeType) -> Iterator[tuple[str, int]]:
    """(opname, argument) of each instruction, padding left out. ``dis.get_instructions``
    would do, at 20 to 50 times the cost (it works out line numbers and positions too)."""
    raw_code = code.co_code
    extended = 0
    for offset in range(0, len(raw_code), 2):
        opcode, arg = raw_code[offset], raw_code[offset + 1] | extended
        if opcode == dis.EXTENDED_ARG:
            extended = arg << 8
            continue
        extended = 0
        name = dis.opname[opcode]
        if name not in _PADDING:
            yield name, arg


def _reads_one_key(code: types.CodeType, following: list[tuple[str, int]]) -> bool:
    if not following:
        return False
    first, first_arg = following[0]
    if first == "CONTAINS_OP":
        return True
    if len(following) < 2:
        return False
    second, second_arg = following[1]
    if first in ("LOAD_ATTR", "LOAD_METHOD"):
        attribute = code.co_names[first_arg >> _ATTR_SHIFT if first == "LOAD_ATTR" else first_arg]
        return attribute in _ONE_KEY_METHODS and _is_string_constant(code, second, second_arg)
    if _is_string_constant(code, first, first_arg):
        return second == "BINARY_SUBSCR"
    return False


def _is_string_constant(code: types.CodeType, name: str, arg: int) -> bool:
    return name == "LOAD_CONST" and isinstance(code.co_consts[arg], str)
