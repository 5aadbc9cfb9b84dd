"""Deferred receivers (``after_commit``, ``as_task``) in listsignals, the admin and the checks.

The receivers here are built as the decorators build them: a ``functools.wraps`` wrapper of
the real function carrying a :class:`~signalkit.deferred.Deferral` (see :func:`deferred`).
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import json
import sys
from collections.abc import Callable, Iterator
from typing import Any

import django
import pytest
from django.apps import apps
from django.core.checks import CheckMessage
from django.core.checks import Error as CheckError
from django.dispatch import Signal
from django.test import override_settings

from signalkit.checks import check_receivers, check_task_receivers
from signalkit.deferred import DEFERRAL_ATTRIBUTE, Deferral
from signalkit.presentation import location
from signalkit.registry import ReceiverInfo, snapshot
from tests.factories import ReceiversViewerFactory
from tests.test_admin import get_page, row_of
from tests.test_listsignals import run_listsignals

FRAMEWORK = "django.tasks" if django.VERSION >= (6, 0) else "django_tasks"
HAS_TASKS = importlib.util.find_spec(FRAMEWORK) is not None
needs_tasks = pytest.mark.skipif(
    not HAS_TASKS,
    reason=f'{FRAMEWORK} is not installed: python -m pip install "django-signalkit[tasks]"',
)
IMMEDIATE = f"{FRAMEWORK}.backends.immediate.ImmediateBackend"
DUMMY = f"{FRAMEWORK}.backends.dummy.DummyBackend"


SCHEDULED: list[tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]] = []


def deferred(kind: str, **options: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """What ``after_commit`` (kind "commit") and ``as_task`` (kind "task") make of a receiver:
    a wrapper of it, with its names, carrying the Deferral."""

    def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> None:
            SCHEDULED.append((function, args, kwargs))  # a closure, as the decorators' are

        path = f"{function.__module__}.{function.__qualname__}"
        setattr(wrapper, DEFERRAL_ATTRIBUTE, Deferral(kind, function, path, **options))
        return wrapper

    return decorate


@deferred("task", queue_name="mail", retries=3)
def send_invoice(sender: object, **kwargs: Any) -> None:
    pass


LINE_OF_SEND_INVOICE = send_invoice.__wrapped__.__code__.co_firstlineno
SEND_INVOICE = f"{__name__}.send_invoice"


@deferred("task")
def with_defaults(sender: object, **kwargs: Any) -> None:
    pass


@deferred("task", backend="database", priority=10, retries=2, retry_delay=1.5)
def with_every_option(sender: object, **kwargs: Any) -> None:
    pass


@deferred("commit")
def notify_warehouse(sender: object, **kwargs: Any) -> None:
    pass


@deferred("commit", using="other", robust=True)
def notify_with_options(sender: object, **kwargs: Any) -> None:
    pass


def plain_receiver(sender: object, **kwargs: Any) -> None:
    pass


def shadowed(sender: object, **kwargs: Any) -> None:
    pass


# A module-level lambda: its qualname is "<lambda>", no name a worker could import.
lambda_task = deferred("task")(lambda sender, **kwargs: None)

# Connected as signal.connect(as_task(shadowed)): the module's "shadowed" is not the wrapper.
shadowed_task = deferred("task")(shadowed)


class Invoices:
    @staticmethod
    @deferred("task")
    def send(sender: object, **kwargs: Any) -> None:
        pass


def make_nested(kind: str) -> Callable[..., Any]:
    @deferred(kind)
    def nested(sender: object, **kwargs: Any) -> None:
        pass

    return nested


@pytest.fixture
def connect(probe: Signal) -> Iterator[Callable[..., None]]:
    """``connect(receiver, weak=True)`` to the probe signal, disconnected after."""
    connected: list[Any] = []

    def connect_(receiver: Any, weak: bool = True) -> None:
        probe.connect(receiver, weak=weak)
        connected.append(receiver)

    yield connect_
    for receiver in connected:
        probe.disconnect(receiver)


def info_of(path: str) -> ReceiverInfo:
    [found] = [r for r in snapshot().receivers if r.path == path]
    return found


def messages_about(messages: list[CheckMessage], path: str) -> list[tuple[str | None, str]]:
    return [(m.id, m.msg) for m in messages if path in m.msg]


# --- registry --------------------------------------------------------------------------


def test_a_deferred_receiver_is_listed_with_its_real_functions_path_and_source_line(
    connect: Callable[..., None],
) -> None:
    connect(send_invoice)

    info = info_of(SEND_INVOICE)

    assert (info.deferred, info.file, info.line) == (
        send_invoice.signalkit_deferred,
        __file__,
        LINE_OF_SEND_INVOICE,
    )


def test_a_plain_receiver_has_no_deferral(connect: Callable[..., None]) -> None:
    connect(plain_receiver)

    assert info_of(f"{__name__}.plain_receiver").deferred is None


def test_a_task_receivers_dict_carries_its_task_options(connect: Callable[..., None]) -> None:
    connect(with_every_option)

    assert info_of(f"{__name__}.with_every_option").to_dict()["deferred"] == {
        "kind": "task",
        "queue_name": None,
        "priority": 10,
        "backend": "database",
        "retries": 2,
        "retry_delay": 1.5,
    }


def test_a_commit_receivers_dict_carries_its_database_and_robustness(
    connect: Callable[..., None],
) -> None:
    connect(notify_with_options)

    assert info_of(f"{__name__}.notify_with_options").to_dict()["deferred"] == {
        "kind": "commit",
        "using": "other",
        "robust": True,
    }


def test_an_option_that_is_no_json_value_is_written_as_its_repr(
    connect: Callable[..., None],
) -> None:
    odd = deferred("task", queue_name=("mail",))(plain_receiver)
    connect(odd)

    assert info_of(f"{__name__}.plain_receiver").to_dict()["deferred"]["queue_name"] == "('mail',)"


# --- listsignals ------------------------------------------------------------------------


def test_listsignals_flags_a_task_receiver_with_its_queue_and_retries_at_its_real_line(
    connect: Callable[..., None],
) -> None:
    connect(send_invoice)

    stdout, _, _ = run_listsignals("--signal", "tests.probe", "--no-color")

    assert (
        f"  {SEND_INVOICE} [task (queue=mail, retries=3)]\n"
        f"      app -, sender any, {location(info_of(SEND_INVOICE))}\n"
    ) in stdout
    assert location(info_of(SEND_INVOICE)).endswith(f".py:{LINE_OF_SEND_INVOICE}")


def test_listsignals_shows_the_default_queue_when_as_task_names_none(
    connect: Callable[..., None],
) -> None:
    connect(with_defaults)

    stdout, _, _ = run_listsignals("--signal", "tests.probe", "--no-color")

    assert f"  {__name__}.with_defaults [task (queue=default, retries=0)]\n" in stdout


def test_listsignals_shows_the_retry_delay_priority_and_backend_when_given(
    connect: Callable[..., None],
) -> None:
    connect(with_every_option)

    stdout, _, _ = run_listsignals("--signal", "tests.probe", "--no-color")

    assert (
        f"  {__name__}.with_every_option [task (queue=default, retries=2, retry_delay=1.5s, "
        f"priority=10, backend=database)]\n"
    ) in stdout


def test_listsignals_flags_an_after_commit_receiver_commit(connect: Callable[..., None]) -> None:
    connect(notify_warehouse)

    stdout, _, _ = run_listsignals("--signal", "tests.probe", "--no-color")

    assert f"  {__name__}.notify_warehouse [commit]\n" in stdout


def test_listsignals_shows_an_after_commit_receivers_database_and_robustness(
    connect: Callable[..., None],
) -> None:
    connect(notify_with_options)

    stdout, _, _ = run_listsignals("--signal", "tests.probe", "--no-color")

    assert f"  {__name__}.notify_with_options [commit (using=other, robust)]\n" in stdout


def test_listsignals_json_carries_the_deferral(connect: Callable[..., None]) -> None:
    connect(send_invoice)

    stdout, _, _ = run_listsignals("--signal", "tests.probe", "--format", "json")

    [receiver] = json.loads(stdout)["signals"][0]["receivers"]
    assert receiver["deferred"] == {
        "kind": "task",
        "queue_name": "mail",
        "priority": None,
        "backend": None,
        "retries": 3,
        "retry_delay": 0.0,
    }


def test_listsignals_vim_line_ends_with_the_deferred_flag(connect: Callable[..., None]) -> None:
    connect(notify_warehouse)

    stdout, _, _ = run_listsignals("--signal", "tests.probe", "--format", "vim")

    line = notify_warehouse.__wrapped__.__code__.co_firstlineno
    assert stdout == f"{__file__}:{line}: tests.probe {__name__}.notify_warehouse [commit]\n"


def test_listsignals_check_reports_a_task_receiver_no_worker_can_import(
    connect: Callable[..., None],
) -> None:
    connect(make_nested("task"), weak=False)

    _, stderr, status = run_listsignals("--signal", "tests.probe", "--check", "--no-color")

    assert status == 1
    assert "unreachable_task: " in stderr
    assert "it is defined inside a function" in stderr


# --- admin ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_admin_flags_a_task_receiver_with_its_queue_and_retries_at_its_real_line(
    connect: Callable[..., None],
) -> None:
    connect(send_invoice)

    row = row_of(get_page(ReceiversViewerFactory()), SEND_INVOICE)

    assert f"test_deferred_visibility.py:{LINE_OF_SEND_INVOICE} " in row
    assert row.endswith(" any task (queue=mail, retries=3)"), row


@pytest.mark.django_db
def test_the_admin_flags_an_after_commit_receiver_commit(connect: Callable[..., None]) -> None:
    connect(notify_warehouse)

    row = row_of(get_page(ReceiversViewerFactory()), f"{__name__}.notify_warehouse")

    assert row.endswith(" any commit"), row


@pytest.mark.django_db
def test_the_admin_flags_a_task_receiver_no_worker_can_import(
    connect: Callable[..., None],
) -> None:
    nested = make_nested("task")
    connect(nested, weak=False)

    row = row_of(get_page(ReceiversViewerFactory()), f"{nested.__module__}.{nested.__qualname__}")

    assert row.endswith(" task (queue=default, retries=0) strong not importable"), row


# --- W008: an as_task receiver a worker cannot find by its dotted path ----------------------


def test_a_nested_task_receiver_is_warned_w008(connect: Callable[..., None]) -> None:
    nested = make_nested("task")
    connect(nested, weak=False)

    [(check_id, message)] = messages_about(check_receivers(), nested.__qualname__)

    assert check_id == "signalkit.W008"
    assert "it is defined inside a function, where no import can reach it" in message


def test_a_lambda_task_receiver_is_warned_w008(connect: Callable[..., None]) -> None:
    connect(lambda_task)

    [(check_id, message)] = messages_about(check_receivers(), f"{__name__}.<lambda>")

    assert check_id == "signalkit.W008"
    assert "it is a lambda" in message


def test_a_task_receiver_whose_module_name_is_another_object_is_warned_w008(
    connect: Callable[..., None],
) -> None:
    connect(shadowed_task)

    [(check_id, message)] = messages_about(check_receivers(), f"{__name__}.shadowed")

    assert check_id == "signalkit.W008"
    assert f"{__name__}.shadowed is another object (<function shadowed at" in message


def test_a_task_receiver_whose_module_is_not_imported_is_warned_w008(
    connect: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    connect(send_invoice)
    monkeypatch.delitem(sys.modules, __name__)

    [(check_id, message)] = messages_about(check_receivers(), SEND_INVOICE)

    assert check_id == "signalkit.W008"
    assert f"its module {__name__} is not imported" in message


def test_a_module_level_task_receiver_is_not_warned(connect: Callable[..., None]) -> None:
    connect(send_invoice)

    assert messages_about(check_receivers(), SEND_INVOICE) == []


def test_a_task_receiver_defined_as_a_static_method_is_not_warned(
    connect: Callable[..., None],
) -> None:
    connect(Invoices.send)

    assert messages_about(check_receivers(), f"{__name__}.Invoices.send") == []


def test_a_nested_after_commit_receiver_is_not_warned(connect: Callable[..., None]) -> None:
    nested = make_nested("commit")
    connect(nested, weak=False)

    assert messages_about(check_receivers(), nested.__qualname__) == []


def test_checking_one_app_leaves_out_task_receivers_defined_elsewhere(
    connect: Callable[..., None],
) -> None:
    nested = make_nested("task")  # defined in this test module, which is in no app
    connect(nested, weak=False)

    everywhere = messages_about(check_receivers(), nested.__qualname__)
    in_one_app = check_receivers([apps.get_app_config("catalog_app")])

    assert ([check_id for check_id, _ in everywhere], in_one_app) == (["signalkit.W008"], [])


# --- E002: an as_task receiver whose options the task framework refuses ---------------------


def task_errors(path: str = f"{__name__}.plain_receiver") -> list[tuple[str | None, str]]:
    return messages_about(check_task_receivers(), path)


@needs_tasks
@override_settings(TASKS={"default": {"BACKEND": IMMEDIATE}})
def test_an_unknown_backend_alias_is_error_e002(connect: Callable[..., None]) -> None:
    connect(deferred("task", backend="nowhere")(plain_receiver))

    [error] = [m for m in check_task_receivers() if f"{__name__}.plain_receiver" in m.msg]

    assert isinstance(error, CheckError)
    assert error.id == "signalkit.E002"
    assert (
        "its backend 'nowhere' is not in the TASKS setting, which defines 'default'." in error.msg
    )


@needs_tasks
@override_settings(TASKS={"database": {"BACKEND": IMMEDIATE}})
def test_a_missing_default_backend_is_error_e002(connect: Callable[..., None]) -> None:
    connect(deferred("task")(plain_receiver))

    [(check_id, message)] = task_errors()

    assert check_id == "signalkit.E002"
    assert "its default backend 'default' is not in the TASKS setting" in message


@needs_tasks
@override_settings(TASKS={"default": {"BACKEND": "tests.nowhere.Backend"}})
def test_a_backend_that_cannot_be_loaded_is_error_e002(connect: Callable[..., None]) -> None:
    connect(deferred("task")(plain_receiver))

    [(check_id, message)] = task_errors()

    assert check_id == "signalkit.E002"
    assert "its backend 'default' cannot be loaded: " in message
    assert "tests.nowhere.Backend" in message


@needs_tasks
@override_settings(TASKS={"default": {"BACKEND": IMMEDIATE, "QUEUES": ["default", "mail"]}})
def test_a_queue_its_backend_does_not_list_is_error_e002(connect: Callable[..., None]) -> None:
    connect(deferred("task", queue_name="sms")(plain_receiver))

    [(check_id, message)] = task_errors()

    assert check_id == "signalkit.E002"
    assert (
        "its queue_name 'sms' is not a queue of the task backend 'default', whose QUEUES are "
        "'default', 'mail'." in message
    )


@needs_tasks
@override_settings(TASKS={"default": {"BACKEND": IMMEDIATE, "QUEUES": ["mail"]}})
def test_the_default_queue_missing_from_its_backend_is_error_e002(
    connect: Callable[..., None],
) -> None:
    connect(deferred("task")(plain_receiver))

    [(check_id, message)] = task_errors()

    assert check_id == "signalkit.E002"
    assert "its default queue 'default' is not a queue of the task backend 'default'" in message


@needs_tasks
@override_settings(TASKS={"default": {"BACKEND": IMMEDIATE}})
@pytest.mark.parametrize("priority", [101, -101, "high", 1.5])
def test_a_priority_that_is_no_whole_number_from_minus_100_to_100_is_error_e002(
    connect: Callable[..., None], priority: object
) -> None:
    connect(deferred("task", priority=priority)(plain_receiver))

    [(check_id, message)] = task_errors()

    assert check_id == "signalkit.E002"
    assert f"its priority {priority!r} is not a whole number from -100 to 100." in message


@needs_tasks
@override_settings(TASKS={"default": {"BACKEND": f"{__name__}.WithoutPriorities"}})
def test_a_priority_on_a_backend_without_priorities_is_error_e002(
    connect: Callable[..., None],
) -> None:
    connect(deferred("task", priority=5)(plain_receiver))

    [(check_id, message)] = task_errors()

    assert check_id == "signalkit.E002"
    assert "its priority 5 needs a backend that supports priorities" in message


@needs_tasks
@override_settings(TASKS={"default": {"BACKEND": IMMEDIATE}})
def test_a_retry_delay_on_a_backend_that_cannot_defer_is_error_e002(
    connect: Callable[..., None],
) -> None:
    connect(deferred("task", retries=2, retry_delay=30.0)(plain_receiver))

    [(check_id, message)] = task_errors()

    assert check_id == "signalkit.E002"
    assert "its retry_delay=30.0 needs a backend that can run a task later" in message


@needs_tasks
@override_settings(TASKS={"default": {"BACKEND": IMMEDIATE}})
def test_a_retry_delay_without_retries_is_no_error(connect: Callable[..., None]) -> None:
    connect(deferred("task", retries=0, retry_delay=30.0)(plain_receiver))

    assert task_errors() == []


@needs_tasks
@override_settings(TASKS={"default": {"BACKEND": f"{__name__}.Refusing"}})
def test_what_else_the_framework_refuses_is_error_e002_with_its_reason(
    connect: Callable[..., None],
) -> None:
    connect(deferred("task")(plain_receiver))

    [(check_id, message)] = task_errors()

    assert check_id == "signalkit.E002"
    assert "the task framework refuses its options: " in message
    assert "no tasks on this backend" in message


@needs_tasks
@override_settings(
    TASKS={
        "default": {"BACKEND": IMMEDIATE},
        "later": {"BACKEND": DUMMY, "QUEUES": ["default", "mail"]},
    }
)
def test_a_task_receiver_with_options_its_backend_accepts_passes(
    connect: Callable[..., None],
) -> None:
    connect(
        deferred(
            "task", backend="later", queue_name="mail", priority=10, retries=3, retry_delay=5.0
        )(plain_receiver)
    )

    assert task_errors() == []


@needs_tasks
@override_settings(TASKS={"default": {"BACKEND": IMMEDIATE}})
def test_an_after_commit_receiver_is_not_checked_as_a_task(connect: Callable[..., None]) -> None:
    connect(deferred("commit", using="nowhere")(plain_receiver))

    assert task_errors() == []


@needs_tasks
@override_settings(TASKS={"default": {"BACKEND": IMMEDIATE}})
def test_checking_one_app_leaves_out_task_receivers_defined_elsewhere_e002(
    connect: Callable[..., None],
) -> None:
    connect(deferred("task", backend="nowhere")(plain_receiver))

    everywhere = task_errors()
    in_one_app = check_task_receivers([apps.get_app_config("catalog_app")])

    assert ([check_id for check_id, _ in everywhere], in_one_app) == (["signalkit.E002"], [])


@needs_tasks
@override_settings(TASKS={"default": {"BACKEND": IMMEDIATE}})
def test_e002_fails_manage_py_check(connect: Callable[..., None]) -> None:
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    connect(deferred("task", backend="nowhere")(plain_receiver))

    with pytest.raises(SystemCheckError, match=r"\(signalkit\.E002\) The as_task receiver"):
        call_command("check", stdout=StringIO(), stderr=StringIO())


@pytest.mark.skipif(django.VERSION >= (6, 0), reason="Django 6 has its own django.tasks")
def test_without_the_backport_on_django_5_2_e002_says_what_to_install(
    connect: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "django_tasks", None)  # import django_tasks fails
    connect(deferred("task")(plain_receiver))

    [(check_id, message)] = task_errors()

    assert check_id == "signalkit.E002"
    assert 'python -m pip install "django-signalkit[tasks]"' in message


# Backends for the tests above, on the framework of this Django version.
if HAS_TASKS:
    _immediate = importlib.import_module(f"{FRAMEWORK}.backends.immediate").ImmediateBackend

    class WithoutPriorities(_immediate):
        supports_priority = False

    class Refusing(_immediate):
        def validate_task(self, task: Any) -> None:
            super().validate_task(task)
            raise _framework_exception("no tasks on this backend")

    def _framework_exception(message: str) -> Exception:
        exceptions = importlib.import_module(f"{FRAMEWORK}.exceptions")
        invalid = getattr(exceptions, "InvalidTask", None) or exceptions.InvalidTaskError
        return invalid(message)


# --- duplicates -----------------------------------------------------------------------------


def test_one_function_deferred_twice_to_one_signal_is_a_duplicate(
    connect: Callable[..., None],
) -> None:
    # What a signals module imported under two names connects: two wrappers of one function.
    connect(deferred("task")(plain_receiver))
    connect(deferred("task")(plain_receiver))

    [message] = [
        message
        for check_id, message in messages_about(check_receivers(), f"{__name__}.plain_receiver")
        if check_id == "signalkit.W001"
    ]

    assert "one send calls it 2 times" in message


def test_a_function_connected_both_deferred_and_at_once_is_no_duplicate(
    connect: Callable[..., None],
) -> None:
    connect(plain_receiver)
    connect(deferred("commit")(plain_receiver))

    duplicates = [
        check_id
        for check_id, _ in messages_about(check_receivers(), f"{__name__}.plain_receiver")
        if check_id == "signalkit.W001"
    ]

    assert duplicates == []
