from __future__ import annotations

import dataclasses
import functools
import gc
import importlib.util
import json
import logging
import re
import sys
import tokenize
import types
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.apps import AppConfig, apps
from django.contrib.auth.models import User
from django.core.exceptions import ImproperlyConfigured
from django.db import reset_queries
from django.db.models.signals import ModelSignal, post_migrate, pre_migrate
from django.dispatch import Signal
from django.test import override_settings
from django.utils.functional import SimpleLazyObject

import tests.registry_app.signals
from signalkit import discovery, registry
from signalkit.discovery import AutodiscoveryError, autodiscover
from signalkit.presentation import informational_flags
from signalkit.registry import ReceiverInfo
from tests.catalog_app.models import Book
from tests.catalog_app.signals import count_confirmed_order
from tests.registry_app import hostile
from tests.registry_app.models import StaffUser, Timestamped
from tests.shop.models import Order

PROFILE_UID = "signalkit.AutoProfileMixin:shop.profile"

HERE = Path(__file__)


def line_of(text: str) -> int:
    """The line of this file where ``text`` first appears."""
    return next(n for n, line in enumerate(HERE.read_text().splitlines(), 1) if text in line)


# --- receivers of every shape, at module level so weak references keep them alive ---------


def plain_receiver(sender: object, **kwargs: Any) -> None:
    pass


async def async_receiver(sender: object, **kwargs: Any) -> None:
    pass


def no_kwargs_receiver(sender: object) -> None:
    pass


