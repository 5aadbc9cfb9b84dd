"""``muted_signals``: silence signals in tests without touching their receivers.

    >>> from signalkit import muted_signals, ALL
    >>> with muted_signals(post_save, senders=["auth.User"]):
    ...     User.objects.create(username="quiet")   # no profile, no welcome e-mail

Unlike swapping ``signal.receivers`` for an empty list (factory_boy's ``mute_signals``
and its many copies), a mute is a gate in front of the send methods of the signals it
names (``signalkit.gate``): receivers connected or disconnected during a mute stay so
afterwards, ``dispatch_uid`` still de-duplicates, ``has_listeners()`` is False while
muted (Django keeps its fast delete path), every other signal's send stays Django's own,
and an exception inside the block ends the mute like any exit.
"""

from __future__ import annotations

import difflib
import functools
import inspect
import sys
import threading
import unittest
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from types import TracebackType
from typing import Any, TypeVar, overload

from django.dispatch import Signal

from signalkit import _labels, decorating, gate, presentation

F = TypeVar("F", bound=Callable[..., Any])

# An entry of one __enter__: [its rule, the token of the ContextVar.set() that recorded it].
_Entry = list[Any]


class _All:
    """Every signal except the infrastructure ones (see ``signalkit.gate``)."""

    def __repr__(self) -> str:
        return "signalkit.ALL"


ALL = _All()


def _suggesting_keywords(init: F) -> F:
    """``init``, refusing a keyword it does not take with the one that was probably meant:
    ``sender=Product`` gets "did you mean senders=[Product]?" (its signature stays the
    same for ``inspect``, the docs and type checkers)."""
    taken = [
        name
        for name, parameter in inspect.signature(init).parameters.items()
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY
    ]

    @functools.wraps(init)
    def checked(self: object, *args: Any, **options: Any) -> None:
        for name, value in options.items():
            if name not in taken:
                raise TypeError(_unexpected_keyword(name, value, taken))
        init(self, *args, **options)

    return checked  # type: ignore[return-value]


def _unexpected_keyword(name: str, value: object, taken: list[str]) -> str:
    message = f"muted_signals() got an unexpected keyword argument {name!r}"
    meant = name + "s" if name + "s" in taken else None
    if meant is None:
        close = difflib.get_close_matches(name, taken, n=1)
        meant = close[0] if close else None
    if meant is None:
        keywords = [f"{keyword}=" for keyword in taken]
        return f"{message}; it takes {', '.join(keywords[:-1])} and {keywords[-1]}."
    if meant == "scope":
        return f"{message}: did you mean scope={presentation.safe_repr(value)}?"
    values = value if isinstance(value, (list, tuple, set, frozenset)) else [value]
    return f"{message}: did you mean {meant}=[{', '.join(map(_as_written, values))}]?"


