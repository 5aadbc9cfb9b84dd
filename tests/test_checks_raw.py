"""signalkit.W007: a project's pre_save/post_save receiver that never reads ``raw``."""

from __future__ import annotations

import functools
import os
import site
from collections.abc import Callable, Iterator
from io import StringIO
from typing import Any

import pytest
from django.conf import settings
from django.core.checks import Warning as CheckWarning
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import reset_queries
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save
from django.dispatch import Signal
from django.test import override_settings

from signalkit import after_commit
from signalkit.checks import check_receivers
from signalkit.registry import Problem, snapshot
from tests.catalog_app.models import Book
from tests.registry_app import hostile

UID = "test-checks-raw"


# --- receivers that read raw ------------------------------------------------------------------


def takes_raw(sender: object, instance: object, raw: bool, **kwargs: Any) -> None:
    if raw:
        return


def gets_raw(sender: object, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return


def indexes_raw(sender: object, **kwargs: Any) -> None:
    if kwargs["raw"]:
        return


def reads_raw_in_a_nested_function(sender: object, **kwargs: Any) -> None:
    def loading() -> bool:
        return bool(kwargs.get("raw"))

    if loading():
        return


def skip_raw(receiver: Callable[..., None]) -> Callable[..., None]:
    """The classic ``disable_for_loaddata`` decorator."""

    @functools.wraps(receiver)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        if kwargs.get("raw"):
            return
        receiver(*args, **kwargs)

    return wrapper


@skip_raw
def decorated_to_skip_raw(sender: object, instance: object, **kwargs: Any) -> None:
    pass


@after_commit
def deferred_and_takes_raw(sender: object, raw: bool, **kwargs: Any) -> None:
    pass


def hands_kwargs_on(sender: object, **kwargs: Any) -> None:
    """It may read raw where its kwargs go: too unsure to warn."""
    log_save(**kwargs)


def log_save(**kwargs: Any) -> None:
    pass


def returns_kwargs(sender: object, **kwargs: Any) -> dict[str, Any]:
    return kwargs


def reads_locals(sender: object, **kwargs: Any) -> None:
    log_save(**locals())


def uses_kwargs_later(sender: object, **kwargs: Any) -> Callable[[], object]:
    return lambda: kwargs.get("using")


class Wrapping:
    """A callable that a function says it wraps (``__wrapped__``): not a Python function."""

    def __call__(self, sender: object, **kwargs: Any) -> None:
        pass


def wraps_a_callable_object(sender: object, **kwargs: Any) -> None:
    pass


wraps_a_callable_object.__wrapped__ = Wrapping()  # type: ignore[attr-defined]


class UnreadablePartial(functools.partial[None]):
    @property
    def keywords(self) -> dict[str, Any]:  # type: ignore[override]
        raise RuntimeError("no keywords here")


def log_pair(first: object, second: object) -> None:
    pass


def hands_kwargs_on_with_another_argument(sender: object, instance: object, **kwargs: Any) -> None:
    log_pair(kwargs, instance)


# --- receivers that never do ------------------------------------------------------------------


def ignores_raw(sender: object, instance: object, created: bool = False, **kwargs: Any) -> None:
    pass


LINE_OF_IGNORES_RAW = ignores_raw.__code__.co_firstlineno


def without_kwargs(sender: object, instance: object) -> None:
    pass


def reads_other_keys(sender: object, **kwargs: Any) -> None:
    if kwargs.get("created") and kwargs["update_fields"] is None and "using" in kwargs:
        return


def passes_another_key_on(sender: object, instance: object, **kwargs: Any) -> None:
    log_pair(instance, kwargs.get("created"))


@after_commit
def deferred_and_ignores_raw(sender: object, instance: object, **kwargs: Any) -> None:
    pass


def long_and_reads_other_keys() -> Callable[..., None]:
    """A receiver with 300 constants: reading the last one takes an EXTENDED_ARG."""
    lines = [f"    value_{i} = {i}" for i in range(300)]
    source = "def long_receiver(sender, **kwargs):\n" + "\n".join(lines)
    source += '\n    return kwargs.get("created")\n'
    namespace: dict[str, Any] = {}
    exec(compile(source, __file__, "exec"), namespace)
    receiver: Callable[..., None] = namespace["long_receiver"]
    return receiver


class Indexer:
    def on_save(self, sender: object, instance: object, **kwargs: Any) -> None:
        pass


class Notifier:
    def __call__(self, sender: object, **kwargs: Any) -> None:
        pass


@pytest.fixture
def connect() -> Iterator[Callable[..., None]]:
    """``connect(receiver, signal=pre_save)``: connected for Book, disconnected after."""
    connected: list[Signal] = []

    def connect_(receiver: Any, signal: Signal = pre_save) -> None:
        signal.connect(receiver, sender=Book, weak=False, dispatch_uid=UID)
        connected.append(signal)

    yield connect_
    for signal in connected:
        signal.disconnect(sender=Book, dispatch_uid=UID)


def check_signals_at_warning_level() -> None:
    """``manage.py check --tag signals --fail-level WARNING`` (the model checks, which may
    query the database on Django 6.1, are left out)."""
    call_command(
        "check", tags=["signals"], fail_level="WARNING", stdout=StringIO(), stderr=StringIO()
    )


def raw_problems() -> list[Problem]:
    return [p for p in snapshot().problems() if p.kind == "ignores_raw"]


def w007() -> list[CheckWarning]:
    return [w for w in check_receivers() if w.id == "signalkit.W007"]


@pytest.mark.parametrize(
    "receiver",
    [
        takes_raw,
        gets_raw,
        indexes_raw,
        reads_raw_in_a_nested_function,
        decorated_to_skip_raw,
        deferred_and_takes_raw,
        hands_kwargs_on,
        hands_kwargs_on_with_another_argument,
        returns_kwargs,
        reads_locals,
        uses_kwargs_later,
        wraps_a_callable_object,
        UnreadablePartial(gets_raw),
    ],
)
@pytest.mark.parametrize("signal", [pre_save, post_save], ids=["pre_save", "post_save"])
def test_a_receiver_that_may_read_raw_is_not_reported(
    connect: Callable[..., None], receiver: Callable[..., None], signal: Signal
) -> None:
    connect(receiver, signal)

    assert raw_problems() == []


@pytest.mark.parametrize(
    "receiver",
    [
        ignores_raw,
        without_kwargs,
        reads_other_keys,
        passes_another_key_on,
        long_and_reads_other_keys(),
        functools.partial(ignores_raw, created=True),
        deferred_and_ignores_raw,
        Notifier(),
    ],
)
@pytest.mark.parametrize("signal", [pre_save, post_save], ids=["pre_save", "post_save"])
def test_a_receiver_that_never_reads_raw_is_reported(
    connect: Callable[..., None], receiver: Callable[..., None], signal: Signal
) -> None:
    connect(receiver, signal)

    [problem] = raw_problems()

    assert problem.receiver.signal_path == f"django.db.models.signals.{signal_name(signal)}"


def signal_name(signal: Signal) -> str:
    return "pre_save" if signal is pre_save else "post_save"


def test_a_bound_method_that_never_reads_raw_is_reported(connect: Callable[..., None]) -> None:
    indexer = Indexer()
    connect(indexer.on_save)

    [problem] = raw_problems()

    assert problem.receiver.path == "tests.test_checks_raw.Indexer.on_save"


@pytest.mark.parametrize(
    "signal", [pre_delete, post_delete, m2m_changed], ids=["pre_delete", "post_delete", "m2m"]
)
def test_receivers_of_signals_sent_without_raw_are_not_reported(
    connect: Callable[..., None], signal: Signal
) -> None:
    connect(ignores_raw, signal)

    assert raw_problems() == []


def test_a_model_signal_of_the_projects_own_is_not_reported(probe: Signal) -> None:
    probe.connect(ignores_raw, sender=Book)

    assert raw_problems() == []


def test_a_partial_that_binds_raw_is_not_reported(connect: Callable[..., None]) -> None:
    connect(functools.partial(ignores_raw, raw=False))

    assert raw_problems() == []


def test_a_builtin_is_not_reported(connect: Callable[..., None]) -> None:
    connect(print)

    assert raw_problems() == []


def test_a_djangos_receiver_is_not_reported(connect: Callable[..., None]) -> None:
    connect(reset_queries)  # **kwargs, never reads raw, defined in django/db/__init__.py

    assert raw_problems() == []


def test_a_receiver_defined_in_site_packages_is_not_reported(
    connect: Callable[..., None],
) -> None:
    library = os.path.join(site.getsitepackages()[0], "somelibrary", "receivers.py")
    namespace: dict[str, Any] = {}
    exec(compile("def on_save(sender, **kwargs): pass", library, "exec"), namespace)
    connect(namespace["on_save"])

    assert raw_problems() == []


def test_signalkits_mixin_receivers_are_not_reported() -> None:
    """tests.shop's Order (StockMovementMixin) and Profile (AutoProfileMixin): their
    receivers read raw, and they are signalkit's code, not the project's."""
    assert check_receivers() == []


def test_the_problem_says_why_and_how_to_fix_it(connect: Callable[..., None]) -> None:
    connect(ignores_raw, post_save)

    [problem] = raw_problems()

    assert problem.message == (
        "tests.test_checks_raw.ignores_raw never reads raw, so it also runs when loaddata "
        "saves fixture rows (Django sends post_save with raw=True for each) and may write "
        "what the fixture already holds. Take raw and return early when it is True; a "
        "receiver meant to run for fixture rows too takes raw as well."
    )


def test_it_is_the_system_check_w007_naming_the_receiver_and_its_source(
    connect: Callable[..., None],
) -> None:
    connect(ignores_raw)

    [warning] = w007()

    assert isinstance(warning, CheckWarning)
    assert warning.obj == f"tests.test_checks_raw.ignores_raw ({__file__}:{LINE_OF_IGNORES_RAW})"


def test_it_fails_manage_py_check_at_warning_level(connect: Callable[..., None]) -> None:
    connect(ignores_raw)

    with pytest.raises(SystemCheckError, match=r"\(signalkit\.W007\) .*never reads raw"):
        check_signals_at_warning_level()


def test_silenced_system_checks_silences_it(connect: Callable[..., None]) -> None:
    connect(ignores_raw)

    with override_settings(
        SILENCED_SYSTEM_CHECKS=[*settings.SILENCED_SYSTEM_CHECKS, "signalkit.W007"]
    ):
        check_signals_at_warning_level()


def test_taking_raw_silences_it_for_one_receiver(connect: Callable[..., None]) -> None:
    def reindex(sender: object, instance: object, raw: bool, **kwargs: Any) -> None:
        """Fixture rows are indexed too."""

    connect(reindex)
    connect(ignores_raw, post_save)

    assert [p.receiver.path for p in raw_problems()] == ["tests.test_checks_raw.ignores_raw"]


@pytest.mark.parametrize("case", hostile.CONNECTIONS.values(), ids=hostile.CONNECTIONS.keys())
def test_a_hostile_receiver_is_checked_without_raising(case: hostile.Hostile) -> None:
    # Signal's own methods: ModelSignal's look at the sender first, which one case forbids.
    Signal.connect(pre_save, case.receiver, **case.connect_kwargs)
    try:
        problems = raw_problems()
    finally:
        Signal.disconnect(
            pre_save,
            case.receiver,
            sender=case.connect_kwargs.get("sender"),
            dispatch_uid=case.connect_kwargs.get("dispatch_uid"),
        )

    assert {p.receiver.path for p in problems} <= {case.listed_as}