def logged(function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return function(*args, **kwargs)

    return wrapper


@logged
def decorated_receiver(sender: object, **kwargs: Any) -> None:
    pass


class Notifier:
    def on_save(self, sender: object, **kwargs: Any) -> None:
        pass

    def __call__(self, sender: object, **kwargs: Any) -> None:
        pass


@logged
def decorated_without_kwargs(sender: object) -> None:
    pass


class Strict:
    def on_save(self, sender: object) -> None:
        pass

    def __call__(self, sender: object) -> None:
        pass


STRICT = Strict()


class Service:
    def __repr__(self) -> str:
        return "<Service: payments>"


SERVICE = Service()
NOTIFIER = Notifier()


# --- fixtures --------------------------------------------------------------------------


def receivers_of(signal: Signal) -> list[ReceiverInfo]:
    return registry.snapshot().filter(signal=signal).receivers


def only_receiver_of(signal: Signal) -> ReceiverInfo:
    (receiver,) = receivers_of(signal)
    return receiver


def paths() -> list[str]:
    return [info.path for info in registry.snapshot().signals]


# --- which signals are known -----------------------------------------------------------


def test_every_builtin_django_signal_is_listed_by_its_dotted_path() -> None:
    assert {
        "django.db.models.signals.post_save",
        "django.db.models.signals.m2m_changed",
        "django.db.models.signals.post_migrate",
        "django.core.signals.request_started",
        "django.core.signals.setting_changed",
        "django.db.backends.signals.connection_created",
        "django.contrib.auth.signals.user_logged_in",
    } <= set(paths())


def test_a_signal_is_named_by_the_last_part_of_its_path() -> None:
    info = next(i for i in registry.snapshot().signals if i.path.endswith(".post_save"))

    assert info.name == "post_save"


def test_a_custom_signal_in_an_apps_signals_module_is_listed() -> None:
    assert "tests.registry_app.signals.order_confirmed" in paths()


def test_a_custom_signal_in_an_apps_models_module_is_listed() -> None:
    assert "tests.registry_app.models.stock_low" in paths()


def test_a_re_exported_signal_is_listed_once_under_the_module_that_defines_it() -> None:
    # tests.catalog_app.signals imports order_confirmed, and comes first.
    listed = paths()

    assert "tests.catalog_app.signals.order_confirmed" not in listed
    assert "tests.registry_app.signals.post_save" not in listed
    assert listed.count("django.db.models.signals.post_save") == 1


def test_two_signals_with_the_same_name_in_different_modules_are_both_listed() -> None:
    listed = paths()

    assert "tests.catalog_app.models.stock_low" in listed
    assert "tests.registry_app.models.stock_low" in listed


def test_a_signal_listed_in_the_extra_signals_setting_is_imported_and_listed() -> None:
    sys.modules.pop("tests.registry_app.events", None)
    with override_settings(SIGNALKIT_EXTRA_SIGNALS=["tests.registry_app.events.order_paid"]):
        autodiscover()

        assert "tests.registry_app.events.order_paid" in paths()


def test_an_extra_signal_that_cannot_be_imported_fails_naming_the_path() -> None:
    with (
        override_settings(SIGNALKIT_EXTRA_SIGNALS=["tests.registry_app.nope.order_paid"]),
        pytest.raises(AutodiscoveryError, match=r"'tests\.registry_app\.nope\.order_paid'"),
    ):
        autodiscover()


def test_an_extra_signal_in_a_missing_module_fails_naming_the_setting_and_module() -> None:
    with (
        override_settings(SIGNALKIT_EXTRA_SIGNALS=["tests.registry_app.nope.order_paid"]),
        pytest.raises(AutodiscoveryError) as excinfo,
    ):
        autodiscover()

    assert str(excinfo.value).startswith(
        "SIGNALKIT_EXTRA_SIGNALS contains 'tests.registry_app.nope.order_paid', but there is "
        "no module 'tests.registry_app.nope'"
    )
    assert isinstance(excinfo.value.__cause__, ModuleNotFoundError)


def test_an_extra_signal_whose_module_raises_fails_naming_the_setting_and_path() -> None:
    path = "tests.registry_app.broken_events.order_paid"
    with (
        override_settings(SIGNALKIT_EXTRA_SIGNALS=[path]),
        pytest.raises(AutodiscoveryError) as excinfo,
    ):
        autodiscover()

    assert str(excinfo.value) == (
        f"SIGNALKIT_EXTRA_SIGNALS contains {path!r}, whose module "
        "'tests.registry_app.broken_events' raised while it was imported: RuntimeError: the "
        "events module is broken"
    )
    assert isinstance(excinfo.value.__cause__, RuntimeError)


def test_an_import_error_inside_an_extra_signals_module_is_not_called_a_missing_module() -> None:
    path = "tests.registry_app.events_without_dependency.order_paid"
    with (
        override_settings(SIGNALKIT_EXTRA_SIGNALS=[path]),
        pytest.raises(AutodiscoveryError) as excinfo,
    ):
        autodiscover()

    assert "'tests.registry_app.events_without_dependency' raised while it was imported" in str(
        excinfo.value
    )
    assert isinstance(excinfo.value.__cause__, ModuleNotFoundError)


def test_an_extra_signal_path_to_a_missing_attribute_fails_naming_it() -> None:
    with (
        override_settings(SIGNALKIT_EXTRA_SIGNALS=["tests.registry_app.events.order_refunded"]),
        pytest.raises(AutodiscoveryError) as excinfo,
    ):
        autodiscover()

    assert str(excinfo.value) == (
        "SIGNALKIT_EXTRA_SIGNALS contains 'tests.registry_app.events.order_refunded', but "
        "module 'tests.registry_app.events' has no attribute 'order_refunded'."
    )


def test_an_extra_signal_path_to_something_else_fails_naming_what_it_is() -> None:
    with (
        override_settings(SIGNALKIT_EXTRA_SIGNALS=["tests.registry_app.events.not_a_signal"]),
        pytest.raises(AutodiscoveryError, match=r"which is a str, not a django\.dispatch\.Signal"),
    ):
        autodiscover()


def test_an_extra_signal_path_to_a_lazy_object_fails_without_evaluating_it() -> None:
    with (
        override_settings(SIGNALKIT_EXTRA_SIGNALS=["tests.registry_app.events.lazy_storage"]),
        pytest.raises(
            AutodiscoveryError,
            match=r"'tests\.registry_app\.events\.lazy_storage', which is a SimpleLazyObject, "
            r"not a django\.dispatch\.Signal",
        ),
    ):
        autodiscover()


@pytest.mark.parametrize(
    "value",
    ["myapp.events.order_paid", ["order_paid"], [3], [""], ["myapp..order_paid"], [None]],
    ids=repr,
)
def test_a_malformed_extra_signals_setting_is_rejected(value: object) -> None:
    with (
        override_settings(SIGNALKIT_EXTRA_SIGNALS=value),
        pytest.raises(ImproperlyConfigured, match="SIGNALKIT_EXTRA_SIGNALS"),
    ):
        autodiscover()


def test_register_signal_lists_a_signal_under_the_name_given(probe: Signal) -> None:
    assert "tests.probe" in paths()


def test_register_signal_names_a_signal_after_the_callers_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(discovery, "_registered", {})
    namespace: dict[str, Any] = {
        "__name__": "shop.events",
        "register_signal": registry.register_signal,
    }
    exec(
        "from django.dispatch import Signal\norder_paid = Signal()\nregister_signal(order_paid)",
        namespace,
    )

    assert "shop.events.order_paid" in paths()


def test_register_signal_rejects_what_is_not_a_signal() -> None:
    with pytest.raises(TypeError, match=r"takes a django\.dispatch\.Signal, not 'post_save'"):
        registry.register_signal("post_save")  # type: ignore[arg-type]


def test_register_signal_rejects_a_name_that_is_not_a_dotted_path() -> None:
    with pytest.raises(ValueError, match="not 'order paid'"):
        registry.register_signal(Signal(), "order paid")


def test_register_signal_refuses_a_second_signal_under_a_taken_name(probe: Signal) -> None:
    with pytest.raises(ValueError, match=r"already registered as 'tests\.probe'"):
        registry.register_signal(Signal(), "tests.probe")


# --- signals outside INSTALLED_APPS -----------------------------------------------------

LIBRARY = "tests.discovery_apps.library"


@pytest.fixture
def library() -> Iterator[types.ModuleType]:
    """The library outside INSTALLED_APPS, imported as its users do (its backend first)."""
    _forget_library()
    yield importlib.import_module(f"{LIBRARY}.backend")
    _forget_library()


def _forget_library() -> None:
    for name in [name for name in sys.modules if name.startswith(f"{LIBRARY}.")]:
        del sys.modules[name]


def test_a_signal_of_an_imported_module_outside_installed_apps_is_listed(
    library: types.ModuleType,
) -> None:
    assert f"{LIBRARY}.signals.task_finished" in paths()


def test_a_signal_outside_installed_apps_is_listed_under_the_module_defining_it(
    library: types.ModuleType,
) -> None:
    listed = paths()

    assert f"{LIBRARY}.backend.task_finished" not in listed
    assert listed.count(f"{LIBRARY}.signals.task_finished") == 1


def test_the_receivers_of_a_signal_outside_installed_apps_are_listed(
    library: types.ModuleType,
) -> None:
    library.task_finished.connect(plain_receiver)

    assert [r.path for r in receivers_of(library.task_finished)] == [
        "tests.test_registry.plain_receiver"
    ]


def test_a_signal_of_a_subclass_of_a_signal_class_in_an_imported_module_is_listed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class AuditSignal(ModelSignal):
        pass

    module = types.ModuleType("tests.audit_events")
    module.audited = AuditSignal()  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, module.__name__, module)

    assert "tests.audit_events.audited" in paths()


def test_a_module_nobody_imported_is_not_imported_to_find_signals() -> None:
    _forget_library()

    assert f"{LIBRARY}.signals.task_finished" not in paths()
    assert f"{LIBRARY}.signals" not in sys.modules


def test_scanning_imported_modules_evaluates_no_lazy_object(library: types.ModuleType) -> None:
    assert type(library.storage) is SimpleLazyObject  # it raises if evaluated

    registry.snapshot().to_dict()