def _as_written(value: object) -> str:
    """A value the way it was probably written: a signal, class or function by its name."""
    if isinstance(value, Signal):
        return presentation.short_signal_name(presentation.signal_name(value))
    name = getattr(value, "__name__", None)
    if isinstance(name, str) and (isinstance(value, type) or inspect.isroutine(value)):
        return name
    return presentation.safe_repr(value)


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
    ``ALL``, signals to leave alone. Each of the three takes a list (any iterable but a
    string); a single value is refused with the fix (``except_=[post_save]``), never
    guessed. ``scope``: ``"global"`` (every thread and task) or ``"context"`` (this thread
    or asyncio task only).

    A mute that names its signals changes nothing for any other signal: their sends stay
    Django's own function, with Django's call stack. ``ALL`` gates every signal's send
    while it is active.

    One object can be entered again while active, by several threads or tasks at once,
    and its mutes may end in any order: each ``__enter__`` belongs to the thread or
    asyncio task that made it, and an ``__exit__`` ends that thread's or task's latest
    one (an ``__exit__`` with none to end raises ``RuntimeError``). As a decorator it keeps
    what it decorates: a coroutine function stays one, a generator is muted while its body
    runs (not while suspended at a ``yield``), a ``TestCase`` class is muted from
    ``setUpClass`` (so ``setUpTestData`` too) to its class cleanup, a plain test class per
    ``test*`` method, and a factory_boy factory (and its subclasses) whenever it generates
    an object: called directly (``build``, ``create``, ``create_batch``...) or as another
    factory's ``SubFactory`` or ``RelatedFactory``, its own sub-factories, post-generation
    hooks and the save after them included::

        @muted_signals(post_save, receivers=[send_welcome_email])
        class UserFactory(factory.django.DjangoModelFactory): ...
    """

    @_suggesting_keywords
    def __init__(
        self,
        *signals: Signal | _All,
        senders: Iterable[object] | None = None,
        receivers: Iterable[Callable[..., Any]] | None = None,
        except_: Iterable[Signal] | None = None,
        scope: gate.Scope = "global",
    ) -> None:
        if scope != "global" and scope != "context":
            raise ValueError(f"muted_signals(scope=...) is 'global' or 'context', not {scope!r}.")
        every = not signals
        for signal in signals:
            if isinstance(signal, Signal):
                continue
            if signal is ALL:
                every = True
                continue
            hint = (
                " (pass the signals as separate arguments: muted_signals(*signals))"
                if isinstance(signal, (list, tuple, set, frozenset))
                else ""
            )
            raise TypeError(
                f"muted_signals() takes Signal objects or signalkit.ALL, not {signal!r}{hint}."
            )
        self._scope: gate.Scope = scope
        self._every = every
        self._rule: gate.Rule | None
        if except_ is None and senders is None and receivers is None:
            # The usual mute, "these signals, entirely": its rule is shared by every mute
            # of the same signals (a rule is immutable; the gate counts activations).
            rule = _plain_rule(signals, every)
            self._signals = rule.signals
            self._rule = rule
        else:
            self._signals = frozenset(signals) - {ALL}  # type: ignore[assignment]
            self._options(except_, senders, receivers)
            # Built once: every activation of this object silences the same sends. Labels
            # are resolved when a mute starts (the app registry may not be ready before).
            self._rule = None if _labelled(self._senders) else self._build_rule()
        # The entries of this thread or task: a ContextVar, so an __exit__ never ends
        # another thread's or task's entry. Tokens reset it to its previous value, so a
        # context keeps nothing of a mute once it has left it.
        self._entered: ContextVar[tuple[_Entry, ...]] = ContextVar("signalkit_entered")

    # Options given, these replace the class's defaults.
    _except: frozenset[Signal] = frozenset()
    _senders: tuple[object, ...] | None = None
    _receivers: tuple[gate.HeldReceiver, ...] | None = None

    def _options(self, except_: object, senders: object, receivers: object) -> None:
        """Check and keep ``except_``, ``senders`` and ``receivers``."""
        self._except = frozenset(_signal_list(except_, "except_"))
        if self._except and not self._every:
            raise ValueError(
                "muted_signals(except_=...) only applies to ALL: name the signals to mute "
                "instead, or pass ALL."
            )
        if senders is not None:
            self._senders = _listed(senders, "senders")
            for sender in self._senders:
                if isinstance(sender, str) and not _labels.is_label(sender):
                    raise ValueError(
                        f"muted_signals(senders=...) takes 'app_label.ModelName' labels, "
                        f"not {sender!r}."
                    )
        if receivers is not None:
            chosen = _listed(receivers, "receivers")
            for receiver in chosen:
                if not callable(receiver):
                    raise TypeError(
                        f"muted_signals(receivers=...) takes receivers (callables), "
                        f"not {receiver!r}."
                    )
            self._receivers = tuple(map(gate.HeldReceiver.of, chosen))

    def __repr__(self) -> str:
        return f"<muted_signals {'ALL' if self._every else len(self._signals)} {self._scope}>"

    # --- context manager ---------------------------------------------------------------

    def __enter__(self) -> muted_signals:
        rule = self._rule or self._build_rule()
        gate.activate(rule, self._scope)
        entered = self._entered
        entry: _Entry = [rule, None]
        entry[1] = entered.set((*entered.get(()), entry))
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        entries = self._entered.get(())
        if not entries:
            raise RuntimeError(
                f"{self!r}: __exit__() without a matching __enter__() in this thread or "
                f"asyncio task. Leave a mute in the thread or task that entered it (use "
                f"'with', or call __enter__() and __exit__() in pairs)."
            )
        rule, token = entries[-1]
        try:
            self._entered.reset(token)
        except ValueError:
            # The entry is visible here because this task's context was copied from the
            # one that entered (a task created inside the block): it is not ours to end.
            raise RuntimeError(
                f"{self!r}: __exit__() in a thread or task that did not enter it (it was "
                f"entered by the task this one was started from). Leave a mute in the "
                f"thread or task that entered it."
            ) from None
        gate.deactivate(rule, self._scope)

    def _build_rule(self) -> gate.Rule:
        senders = self._senders
        return gate.Rule(
            self._signals,
            self._every,
            self._except,
            None if senders is None else tuple(map(_sender, senders)),
            self._receivers,
        )

    def _start(self) -> gate.Rule:
        rule = self._rule or self._build_rule()
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
            if _is_factory(target):
                return self._decorate_factory(target)
            if issubclass(target, unittest.TestCase):
                return self._decorate_test_case(target)
            return self._decorate_class(target)
        return decorating.decorate(
            target,
            self._start,
            self._stop,
            name="muted_signals()",
            accepts=(
                "functions, coroutine functions, generators, test classes and factory_boy factories"
            ),
        )

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
        # factory_boy builds a SubFactory's or RelatedFactory's object without calling
        # that factory's _generate(), _create() or hooks from the outside: the one place
        # every object of a factory goes through is StepBuilder.build(), hooked once.
        _hook_factory_boy()
        setattr(cls, _FACTORY_MUTES, (*cls.__dict__.get(_FACTORY_MUTES, ()), self))
        return cls


_FACTORY_MUTES = "_signalkit_muted_signals"
_hook_lock = threading.Lock()


def _is_factory(target: type) -> bool:
    base = sys.modules.get("factory.base")
    return base is not None and isinstance(target, base.FactoryMetaClass)


def _factory_mutes(factory: object) -> list[muted_signals]:
    """The mutes decorating ``factory`` and the factories it inherits from."""
    mutes: list[muted_signals] = []
    for klass in reversed(getattr(factory, "__mro__", ())):
        mutes.extend(klass.__dict__.get(_FACTORY_MUTES, ()))
    return mutes


def _hook_factory_boy() -> None:
    """Wrap ``factory.builder.StepBuilder.build`` (once per process): it builds one object
    of one factory, from resolving its declarations (sub-factories) to its post-generation
    hooks and ``_after_postgeneration``, whether the factory was called directly or as a
    ``SubFactory`` or ``RelatedFactory``. Factories without a mute pay one lookup."""
    from factory import builder

    with _hook_lock:
        build: Callable[..., Any] = builder.StepBuilder.build
        if getattr(build, "_signalkit_hook", False):
            return

        @functools.wraps(build)
        def muted_build(step_builder: Any, *args: Any, **kwargs: Any) -> Any:
            mutes = _factory_mutes(getattr(step_builder.factory_meta, "factory", None))
            if not mutes:
                return build(step_builder, *args, **kwargs)
            started: list[tuple[muted_signals, gate.Rule]] = []
            try:
                for mute in mutes:
                    started.append((mute, mute._start()))
                return build(step_builder, *args, **kwargs)
            finally:
                for mute, rule in reversed(started):
                    mute._stop(rule)

        muted_build._signalkit_hook = True  # type: ignore[attr-defined]
        setattr(builder.StepBuilder, "build", muted_build)  # noqa: B010 (a method, replaced)


def _signal_list(values: object, argument: str) -> tuple[Signal, ...]:
    """``values`` as a tuple of signals, or an error naming what is wrong with it."""
    if values is None:
        return ()
    if isinstance(values, str):
        raise TypeError(
            f"muted_signals({argument}=...) takes a list of Signal objects, not the string "
            f"{values!r}: pass the signal itself, e.g. {argument}=[post_save]."
        )
    if isinstance(values, Signal):
        name = presentation.signal_name(values)
        short = "signal" if name.startswith("<") else name.rpartition(".")[2]
        raise TypeError(
            f"muted_signals({argument}=...) takes a list of Signal objects, not one signal "
            f"({name}): write {argument}=[{short}]."
        )
    if not isinstance(values, Iterable):
        raise TypeError(
            f"muted_signals({argument}=...) takes a list of Signal objects, not {values!r}."
        )
    signals = tuple(values)
    for signal in signals:
        if not isinstance(signal, Signal):
            raise TypeError(f"muted_signals({argument}=...) takes Signal objects, not {signal!r}.")
    return signals


def _listed(values: object, argument: str) -> tuple[Any, ...]:
    if isinstance(values, Iterable) and not isinstance(values, str):
        return tuple(values)
    if argument == "receivers" and not callable(values):
        raise TypeError(
            f"muted_signals(receivers=...) takes a list of receivers (callables), not {values!r}."
        )
    raise TypeError(
        f"muted_signals({argument}=...) takes a list, not {values!r}; "
        f"write {argument}=[{values!r}]."
    )


# signals, as passed to muted_signals() -> their rule; small, and cleared when it grows.
_PLAIN_RULES: dict[tuple[Signal | _All, ...], gate.Rule] = {}


def _plain_rule(signals: tuple[Signal | _All, ...], every: bool) -> gate.Rule:
    """The shared rule of "these signals, entirely" (built on first use)."""
    rule = _PLAIN_RULES.get(signals)
    if rule is not None:
        return rule
    rule = gate.Rule(frozenset(signals) - {ALL}, every)  # type: ignore[arg-type]
    if len(_PLAIN_RULES) >= 64:
        _PLAIN_RULES.clear()  # signals made in tests come and go: keep none alive for long
    _PLAIN_RULES[signals] = rule
    return rule


def _labelled(senders: tuple[object, ...] | None) -> bool:
    return senders is not None and any(isinstance(sender, str) for sender in senders)


def _sender(sender: object) -> object:
    if not isinstance(sender, str):
        return sender
    model = _labels.model_for(sender)
    if model is None:
        raise ValueError(f"muted_signals(senders=...): {_labels.unknown(sender)}.")
    return model
