"""``muted_signals``: silence signals in tests without touching their receivers.

    >>> from signalkit import muted_signals, ALL
    >>> with muted_signals(post_save, senders=["auth.User"]):
    ...     User.objects.create(username="quiet")   # no profile, no welcome e-mail

Unlike swapping ``signal.receivers`` for an empty list (factory_boy's ``mute_signals``
and its many copies), a mute is a gate in front of the send methods (``signalkit.gate``):
receivers connected or disconnected during a mute stay so afterwards, ``dispatch_uid``
still de-duplicates, ``has_listeners()`` is False while muted (Django keeps its fast
delete path), and an exception inside the block ends the mute like any exit.
"""

from __future__ import annotations

import functools
import inspect
import unittest
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from types import TracebackType
from typing import Any, TypeVar, cast, overload

from asgiref.sync import iscoroutinefunction
from django.apps import apps
from django.dispatch import Signal

from signalkit import gate

F = TypeVar("F", bound=Callable[..., Any])


class _All:
    """Every signal except the infrastructure ones (see ``signalkit.gate``)."""

    def __repr__(self) -> str:
        return "signalkit.ALL"


ALL = _All()


class muted_signals:
    """Mute signals while a block, function, test class or factory runs.

    ``signals``: Signal objects, or ``ALL`` (the default when none are given): every signal
    except Django's infrastructure signals (``setting_changed``, ``template_rendered``,
    ``got_request_exception``, ``request_started``, ``request_finished``,
    ``connection_created``, ``class_prepared``, ``pre_migrate``, ``post_migrate``), which
    keep the test client, ``override_settings`` and migrations working; name one to mute it.

    ``senders``: only sends from these (model classes, ``"app_label.Model"`` labels
    resolved when the mute starts, or any object; a proxy model is its own sender).
    ``receivers``: only these receivers (the others still run). ``except_``: with
    ``ALL``, signals to leave alone. ``scope``: ``"global"`` (every thread and task) or
    ``"context"`` (this thread or asyncio task only).

    One object can be entered again while active, from several tasks at once, and its
    mutes may end in any order. As a decorator it keeps what it decorates: a coroutine
    function stays one, a generator is muted while its body runs (not while suspended at
    a ``yield``), a ``TestCase`` class is muted from ``setUpClass`` (so
    ``setUpTestData`` too) to its class cleanup, a plain test class per ``test*`` method,
    and a factory_boy factory while it generates (SubFactory, RelatedFactory and
    post-generation included)::

        @muted_signals(post_save, receivers=[send_welcome_email])
        class UserFactory(factory.django.DjangoModelFactory): ...
    """

    def __init__(
        self,
        *signals: Signal | _All,
        senders: Iterable[object] | None = None,
        receivers: Iterable[Callable[..., Any]] | None = None,
        except_: Iterable[Signal] | None = None,
        scope: gate.Scope = "global",
    ) -> None:
        every = not signals or any(s is ALL for s in signals)
        for signal in signals:
            if signal is not ALL and not isinstance(signal, Signal):
                raise TypeError(
                    f"muted_signals() takes Signal objects or signalkit.ALL, not {signal!r}."
                )
        self._signals = frozenset(s for s in signals if isinstance(s, Signal))
        self._every = every
        self._except = frozenset(except_ or ())
        for signal in self._except:
            if not isinstance(signal, Signal):
                raise TypeError(f"muted_signals(except_=...) takes Signal objects, not {signal!r}.")
        if self._except and not every:
            raise ValueError(
                "muted_signals(except_=...) only applies to ALL: name the signals to mute "
                "instead, or pass ALL."
            )
        self._senders = None if senders is None else _as_tuple(senders, "senders")
        for sender in self._senders or ():
            if isinstance(sender, str) and sender.count(".") != 1:
                raise ValueError(
                    f"muted_signals(senders=...) takes 'app_label.ModelName' labels, "
                    f"not {sender!r}."
                )
        self._receivers: tuple[gate.HeldReceiver, ...] | None = None
        if receivers is not None:
            chosen = _as_tuple(receivers, "receivers")
            for receiver in chosen:
                if not callable(receiver):
                    raise TypeError(
                        f"muted_signals(receivers=...) takes receivers (callables), "
                        f"not {receiver!r}."
                    )
            self._receivers = tuple(map(gate.HeldReceiver.of, chosen))
        if scope not in ("global", "context"):
            raise ValueError(f"muted_signals(scope=...) is 'global' or 'context', not {scope!r}.")
        self._scope: gate.Scope = scope
        self._active: list[gate.Rule] = []

    def __repr__(self) -> str:
        return f"<muted_signals {'ALL' if self._every else len(self._signals)} {self._scope}>"

    # --- context manager ---------------------------------------------------------------

    def __enter__(self) -> muted_signals:
        self._active.append(self._start())
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        # Every mute of this object silences the same sends: whichever ends is the same.
        self._stop(self._active.pop())

    def _start(self) -> gate.Rule:
        rule = gate.Rule(
            signals=self._signals,
            every=self._every,
            except_=self._except,
            senders=None if self._senders is None else tuple(map(_sender, self._senders)),
            receivers=self._receivers,
        )
        gate.activate(rule, self._scope)
        return rule

    def _stop(self, rule: gate.Rule) -> None:
        gate.deactivate(rule, self._scope)

    # --- decorator ---------------------------------------------------------------------

    @overload
    def __call__(self, target: type) -> type: ...

    @overload
    def __call__(self, target: F) -> F: ...

    def __call__(self, target: Any) -> Any:
        if isinstance(target, type):
            if type(target).__module__.startswith("factory."):
                return self._decorate_factory(target)
            if issubclass(target, unittest.TestCase):
                return self._decorate_test_case(target)
            return self._decorate_class(target)
        if inspect.isasyncgenfunction(target):
            return self._decorate_async_generator(target)
        if inspect.isgeneratorfunction(target):
            return self._decorate_generator(target)
        if iscoroutinefunction(target):
            return self._decorate_coroutine_function(target)
        if callable(target):
            return self._decorate_function(target)
        raise TypeError(
            f"muted_signals() decorates functions, coroutine functions, generators, test "
            f"classes and factory_boy factories, not {target!r}."
        )

    def _decorate_function(self, function: F) -> F:
        @functools.wraps(function)
        def muted(*args: Any, **kwargs: Any) -> Any:
            rule = self._start()
            try:
                return function(*args, **kwargs)
            finally:
                self._stop(rule)

        return cast(F, muted)

    def _decorate_coroutine_function(self, function: F) -> F:
        @functools.wraps(function)
        async def muted(*args: Any, **kwargs: Any) -> Any:
            rule = self._start()
            try:
                return await function(*args, **kwargs)
            finally:
                self._stop(rule)

        return cast(F, muted)

    def _decorate_generator(self, function: F) -> F:
        @functools.wraps(function)
        def muted(*args: Any, **kwargs: Any) -> Iterator[Any]:
            generator = function(*args, **kwargs)  # runs none of the body yet
            resume: Callable[[Any], Any] = generator.send
            value: Any = None
            while True:
                rule = self._start()
                try:
                    item = resume(value)
                except StopIteration as stop:
                    return stop.value  # type: ignore[no-any-return]
                finally:
                    self._stop(rule)
                try:
                    value, resume = (yield item), generator.send
                except GeneratorExit:
                    self._close(generator)
                    raise
                except BaseException as exc:  # thrown in: let the body handle it, muted
                    value, resume = exc, generator.throw

        return cast(F, muted)

    def _decorate_async_generator(self, function: F) -> F:
        @functools.wraps(function)
        async def muted(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
            generator = function(*args, **kwargs)
            resume: Callable[[Any], Any] = generator.asend
            value: Any = None
            while True:
                rule = self._start()
                try:
                    item = await resume(value)
                except StopAsyncIteration:
                    return
                finally:
                    self._stop(rule)
                try:
                    value, resume = (yield item), generator.asend
                except GeneratorExit:
                    rule = self._start()
                    try:
                        await generator.aclose()
                    finally:
                        self._stop(rule)
                    raise
                except BaseException as exc:
                    value, resume = exc, generator.athrow

        return cast(F, muted)

    def _close(self, generator: Any) -> None:
        rule = self._start()
        try:
            generator.close()
        finally:
            self._stop(rule)

    def _decorate_test_case(self, cls: type[unittest.TestCase]) -> type[unittest.TestCase]:
        own = cls.__dict__.get("setUpClass")
        mute = self

        def setUpClass(klass: type[unittest.TestCase]) -> None:
            rule = mute._start()
            # Class cleanups run after tearDownClass, and also when setUpClass fails.
            klass.addClassCleanup(mute._stop, rule)
            if own is not None:
                own.__func__(klass)
            else:
                super(cls, klass).setUpClass()  # type: ignore[misc]

        cls.setUpClass = classmethod(setUpClass)  # type: ignore[assignment,method-assign]
        return cls

    def _decorate_class(self, cls: type) -> type:
        for name in dir(cls):
            if not (name.startswith("test") or name in ("setup_method", "teardown_method")):
                continue
            attribute = inspect.getattr_static(cls, name)
            if inspect.isfunction(attribute):
                setattr(cls, name, self(attribute))
        return cls

    def _decorate_factory(self, cls: type) -> type:
        generate = cls._generate.__func__  # type: ignore[attr-defined]
        mute = self

        @functools.wraps(generate)
        def _generate(klass: type, *args: Any, **kwargs: Any) -> Any:
            rule = mute._start()
            try:
                return generate(klass, *args, **kwargs)
            finally:
                mute._stop(rule)

        cls._generate = classmethod(_generate)  # type: ignore[attr-defined]
        return cls


def _as_tuple(values: Iterable[Any], argument: str) -> tuple[Any, ...]:
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise TypeError(
            f"muted_signals({argument}=...) takes a list, not {values!r}; "
            f"write {argument}=[{values!r}]."
        )
    return tuple(values)


def _sender(sender: object) -> object:
    if not isinstance(sender, str):
        return sender
    try:
        return apps.get_model(sender)
    except LookupError:
        raise ValueError(
            f"muted_signals(senders=...): no installed model is labelled {sender!r}."
        ) from None