def test_scanning_imported_modules_does_not_load_a_lazily_loaded_module(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    name = f"{LIBRARY}.lazily_loaded"
    spec = importlib.util.find_spec(name)
    assert spec is not None
    assert spec.loader is not None
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    monkeypatch.setitem(sys.modules, name, module)

    registry.snapshot().to_dict()

    assert type(module) is not types.ModuleType  # still waiting to be loaded


def test_objects_in_sys_modules_that_are_not_modules_are_left_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def explode() -> object:
        raise AssertionError("lazy object in sys.modules evaluated")

    monkeypatch.setitem(sys.modules, "tests_not_a_module", SimpleLazyObject(explode))

    registry.snapshot().to_dict()


def test_django_tasks_signals_are_listed_once_imported() -> None:
    pytest.importorskip("django.tasks.signals", reason="django.tasks is new in Django 6.0")

    assert {
        "django.tasks.signals.task_enqueued",
        "django.tasks.signals.task_started",
        "django.tasks.signals.task_finished",
    } <= set(paths())


# --- a pure read -----------------------------------------------------------------------


def test_a_snapshot_imports_nothing() -> None:
    before = set(sys.modules)
    registry.snapshot().to_dict()

    assert set(sys.modules) - before == set()


def test_a_snapshot_connects_and_disconnects_nothing() -> None:
    signals = [info.signal for info in registry.snapshot().signals]
    before = [list(signal.receivers) for signal in signals]
    registry.snapshot().to_dict()

    assert [list(signal.receivers) for signal in signals] == before


def test_a_snapshot_never_scans_the_heap(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden() -> None:
        raise AssertionError("gc.get_objects() called")

    monkeypatch.setattr(gc, "get_objects", forbidden)

    registry.snapshot().to_dict()


def test_a_snapshot_does_not_evaluate_lazy_objects_in_scanned_modules(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def explode() -> object:
        raise AssertionError("lazy object evaluated")

    lazy = SimpleLazyObject(explode)
    monkeypatch.setattr(tests.registry_app.signals, "storage", lazy, raising=False)

    registry.snapshot().to_dict()


def code_only(path: Path) -> str:
    """The source of ``path`` without its comments and strings (docstrings included)."""
    with path.open("rb") as source:
        tokens = [
            token.string
            for token in tokenize.tokenize(source.readline)
            if token.type not in (tokenize.COMMENT, tokenize.STRING)
        ]
    return " ".join(tokens)


def test_no_module_but_the_registry_reads_django_signal_receivers() -> None:
    # Django's tuples differ by version (signalkit._compat): registry._entries is their one reader.
    django_internals = re.compile(
        r"\b[sS]ignal \. receivers\b|\. receivers \[|sender_receivers_cache"
    )
    package = Path(registry.__file__).parent
    readers = [
        path.name
        for path in package.rglob("*.py")
        if path.name != "registry.py" and django_internals.search(code_only(path))
    ]

    assert readers == []


# --- naming receivers ------------------------------------------------------------------


def test_a_function_is_named_by_module_and_qualname_with_its_source_line(probe: Signal) -> None:
    probe.connect(plain_receiver)

    receiver = only_receiver_of(probe)

    assert (receiver.path, receiver.name, receiver.kind) == (
        "tests.test_registry.plain_receiver",
        "plain_receiver",
        "function",
    )
    assert (receiver.file, receiver.line) == (str(HERE), line_of("def plain_receiver("))
    assert receiver.app is None


def test_a_receiver_in_an_installed_app_reports_its_app_label() -> None:
    receiver = only_receiver_of(
        registry.snapshot()
        .filter(signal="tests.registry_app.signals.order_confirmed")
        .signals[0]
        .signal
    )

    assert (receiver.app, receiver.name) == ("catalog_app", "count_confirmed_order")


def test_a_bound_method_is_named_with_its_class(probe: Signal) -> None:
    probe.connect(NOTIFIER.on_save)

    receiver = only_receiver_of(probe)

    assert (receiver.path, receiver.name, receiver.kind) == (
        "tests.test_registry.Notifier.on_save",
        "Notifier.on_save",
        "method",
    )


def test_a_partial_shows_the_wrapped_function_and_a_partial_marker(probe: Signal) -> None:
    probe.connect(functools.partial(plain_receiver, extra=1), weak=False)

    receiver = only_receiver_of(probe)

    assert (receiver.path, receiver.name, receiver.kind) == (
        "tests.test_registry.plain_receiver",
        "partial(plain_receiver)",
        "partial",
    )
    assert receiver.line == line_of("def plain_receiver(")


def test_a_callable_instance_is_named_by_its_class_and_located_at_call(probe: Signal) -> None:
    probe.connect(NOTIFIER)

    receiver = only_receiver_of(probe)

    assert (receiver.path, receiver.name, receiver.kind) == (
        "tests.test_registry.Notifier",
        "Notifier instance",
        "instance",
    )
    assert receiver.line == line_of("def __call__(")


def test_a_lambda_is_named_by_its_qualname(probe: Signal) -> None:
    probe.connect(lambda sender, **kwargs: None, weak=False)

    receiver = only_receiver_of(probe)

    assert receiver.kind == "lambda"
    assert receiver.name.endswith("<locals>.<lambda>")
    assert receiver.line == line_of("probe.connect(lambda sender")


def test_a_decorated_function_is_unwrapped_to_its_own_source_line(probe: Signal) -> None:
    probe.connect(decorated_receiver)

    receiver = only_receiver_of(probe)

    assert receiver.name == "decorated_receiver"
    assert receiver.line == line_of("def decorated_receiver(") - 1  # its decorator's line


def test_a_builtin_is_named_and_has_no_source(probe: Signal) -> None:
    probe.connect(print, weak=False)

    receiver = only_receiver_of(probe)

    assert (receiver.path, receiver.kind, receiver.file, receiver.line) == (
        "builtins.print",
        "builtin",
        None,
        None,
    )


def test_a_class_connected_as_a_receiver_is_named_by_its_class(probe: Signal) -> None:
    probe.connect(Notifier, weak=False)

    receiver = only_receiver_of(probe)

    assert (receiver.path, receiver.kind, receiver.line) == (
        "tests.test_registry.Notifier",
        "class",
        line_of("class Notifier:"),
    )


def test_a_weak_receiver_that_died_is_shown_dead(probe: Signal) -> None:
    def short_lived(sender: object, **kwargs: Any) -> None:
        pass

    probe.connect(short_lived)
    del short_lived
    gc.collect()

    receiver = only_receiver_of(probe)

    assert (receiver.alive, receiver.kind, receiver.receiver) == (False, "dead", None)


def test_weak_and_strong_references_are_told_apart(probe: Signal) -> None:
    probe.connect(plain_receiver)
    probe.connect(decorated_receiver, weak=False)

    assert [r.weak for r in receivers_of(probe)] == [True, False]


def test_an_async_receiver_is_flagged_async(probe: Signal) -> None:
    probe.connect(async_receiver)
    probe.connect(plain_receiver)

    assert [r.is_async for r in receivers_of(probe)] == [True, False]


@pytest.mark.parametrize(
    ("connect_args", "accepts"),
    [
        ((plain_receiver,), True),
        ((no_kwargs_receiver,), False),
        ((decorated_without_kwargs,), False),  # the wrapper's **kwargs would not reach it
        ((STRICT.on_save,), False),
        ((NOTIFIER.on_save,), True),
        ((STRICT,), False),
        ((functools.partial(no_kwargs_receiver),), False),
        ((functools.partial(plain_receiver, extra=1),), True),
        ((functools.partial(functools.partial(no_kwargs_receiver)),), False),
        ((functools.partial(NOTIFIER.on_save),), True),
        ((functools.partial(STRICT),), False),
        ((print,), False),  # print(signal=..., sender=...) would raise TypeError
    ],
    ids=[
        "function",
        "no-kwargs",
        "decorated",
        "method",
        "method-kwargs",
        "instance",
        "partial",
        "partial-kwargs",
        "nested-partial",
        "partial-of-method",
        "partial-of-instance",
        "builtin",
    ],
)
def test_accepts_kwargs_reads_the_signature_that_django_will_call(
    probe: Signal, connect_args: tuple[Any, ...], accepts: bool | None
) -> None:
    probe.connect(*connect_args, weak=False)

    assert only_receiver_of(probe).accepts_kwargs is accepts


# --- senders ---------------------------------------------------------------------------


def test_a_receiver_of_any_sender_has_the_sender_label_any(probe: Signal) -> None:
    probe.connect(plain_receiver)

    receiver = only_receiver_of(probe)

    assert (receiver.sender, receiver.sender_label) == (None, "any")


@pytest.mark.parametrize(
    ("sender", "label", "flags"),
    [
        (User, "auth.User", ()),
        (StaffUser, "registry_app.StaffUser", ("proxy",)),
        (Timestamped, "registry_app.Timestamped", ("abstract",)),
        (Book.tags.through, "catalog_app.Book_tags", ("auto_created",)),
    ],
    ids=["concrete", "proxy", "abstract", "auto-created"],
)
def test_a_model_sender_is_labelled_app_dot_model_with_its_kind(
    probe: Signal, sender: type, label: str, flags: tuple[str, ...]
) -> None:
    probe.connect(plain_receiver, sender=sender)

    receiver = only_receiver_of(probe)

    assert (receiver.sender, receiver.sender_label, receiver.sender_flags) == (
        sender,
        label,
        flags,
    )


def test_a_swapped_model_sender_is_flagged_swapped(probe: Signal) -> None:
    probe.connect(plain_receiver, sender=User)

    with override_settings(AUTH_USER_MODEL="registry_app.Customer"):
        receiver = only_receiver_of(probe)

    assert receiver.sender_flags == ("swapped",)


def test_an_arbitrary_object_sender_is_found_and_labelled_by_its_repr(probe: Signal) -> None:
    probe.connect(plain_receiver, sender=SERVICE)

    receiver = only_receiver_of(probe)

    assert (receiver.sender, receiver.sender_label) == (SERVICE, "<Service: payments>")


def test_an_app_config_sender_of_the_migrate_signals_is_found() -> None:
    senders = [r.sender for r in receivers_of(pre_migrate) + receivers_of(post_migrate)]

    assert apps.get_app_config("contenttypes") in senders


def test_an_app_config_sender_is_labelled_by_its_app_label_not_its_repr() -> None:
    config = apps.get_app_config("contenttypes")

    [receiver] = [r for r in receivers_of(pre_migrate) if r.sender is config]

    assert receiver.sender_label == "contenttypes app config"


def test_the_sender_of_one_send_reads_an_app_config_by_its_app_label() -> None:
    assert registry.send_sender_label(apps.get_app_config("auth")) == "auth app config"


def test_an_app_config_without_a_label_is_labelled_without_raising() -> None:
    class Unfinished(AppConfig):
        pass

    config = AppConfig.__new__(Unfinished)  # __init__ never ran: no label, repr() raises

    assert registry.send_sender_label(config).startswith("<unprintable ")


# --- receivers, senders and uids built to crash the inspector ------------------------------


@pytest.fixture
def plain_probe(monkeypatch: pytest.MonkeyPatch) -> Signal:
    """A plain Signal of the test's own: ModelSignal.connect() asks a sender for its class."""
    monkeypatch.setattr(discovery, "_registered", {})
    return registry.register_signal(Signal(), "tests.plain_probe")


@pytest.mark.parametrize("case", hostile.CONNECTIONS.values(), ids=hostile.CONNECTIONS.keys())
def test_a_hostile_receiver_is_described_without_raising(
    plain_probe: Signal, case: hostile.Hostile
) -> None:
    plain_probe.connect(case.receiver, **case.connect_kwargs)

    receiver = only_receiver_of(plain_probe)
    json.dumps(registry.snapshot().to_dict())

    assert receiver.path == case.listed_as
    assert case.shown in " ".join([receiver.sender_label, *informational_flags(receiver)])


WITHOUT_SENDER = {name: case for name, case in hostile.CONNECTIONS.items() if not case.sender}


@pytest.mark.usefixtures("pending_cleanup")
@pytest.mark.parametrize("case", WITHOUT_SENDER.values(), ids=WITHOUT_SENDER.keys())
def test_a_hostile_receiver_waiting_for_a_lazy_sender_is_described_without_raising(
    probe: Signal, case: hostile.Hostile
) -> None:
    probe.connect(case.receiver, sender="nope.Model", **case.connect_kwargs)

    (receiver,) = registry.snapshot().filter(signal=probe).pending
    json.dumps(registry.snapshot().to_dict())

    assert (receiver.path, receiver.sender_label) == (case.listed_as, "nope.model")


def test_what_a_hostile_receiver_raised_is_logged_at_debug_level(
    plain_probe: Signal, caplog: pytest.LogCaptureFixture
) -> None:
    for case in hostile.CONNECTIONS.values():
        plain_probe.connect(case.receiver, **case.connect_kwargs)

    with caplog.at_level(logging.DEBUG, logger="signalkit"):
        registry.snapshot().filter(signal=plain_probe).to_dict()

    messages = [record.getMessage() for record in caplog.records]
    assert "repr() of a UnprintableUid object raised" in messages
    assert "The signature of tests.registry_app.hostile.SignatureRaises could not be read" in (
        messages
    )
    assert all(record.exc_info for record in caplog.records)


def test_a_function_whose_module_is_not_a_string_is_named_by_its_qualname(
    probe: Signal,
) -> None:
    probe.connect(hostile.with_object_module)

    receiver = only_receiver_of(probe)

    assert (receiver.path, receiver.name, receiver.app) == (
        "with_object_module",
        "with_object_module",
        None,
    )


def test_a_dispatch_uid_whose_repr_raises_reads_unprintable(probe: Signal) -> None:
    probe.connect(plain_receiver, dispatch_uid=hostile.UNPRINTABLE_UID)

    receiver = only_receiver_of(probe)

    assert receiver.dispatch_uid is hostile.UNPRINTABLE_UID
    assert informational_flags(receiver) == [
        f"uid=<unprintable UnprintableUid object at {id(hostile.UNPRINTABLE_UID):#x}: "
        f"repr() raised RuntimeError>"
    ]


def test_a_duplicate_with_an_unprintable_dispatch_uid_is_described(probe: Signal) -> None:
    probe.connect(plain_receiver, dispatch_uid=hostile.UNPRINTABLE_UID)
    probe.connect(plain_receiver, dispatch_uid="second")

    (problem,) = registry.snapshot().filter(signal=probe).problems()

    assert "dispatch_uid=<unprintable UnprintableUid object" in problem.message


def test_a_sender_whose_repr_raises_is_labelled_unprintable(probe: Signal) -> None:
    # The receiver's module holds the sender: Django < 6.0 keeps only id(sender).
    probe.connect(hostile.receiver, sender=hostile.UNPRINTABLE_SENDER)

    receiver = only_receiver_of(probe)

    assert receiver.sender is hostile.UNPRINTABLE_SENDER
    assert receiver.sender_label == (
        f"<unprintable Unprintable object at {id(hostile.UNPRINTABLE_SENDER):#x}: "
        f"repr() raised RuntimeError>"
    )


def test_a_class_receiver_is_named_by_the_class_whatever_its_metaclass_says(
    probe: Signal,
) -> None:
    probe.connect(hostile.ClassReceiver)

    receiver = only_receiver_of(probe)

    assert (receiver.path, receiver.kind, receiver.app) == (
        "tests.registry_app.hostile.ClassReceiver",
        "class",
        "registry_app",
    )


# --- dispatch_uid ----------------------------------------------------------------------


@pytest.mark.parametrize("uid", ["profiles.create", ("profiles", 2), 42], ids=repr)
def test_any_hashable_dispatch_uid_is_reported(probe: Signal, uid: object) -> None:
    probe.connect(plain_receiver, dispatch_uid=uid)

    assert only_receiver_of(probe).dispatch_uid == uid


def test_a_receiver_connected_without_dispatch_uid_reports_none(probe: Signal) -> None:
    probe.connect(NOTIFIER.on_save)
    probe.connect(plain_receiver)

    assert [r.dispatch_uid for r in receivers_of(probe)] == [None, None]


# --- pending lazy senders --------------------------------------------------------------


@pytest.mark.usefixtures("pending_cleanup")
def test_a_receiver_waiting_for_a_lazy_sender_is_listed_as_pending(probe: Signal) -> None:
    probe.connect(plain_receiver, sender="registry_app.NotYetThere", dispatch_uid="wait")

    reg = registry.snapshot()
    (receiver,) = [r for r in reg.pending if r.signal_path == "tests.probe"]

    assert (receiver.path, receiver.sender_label, receiver.pending, receiver.dispatch_uid) == (
        "tests.test_registry.plain_receiver",
        "registry_app.notyetthere",
        True,
        "wait",
    )
    assert receivers_of(probe) == []


# --- duplicates ------------------------------------------------------------------------


def duplicate_paths(signal: Signal) -> list[list[str]]:
    reg = registry.snapshot().filter(signal=signal)
    return [[r.name for r in group] for group in reg.duplicates()]


def test_one_function_connected_twice_under_two_dispatch_uids_is_a_duplicate(
    probe: Signal,
) -> None:
    probe.connect(plain_receiver, sender=User, dispatch_uid="first")
    probe.connect(plain_receiver, sender=User, dispatch_uid="second")

    assert duplicate_paths(probe) == [["plain_receiver", "plain_receiver"]]


def test_one_function_for_any_sender_and_for_one_sender_is_a_duplicate(probe: Signal) -> None:
    probe.connect(plain_receiver)
    probe.connect(plain_receiver, sender=User)

    assert duplicate_paths(probe) == [["plain_receiver", "plain_receiver"]]


def test_one_function_for_two_different_senders_is_not_a_duplicate(probe: Signal) -> None:
    probe.connect(plain_receiver, sender=User)
    probe.connect(plain_receiver, sender=StaffUser)

    assert duplicate_paths(probe) == []


def test_a_function_imported_twice_under_two_module_names_is_a_duplicate(
    probe: Signal,
) -> None:
    # What `import shop.signals` and `import signals` (two sys.path entries) produce.
    twin = types.FunctionType(plain_receiver.__code__, plain_receiver.__globals__)
    probe.connect(plain_receiver)
    probe.connect(twin)

    assert duplicate_paths(probe) == [["plain_receiver", "plain_receiver"]]


def test_bound_methods_of_two_instances_are_not_duplicates(probe: Signal) -> None:
    first, second = Notifier(), Notifier()
    probe.connect(first.on_save)
    probe.connect(second.on_save)

    assert duplicate_paths(probe) == []


def test_closures_made_by_one_line_are_not_duplicates(probe: Signal) -> None:
    for n in range(2):
        probe.connect(lambda sender, n=n, **kwargs: n, weak=False)

    assert duplicate_paths(probe) == []


# --- problems --------------------------------------------------------------------------


def problems_of(signal: Signal) -> list[tuple[str, str]]:
    reg = registry.snapshot().filter(signal=signal)
    return [(problem.kind, problem.message) for problem in reg.problems()]


def test_a_duplicate_is_one_problem_saying_how_many_times_a_send_calls_it(
    probe: Signal,
) -> None:
    probe.connect(plain_receiver, sender=User, dispatch_uid="first")
    probe.connect(plain_receiver, sender=User, dispatch_uid="second")

    [(kind, message)] = problems_of(probe)

    assert kind == "duplicate"
    assert "one send calls it 2 times" in message
    assert "dispatch_uid='first'" in message


def test_a_receiver_without_kwargs_is_a_problem(probe: Signal) -> None:
    probe.connect(no_kwargs_receiver)

    assert problems_of(probe) == [
        (
            "no_kwargs",
            "tests.test_registry.no_kwargs_receiver does not accept **kwargs; Django passes "
            "signal= and every argument of tests.probe as keywords. Add "
            "**kwargs to its signature.",
        )
    ]


def test_a_dead_receiver_is_a_problem(probe: Signal) -> None:
    probe.connect(lambda sender, **kwargs: None)
    gc.collect()

    [(kind, message)] = problems_of(probe)

    assert kind == "dead"
    assert "connect it with weak=False" in message


def test_a_dead_bound_method_is_listed_dead_but_is_no_problem(probe: Signal) -> None:
    # An object's receiver dies with the object: Django's FileSystemStorage does this.
    probe.connect(Notifier().on_save)
    gc.collect()

    receiver = only_receiver_of(probe)

    assert (receiver.alive, receiver.name) == (False, "<dead bound method>")
    assert problems_of(probe) == []


def test_a_receiver_of_an_abstract_model_is_a_problem(probe: Signal) -> None:
    probe.connect(plain_receiver, sender=Timestamped)

    [(kind, message)] = problems_of(probe)

    assert kind == "abstract_sender"
    assert "registry_app.Timestamped, which never sends" in message


def test_a_receiver_of_a_swapped_model_is_a_problem(probe: Signal) -> None:
    probe.connect(plain_receiver, sender=User)

    with override_settings(AUTH_USER_MODEL="registry_app.Customer"):
        [(kind, message)] = problems_of(probe)

    assert kind == "swapped_sender"
    assert "Use sender=settings.AUTH_USER_MODEL instead" in message


@pytest.mark.usefixtures("pending_cleanup")
def test_a_lazy_sender_that_never_resolved_is_a_problem(probe: Signal) -> None:
    probe.connect(plain_receiver, sender="registry_app.Typo")

    [(kind, message)] = problems_of(probe)

    assert kind == "unresolved_sender"
    assert "'registry_app.typo'" in message


def test_a_correct_receiver_is_no_problem(probe: Signal) -> None:
    probe.connect(plain_receiver, sender=User)
    probe.connect(async_receiver)

    assert problems_of(probe) == []


# --- filters ---------------------------------------------------------------------------


def test_filtering_by_app_keeps_that_apps_receivers_and_their_signals_only() -> None:
    reg = registry.snapshot().filter(app="catalog_app")

    assert {r.app for r in reg.receivers} == {"catalog_app"}
    assert all(info.receivers for info in reg.signals)


def test_filtering_by_an_unknown_app_names_it_and_the_installed_labels() -> None:
    with pytest.raises(
        ValueError, match=r"Unknown app label 'nope'\. Installed app labels: .*catalog_app"
    ):
        registry.snapshot().filter(app="nope")


@pytest.mark.parametrize(
    "wanted", ["post_save", "django.db.models.signals.post_save"], ids=["name", "path"]
)
def test_filtering_by_signal_name_or_path_keeps_that_signal(wanted: str) -> None:
    reg = registry.snapshot().filter(signal=wanted)

    assert [info.path for info in reg.signals] == ["django.db.models.signals.post_save"]


def test_filtering_by_a_bare_name_keeps_every_signal_of_that_name() -> None:
    reg = registry.snapshot().filter(signal="stock_low")

    assert [info.path for info in reg.signals] == [
        "tests.catalog_app.models.stock_low",
        "tests.registry_app.models.stock_low",
    ]


def test_filtering_by_an_unknown_signal_names_it_and_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"Unknown signal 'post_saved'\. .*post_save"):
        registry.snapshot().filter(signal="post_saved")


def test_filtering_by_sender_keeps_its_receivers_and_those_of_any_sender(probe: Signal) -> None:
    probe.connect(plain_receiver, sender=User)
    probe.connect(decorated_receiver, sender=StaffUser)
    probe.connect(async_receiver)

    reg = registry.snapshot().filter(signal=probe, sender="auth.User")

    assert [r.name for r in reg.receivers] == ["plain_receiver", "async_receiver"]


def test_filtering_by_an_unknown_model_names_it_and_the_installed_models() -> None:
    with pytest.raises(ValueError, match=r"Unknown model 'shop\.Nope'.*auth\.User"):
        registry.snapshot().filter(sender="shop.Nope")


def test_an_ambiguous_name_in_the_unknown_signal_error_lists_its_paths() -> None:
    expected = (
        "stock_low (tests.catalog_app.models.stock_low or tests.registry_app.models.stock_low)"
    )
    with pytest.raises(ValueError, match=re.escape(expected)):
        registry.snapshot().filter(signal="stock_lw")


@pytest.mark.usefixtures("pending_cleanup")
def test_filtering_by_a_model_a_pending_receiver_waits_for_finds_it(probe: Signal) -> None:
    probe.connect(plain_receiver, sender="registry_app.Invoice")
    probe.connect(decorated_receiver, sender="registry_app.Receipt")

    reg = registry.snapshot().filter(sender="registry_app.Invoice")

    assert [r.name for r in reg.pending] == ["plain_receiver"]


def test_filters_combine(probe: Signal) -> None:
    probe.connect(plain_receiver, sender=User)

    reg = registry.snapshot().filter(app=["catalog_app", "registry_app"], signal=probe, sender=User)

    assert reg.signals == []


# --- serialisation ---------------------------------------------------------------------


def test_to_dict_is_json_with_signals_pending_and_problems(probe: Signal) -> None:
    probe.connect(plain_receiver, sender=User, dispatch_uid=("tuple", 1))

    data = json.loads(json.dumps(registry.snapshot().filter(signal=probe).to_dict()))

    assert set(data) == {"signals", "pending", "problems"}
    [receiver] = data["signals"][0]["receivers"]
    assert receiver["path"] == "tests.test_registry.plain_receiver"
    assert receiver["sender"] == "auth.User"
    assert receiver["dispatch_uid"] == "('tuple', 1)"
    assert receiver["accepts_kwargs"] is True


# --- in_project: the project's receivers, not a library's ---------------------------------


def test_a_file_of_the_project_is_the_projects() -> None:
    assert registry.is_project_file(tests.registry_app.signals.__file__)


@pytest.mark.parametrize(
    "module",
    [functools, pytest, sys.modules["django.dispatch.dispatcher"]],
    ids=["standard library", "site-packages", "django"],
)
def test_a_file_of_a_library_is_not_the_projects(module: types.ModuleType) -> None:
    assert not registry.is_project_file(module.__file__ or "")


def test_signalkits_own_files_are_not_the_projects() -> None:
    assert not registry.is_project_file(registry.__file__)


def test_code_without_a_file_is_not_the_projects() -> None:
    assert not registry.is_project_file("<frozen importlib._bootstrap>")


def test_a_file_under_any_site_packages_folder_is_not_the_projects(tmp_path: Path) -> None:
    library = tmp_path / "venv" / "lib" / "site-packages" / "library.py"
    assert not registry.is_project_file(str(library))


def test_a_receiver_defined_in_the_project_is_in_the_project() -> None:
    receivers = registry.snapshot().filter(app="catalog_app").receivers

    assert receivers
    assert all(receiver.in_project for receiver in receivers)


def test_a_djangos_receiver_is_not_in_the_project() -> None:
    [receiver] = [
        r
        for r in registry.snapshot().receivers
        if r.path == "django.contrib.auth.models.update_last_login"
    ]

    assert not receiver.in_project


# --- a mixin's receivers belong to the app of the model using the mixin ---------------------

STOCK_RECEIVERS = [
    "signalkit.mixins.stock.move_stock_before_save",
    "signalkit.mixins.stock.note_restock_before_delete",
    "signalkit.mixins.stock.restock_after_delete",
]


def receivers_for(sender: object) -> list[ReceiverInfo]:
    return [r for r in registry.snapshot().receivers if r.sender is sender]


def test_the_stock_mixins_receivers_belong_to_the_app_of_the_stocked_model() -> None:
    stock = [r for r in receivers_for(Order) if r.path in STOCK_RECEIVERS]

    assert [(r.path, r.app) for r in stock] == [(path, "shop") for path in STOCK_RECEIVERS]


def test_the_profile_mixins_receiver_belongs_to_the_app_of_the_profile_model() -> None:
    [receiver] = [r for r in receivers_for(User) if r.dispatch_uid == PROFILE_UID]

    assert (receiver.path, receiver.app) == (
        "tests.shop.models.Profile.auto_create_receiver",
        "shop",
    )


def test_a_mixins_receiver_for_a_project_model_is_in_the_project() -> None:
    stock = [r for r in receivers_for(Order) if r.path in STOCK_RECEIVERS]

    assert len(stock) == 3
    assert all(r.in_project and r.file and not registry.is_project_file(r.file) for r in stock)


def test_a_mixins_receiver_for_a_model_of_a_library_app_is_not_in_the_project(
    probe: Signal,
) -> None:
    uid = "signalkit.StockMovementMixin:auth.user"
    probe.connect(reset_queries, sender=User, dispatch_uid=uid)  # django/db/__init__.py

    receiver = only_receiver_of(probe)

    assert (receiver.app, receiver.in_project) == ("auth", False)


@pytest.mark.parametrize(
    "uid",
    [
        "signalkit.StockMovementMixin:nope.order",  # no such app
        "signalkit.SomethingElse:catalog_app.book",  # no mixin of signalkit's
        "signalkit.StockMovementMixin",
        "shop.StockMovementMixin:catalog_app.book",
    ],
)
def test_another_dispatch_uid_leaves_the_receiver_in_its_modules_app(
    probe: Signal, uid: str
) -> None:
    probe.connect(count_confirmed_order, sender=Book, dispatch_uid=uid)

    assert only_receiver_of(probe).app == "catalog_app"


# --- each snapshot reads the registry as it is now, and keeps nothing alive ---------------
# Snapshots share what they worked out about a connection (its receiver's description), so
# these tests take several snapshots before the change each one looks for.


def take_snapshots(count: int = 3) -> None:
    for _ in range(count):
        registry.snapshot().problems()


def closure() -> tuple[Callable[..., Any], object]:
    token = object()

    def receiver(sender: object, **kwargs: Any) -> object:
        return token

    return receiver, receiver


def lambda_receiver() -> tuple[Callable[..., Any], object]:
    function = lambda sender, **kwargs: None  # noqa: E731
    return function, function


def decorated_closure() -> tuple[Callable[..., Any], object]:
    function = logged(closure()[0])
    return function, function


def bound_method() -> tuple[Callable[..., Any], object]:
    notifier = Notifier()
    return notifier.on_save, notifier


def bound_method_of_a_closure() -> tuple[Callable[..., Any], object]:
    token = object()

    class Local:
        def on_save(self, sender: object, **kwargs: Any) -> object:
            return token

    # What might be kept is the function (identity (id(self), function)); it dies with Local.
    return Local().on_save, Local.on_save


def callable_instance() -> tuple[Callable[..., Any], object]:
    notifier = Notifier()
    return notifier, notifier


SHORT_LIVED = {
    "closure": closure,
    "lambda": lambda_receiver,
    "decorated": decorated_closure,
    "method": bound_method,
    "method-of-a-closure": bound_method_of_a_closure,
    "instance": callable_instance,
}


@pytest.mark.parametrize("make", SHORT_LIVED.values(), ids=SHORT_LIVED.keys())
def test_snapshots_keep_no_weakly_connected_receiver_alive(
    probe: Signal, make: Callable[[], tuple[Callable[..., Any], object]]
) -> None:
    receiver, owner = make()
    probe.connect(receiver)
    take_snapshots()
    watched = weakref.ref(owner)

    del receiver, owner
    gc.collect()

    assert watched() is None
    assert [r.alive for r in receivers_of(probe)] == [False]


def test_snapshots_keep_no_sender_alive(probe: Signal, monkeypatch: pytest.MonkeyPatch) -> None:
    sender = Service()
    with monkeypatch.context() as patch:
        # Django 5.2 keeps only id(sender): the inspector finds it in the receiver's globals.
        patch.setattr(sys.modules[__name__], "SHORT_LIVED_SENDER", sender, raising=False)
        probe.connect(plain_receiver, sender=sender)
        assert only_receiver_of(probe).sender is sender
        take_snapshots()
    watched = weakref.ref(sender)

    del sender
    gc.collect()

    assert watched() is None


def test_a_strongly_connected_receiver_is_let_go_once_disconnected(probe: Signal) -> None:
    receiver = closure()[0]
    probe.connect(receiver, weak=False)
    take_snapshots()
    watched = weakref.ref(receiver)

    probe.disconnect(receiver)
    del receiver
    gc.collect()

    assert watched() is None


def test_a_snapshot_sees_a_receiver_disconnected_after_earlier_snapshots(probe: Signal) -> None:
    probe.connect(plain_receiver)
    probe.connect(async_receiver)
    take_snapshots()

    probe.disconnect(plain_receiver)

    assert [r.path for r in receivers_of(probe)] == ["tests.test_registry.async_receiver"]


def test_a_snapshot_sees_a_receiver_connected_again_after_earlier_snapshots(
    probe: Signal,
) -> None:
    probe.connect(plain_receiver, dispatch_uid="first")
    take_snapshots()
    probe.disconnect(dispatch_uid="first")
    take_snapshots()

    probe.connect(plain_receiver, sender=User, dispatch_uid="second")

    receiver = only_receiver_of(probe)
    assert (receiver.dispatch_uid, receiver.sender_label) == ("second", "auth.User")


def test_one_receiver_after_another_is_each_described_as_itself(probe: Signal) -> None:
    # Django makes a tuple per connect: a new one often gets a freed one's id.
    connections: list[tuple[Callable[..., Any], str, str]] = [
        (plain_receiver, "tests.test_registry.plain_receiver", "function"),
        (NOTIFIER.on_save, "tests.test_registry.Notifier.on_save", "method"),
        (async_receiver, "tests.test_registry.async_receiver", "function"),
        (NOTIFIER, "tests.test_registry.Notifier", "instance"),
        (decorated_receiver, "tests.test_registry.decorated_receiver", "function"),
    ]
    seen = []
    for _ in range(3):
        for receiver, _path, _kind in connections:
            probe.connect(receiver)
            found = only_receiver_of(probe)
            seen.append((found.path, found.kind, found.is_async, found.alive))
            probe.disconnect(receiver)

    expected = [
        (path, kind, receiver is async_receiver, True) for receiver, path, kind in connections
    ]
    assert seen == expected * 3


def test_a_snapshot_sees_a_sender_that_died_after_earlier_snapshots(
    probe: Signal, monkeypatch: pytest.MonkeyPatch
) -> None:
    sender = Service()
    with monkeypatch.context() as patch:
        patch.setattr(sys.modules[__name__], "SHORT_LIVED_SENDER", sender, raising=False)
        probe.connect(plain_receiver, sender=sender)
        assert only_receiver_of(probe).sender is sender
        take_snapshots()

    del sender
    gc.collect()

    receiver = only_receiver_of(probe)
    assert receiver.sender is None
    assert receiver.sender_label != "<Service: payments>"


def test_a_snapshots_receiver_has_every_field_and_stays_frozen(probe: Signal) -> None:
    probe.connect(plain_receiver)

    receiver = only_receiver_of(probe)

    names = [field.name for field in dataclasses.fields(ReceiverInfo)]
    assert [name for name in names if name not in vars(receiver)] == []
    assert dataclasses.replace(receiver).to_dict() == receiver.to_dict()
    with pytest.raises(dataclasses.FrozenInstanceError):
        receiver.path = "elsewhere"  # type: ignore[misc]
