"""Turn a ``start() -> state`` / ``stop(state)`` pair into a decorator of callables.

The one place where ``muted_signals`` and ``record_signals`` (and later ``trace_signals``)
wrap functions, coroutine functions, generators and async generators, so that what they
do is active exactly while the decorated code runs, and the wrapper stays the same kind of
callable (``functools.wraps`` kept). A generator is active only while its body runs, not
while it is suspended at a ``yield``: its consumer's code is not covered. Classes are the
caller's business.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncIterator, Callable, Iterator
from inspect import Parameter
from typing import Any, TypeVar, cast

from asgiref.sync import iscoroutinefunction

F = TypeVar("F", bound=Callable[..., Any])
S = TypeVar("S")

# What one call of a decorated function runs under: its positional arguments (with the
# value passed to the function, if any), and the start and stop of its active periods.
_Call = tuple[tuple[Any, ...], Callable[[], Any], Callable[[Any], object]]
_Begin = Callable[[tuple[Any, ...]], _Call]

CALLABLES = "functions, coroutine functions, generators and async generators"


def decorate(
    target: F,
    start: Callable[[], S],
    stop: Callable[[S], object],
    *,
    name: str,
    accepts: str = CALLABLES,
) -> F:
    """``target`` wrapped so that ``start()`` runs before its code and ``stop(state)`` after.

    ``name`` (``"muted_signals()"``) and ``accepts`` describe the decorator in the
    ``TypeError`` raised for a ``target`` it does not wrap: a class, or not callable.
    """

    def begin(args: tuple[Any, ...]) -> _Call:
        return args, start, stop

    return _wrap(target, begin, name, accepts)


def decorate_passing(
    target: F,
    begin: Callable[[], tuple[object, Callable[[], S], Callable[[S], object]]],
    *,
    name: str,
    passes: str,
    accepts: str = CALLABLES,
) -> F:
    """``target`` wrapped like :func:`decorate`, with a value of its own for every call.

    ``begin()`` runs once per call of the wrapper and returns ``(value, start, stop)``:
    ``value`` is passed to ``target`` as an extra positional argument after the call's own
    (as ``unittest.mock.patch`` passes its mock), and ``start``/``stop`` delimit the active
    periods of that call. The wrapper's ``__signature__`` leaves out the parameter the value
    fills, taken to be the first one (after ``self`` in a class body), so that pytest does
    not take it for a fixture; a ``target`` without a positional parameter (or ``*args``)
    for it is refused with a ``TypeError`` naming ``passes`` (``"a new SignalRecorder"``).
    """
    signature = _without_passed_parameter(target, name, passes)

    def begin_call(args: tuple[Any, ...]) -> _Call:
        value, start, stop = begin()
        return ((*args, value), start, stop)

    wrapper = _wrap(target, begin_call, name, accepts)
    if signature is not None:
        wrapper.__signature__ = signature  # type: ignore[attr-defined]
    return wrapper


def _wrap(target: F, begin: _Begin, name: str, accepts: str) -> F:
    if inspect.isasyncgenfunction(target):
        return _async_generator(target, begin)
    if inspect.isgeneratorfunction(target):
        return _generator(target, begin)
    if iscoroutinefunction(target):
        return _coroutine_function(target, begin)
    if callable(target) and not isinstance(target, type):
        return _function(target, begin)
    raise TypeError(f"{name} decorates {accepts}, not {target!r}.")


def _function(function: F, begin: _Begin) -> F:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        args, start, stop = begin(args)
        state = start()
        try:
            return function(*args, **kwargs)
        finally:
            stop(state)

    return cast(F, wrapper)


def _coroutine_function(function: F, begin: _Begin) -> F:
    @functools.wraps(function)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        args, start, stop = begin(args)
        state = start()
        try:
            return await function(*args, **kwargs)
        finally:
            stop(state)

    return cast(F, wrapper)


def _generator(function: F, begin: _Begin) -> F:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Iterator[Any]:
        args, start, stop = begin(args)
        generator = function(*args, **kwargs)  # runs none of the body yet
        resume: Callable[[Any], Any] = generator.send
        value: Any = None
        while True:
            state = start()
            try:
                item = resume(value)
            except StopIteration as finished:
                return finished.value  # type: ignore[no-any-return]
            finally:
                stop(state)
            try:
                value, resume = (yield item), generator.send
            except GeneratorExit:
                state = start()
                try:
                    generator.close()
                finally:
                    stop(state)
                raise
            except BaseException as exc:  # thrown in: let the body handle it, active
                value, resume = exc, generator.throw

    return cast(F, wrapper)


def _async_generator(function: F, begin: _Begin) -> F:
    @functools.wraps(function)
    async def wrapper(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        args, start, stop = begin(args)
        generator = function(*args, **kwargs)
        resume: Callable[[Any], Any] = generator.asend
        value: Any = None
        while True:
            state = start()
            try:
                item = await resume(value)
            except StopAsyncIteration:
                return
            finally:
                stop(state)
            try:
                value, resume = (yield item), generator.asend
            except GeneratorExit:
                state = start()
                try:
                    await generator.aclose()
                finally:
                    stop(state)
                raise
            except BaseException as exc:
                value, resume = exc, generator.athrow

    return cast(F, wrapper)


def _without_passed_parameter(
    function: Callable[..., Any], name: str, passes: str
) -> inspect.Signature | None:
    """``function``'s signature without the parameter :func:`decorate_passing` fills."""
    if isinstance(function, type) or not callable(function):
        return None  # refused by _wrap, naming it
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):  # a builtin without one: nothing to show pytest
        return None
    parameters = list(signature.parameters.values())
    first = 1 if parameters and parameters[0].name == "self" and _in_class(function) else 0
    rest = parameters[first:]
    if rest and rest[0].kind in (Parameter.POSITIONAL_ONLY, Parameter.POSITIONAL_OR_KEYWORD):
        return signature.replace(parameters=parameters[:first] + rest[1:])
    if rest and rest[0].kind is Parameter.VAR_POSITIONAL:
        return signature  # *args takes the value: no parameter to leave out
    label = getattr(function, "__qualname__", repr(function))
    example = f"def {getattr(function, '__name__', 'f')}({'self, ' if first else ''}rec, ...)"
    raise TypeError(
        f"{name} passes {passes} to {label}() as an extra positional argument, but "
        f"{label}() has no parameter for it: add one, first (after self), e.g. {example}."
    )


def _in_class(function: Callable[..., Any]) -> bool:
    """Whether ``function`` was defined in a class body (its qualified name says so)."""
    outer = getattr(function, "__qualname__", "").split(".")[:-1]
    return bool(outer) and outer[-1] != "<locals>"
