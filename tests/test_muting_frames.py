"""A mute or recorder that names signals leaves every other signal's send Django's own.

Same function, same call stack: a receiver that warns with a ``stacklevel`` (as Django's
``complex_setting_changed`` does) or looks at its caller sees exactly what it sees
without signalkit. ``ALL`` and record-everything, which cannot name their signals, gate
the Signal class while they are active.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import pytest
from django.conf import settings
from django.db.models.signals import ModelSignal, post_save, pre_delete, pre_save
from django.dispatch import Signal
from django.test import override_settings

from signalkit import ALL, gate, muted_signals, record_signals

# Django's own methods, read before any test could have gated anything.
DJANGO = {
    name: vars(Signal)[name]
    for name in ("send", "send_robust", "asend", "asend_robust", "has_listeners")
    if name in vars(Signal)
}

NAMED: dict[str, Callable[[], AbstractContextManager[Any]]] = {
    "nothing active": nullcontext,
    "a mute of post_save": lambda: muted_signals(post_save),
    "a context mute of post_save": lambda: muted_signals(post_save, scope="context"),
    "a mute of some post_save senders": lambda: muted_signals(post_save, senders=[object()]),
    "a recorder of post_save": lambda: record_signals(post_save),
}


@pytest.fixture(autouse=True)
def _no_mute_outlives_its_test() -> Iterator[None]:
    yield
    assert not gate.is_installed(), "a mute or recorder was left active"


def send_and_see(signal: Signal) -> tuple[str, int | None, str]:
    """Send ``signal`` from this line; return what its receiver's warning blamed (file,
    line) and the name of the function that called the receiver."""
    caught: list[tuple[str, int | None, str]] = []

    def receiver(sender: object, **kwargs: Any) -> None:
        with warnings.catch_warnings(record=True) as warned:
            warnings.simplefilter("always")
            warnings.warn("look who is calling", UserWarning, stacklevel=3)
        caller = sys._getframe(1).f_code
        caught.append((warned[0].filename, warned[0].lineno, caller.co_qualname))

    signal.connect(receiver)
    try:
        signal.send(sender=None)  # the line the warning must blame
    finally:
        signal.disconnect(receiver)
    return caught[0]


@pytest.mark.parametrize("active", list(NAMED), ids=list(NAMED))
def test_another_signals_send_is_djangos_own_function(active: str) -> None:
    other = ModelSignal(use_caching=True)

    with NAMED[active]():
        methods = {name: getattr(type(other), name) for name in DJANGO}
        bound = other.send.__func__  # type: ignore[attr-defined]

    assert methods == DJANGO
    assert bound is DJANGO["send"]


@pytest.mark.parametrize("active", list(NAMED), ids=list(NAMED))
def test_a_receiver_of_another_signal_sees_the_same_caller(active: str) -> None:
    untouched = send_and_see(Signal())

    with NAMED[active]():
        seen = send_and_see(Signal())

    assert seen == untouched
    assert seen[0] == __file__
    assert seen[2] == "Signal.send"


def test_override_settings_still_warns_at_its_callers_line_under_a_mute_of_post_save() -> None:
    with muted_signals(post_save), warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")
        with override_settings(DATABASES=settings.DATABASES):  # the line to blame
            pass

    [warning] = [w for w in warned if "Overriding setting DATABASES" in str(w.message)]
    assert (warning.filename, warning.lineno) == (__file__, line_of("# the line to blame"))


def line_of(marker: str) -> int:
    """The number of the line of this file that ends with the comment ``marker``."""
    with open(__file__) as source:
        return next(n for n, line in enumerate(source, 1) if line.rstrip().endswith(marker))


def test_a_named_mute_changes_the_class_of_no_other_signal() -> None:
    before = {signal: type(signal) for signal in (pre_save, pre_delete)}

    with muted_signals(post_save), record_signals(post_save):
        during = {signal: type(signal) for signal in (pre_save, pre_delete)}

    assert during == before


def test_a_muted_signal_keeps_its_class_name_module_and_type_checks() -> None:
    with muted_signals(post_save):
        kind = type(post_save)
        checks = (isinstance(post_save, ModelSignal), repr(post_save).split(" object")[0])

    assert (kind.__name__, kind.__module__) == ("ModelSignal", "django.db.models.signals")
    assert checks == (True, "<django.db.models.signals.ModelSignal")


def test_a_muted_signal_gets_its_own_class_back_afterwards() -> None:
    with muted_signals(post_save, scope="context"), record_signals(post_save):
        pass

    assert type(post_save) is ModelSignal
    assert not gate.is_gated(post_save)


def test_a_muted_signal_sets_no_instance_attribute() -> None:
    signal = Signal()
    before = set(vars(signal))

    with muted_signals(signal), record_signals(signal):
        during = set(vars(signal))

    assert during == set(vars(signal)) == before


def test_a_signal_subclass_that_overrides_send_is_muted_when_named() -> None:
    calls: list[str] = []

    class LoudSignal(Signal):
        def send(self, sender: object, **named: Any) -> list[tuple[Any, Any]]:
            calls.append("override")
            return super().send(sender, **named)

    signal = LoudSignal()
    signal.connect(lambda sender, **kwargs: calls.append("receiver"), weak=False)
    with muted_signals(signal):
        signal.send(sender=None)
    muted, calls[:] = list(calls), []
    with muted_signals(signal, senders=[object()]):
        signal.send(sender=None)

    assert (muted, calls) == ([], ["override", "receiver"])


def test_all_gates_the_signal_class_while_active_only() -> None:
    with muted_signals(ALL):
        during = vars(Signal)["send"]

    assert during is not DJANGO["send"]
    assert vars(Signal)["send"] is DJANGO["send"]


def test_a_signal_named_under_all_still_records_and_mutes() -> None:
    other = Signal()
    other.connect(lambda sender, **kwargs: None, weak=False)
    with record_signals() as recorder, muted_signals(ALL), muted_signals(post_save):
        post_save.send(sender=None, instance=None, created=False)
        has_listeners = other.has_listeners()

    recorder.assert_sent_once(post_save)
    assert has_listeners is False
