"""``as_task``: when a send's task is enqueued, where, and with what options."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from django.db import transaction
from django.db.models.signals import post_save
from django.test import override_settings
from django.utils.module_loading import import_string
from django_tasks_db.models import DBTaskResult

from signalkit import _compat, as_task, muted_signals, record_signals
from signalkit.deferred import RUN_RECEIVER_PATH, Deferral, deferral_of
from tests import deferred_receivers as receivers
from tests.deferred_receivers import connected, order_shipped
from tests.factories import ProductFactory
from tests.shop.models import Product

Calls = list[tuple[str, dict[str, Any]]]

BACKENDS = f"{_compat.TASKS_MODULE}.backends"
DUMMY_DEFAULT = {
    "default": {"BACKEND": f"{BACKENDS}.dummy.DummyBackend"},
    "dummy": {"BACKEND": f"{BACKENDS}.dummy.DummyBackend", "QUEUES": ["default", "mail"]},
}


def default_backend() -> Any:
    return _compat.tasks_framework().task_backends["default"]


# --- the immediate backend ----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_with_the_immediate_backend_the_receiver_runs_when_the_send_commits(
    calls: Calls,
) -> None:
    with connected(order_shipped, receivers.task_receiver), transaction.atomic():
        order_shipped.send(sender=None, parcels=2)
        assert calls == []

    assert calls == [("task_receiver", {"signal": order_shipped, "sender": None, "parcels": 2})]


@pytest.mark.django_db(transaction=True)
def test_with_the_immediate_backend_nothing_runs_when_the_send_rolls_back(calls: Calls) -> None:
    with connected(order_shipped, receivers.task_receiver), transaction.atomic():
        order_shipped.send(sender=None)
        transaction.set_rollback(True)

    assert calls == []


@pytest.mark.django_db(transaction=True)
def test_in_autocommit_the_task_is_enqueued_at_once(calls: Calls) -> None:
    with connected(order_shipped, receivers.task_receiver):
        order_shipped.send(sender=None)
        assert [name for name, _ in calls] == ["task_receiver"]


@pytest.mark.django_db
def test_captured_on_commit_callbacks_run_the_task(
    calls: Calls, django_capture_on_commit_callbacks: Any
) -> None:
    with (
        connected(order_shipped, receivers.task_receiver),
        django_capture_on_commit_callbacks(execute=True),
    ):
        order_shipped.send(sender=None)

    assert [name for name, _ in calls] == ["task_receiver"]


# --- the dummy backend --------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@override_settings(TASKS=DUMMY_DEFAULT)
def test_with_the_dummy_backend_the_task_is_enqueued_on_commit_not_before() -> None:
    with connected(order_shipped, receivers.task_receiver), transaction.atomic():
        order_shipped.send(sender=None)
        assert default_backend().results == []

    [result] = default_backend().results
    assert result.task.module_path == RUN_RECEIVER_PATH
    assert result.kwargs["receiver"] == "tests.deferred_receivers.task_receiver"
    assert result.kwargs["attempt"] == 1


@pytest.mark.django_db(transaction=True)
@override_settings(TASKS=DUMMY_DEFAULT)
def test_with_the_dummy_backend_nothing_is_enqueued_when_the_send_rolls_back() -> None:
    with connected(order_shipped, receivers.task_receiver), transaction.atomic():
        order_shipped.send(sender=None)
        transaction.set_rollback(True)

    assert default_backend().results == []


@pytest.mark.django_db(transaction=True)
def test_queue_priority_and_backend_reach_the_enqueued_task(dummy_backend: Any) -> None:
    with connected(order_shipped, receivers.task_on_mail_queue):
        order_shipped.send(sender=None)
        [result] = dummy_backend.results

    assert (result.task.queue_name, result.task.priority, result.task.backend) == (
        "mail",
        5,
        "dummy",
    )


@pytest.mark.django_db
@override_settings(
    TASKS={"default": {"BACKEND": f"{BACKENDS}.dummy.DummyBackend", "QUEUES": ["mail"]}}
)
def test_a_queue_the_backend_does_not_list_fails_the_send() -> None:
    with (
        connected(order_shipped, receivers.task_receiver),
        pytest.raises(_compat.invalid_task_error(), match="Queue 'default'"),
    ):
        order_shipped.send(sender=None)

    assert default_backend().results == []


# --- django-tasks-db's database backend ---------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_database_backend_writes_the_task_inside_the_transaction(calls: Calls) -> None:
    with connected(order_shipped, receivers.database_task), transaction.atomic():
        order_shipped.send(sender=None)
        [row] = DBTaskResult.objects.all()
        assert row.task_path == RUN_RECEIVER_PATH

    assert DBTaskResult.objects.count() == 1
    assert calls == []  # a worker runs it


@pytest.mark.django_db(transaction=True)
def test_the_database_backends_task_is_gone_when_the_transaction_rolls_back() -> None:
    with connected(order_shipped, receivers.database_task), transaction.atomic():
        order_shipped.send(sender=None)
        assert DBTaskResult.objects.count() == 1
        transaction.set_rollback(True)

    assert DBTaskResult.objects.count() == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("other_database")
def test_the_database_backend_waits_for_the_commit_of_a_send_on_another_database() -> None:
    with connected(order_shipped, receivers.database_task), transaction.atomic(using="other"):
        order_shipped.send(sender=None, using="other")
        assert DBTaskResult.objects.count() == 0

    assert DBTaskResult.objects.count() == 1


# --- muting and recording -------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_muted_signal_schedules_nothing(dummy_backend: Any) -> None:
    with (
        connected(post_save, receivers.task_on_mail_queue, sender=Product),
        muted_signals(post_save),
    ):
        ProductFactory()

    assert dummy_backend.results == []


@pytest.mark.django_db(transaction=True)
def test_a_muted_receiver_schedules_nothing(dummy_backend: Any) -> None:
    with (
        connected(post_save, receivers.task_on_mail_queue, sender=Product),
        muted_signals(receivers=[receivers.task_on_mail_queue]),
    ):
        ProductFactory()

    assert dummy_backend.results == []


@pytest.mark.django_db(transaction=True)
def test_the_unmuted_receiver_schedules_its_task(dummy_backend: Any) -> None:
    with connected(post_save, receivers.task_on_mail_queue, sender=Product):
        ProductFactory()

    assert len(dummy_backend.results) == 1


@pytest.mark.django_db(transaction=True)
def test_record_signals_sees_the_send_to_a_task_receiver(dummy_backend: Any) -> None:
    with (
        connected(order_shipped, receivers.task_on_mail_queue),
        record_signals(order_shipped) as rec,
    ):
        order_shipped.send(sender=None, parcels=3)

    rec.assert_sent_once(order_shipped, parcels=3)


# --- the decorator ----------------------------------------------------------------------------


def test_the_wrapper_carries_its_deferral() -> None:
    assert deferral_of(receivers.task_on_mail_queue) == Deferral(
        "task",
        receivers.task_on_mail_queue.__wrapped__,  # type: ignore[attr-defined]
        "tests.deferred_receivers.task_on_mail_queue",
        queue_name="mail",
        priority=5,
        backend="dummy",
    )


def test_the_bare_form_and_the_form_with_options_are_both_task_receivers() -> None:
    assert deferral_of(receivers.task_receiver).kind == "task"  # type: ignore[union-attr]
    assert deferral_of(receivers.task_with_options).kind == "task"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"retries": 1.5}, TypeError, "retries=...) takes a whole number, not 1.5"),
        ({"retries": True}, TypeError, "retries=...) takes a whole number, not True"),
        ({"retries": -1}, ValueError, "retries=...) cannot be negative: -1"),
        ({"retry_delay": "5"}, TypeError, "retry_delay=...) takes seconds as a number, not '5'"),
        ({"retry_delay": -0.5}, ValueError, "retry_delay=...) takes seconds, zero or more"),
    ],
)
def test_bad_retries_are_refused_at_decoration_naming_them(
    options: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message.replace(")", r"\)").replace("(", r"\(")):
        as_task(**options)


def test_calling_the_wrapper_outside_a_send_is_refused_naming_the_fix() -> None:
    with pytest.raises(TypeError, match=r"call task_receiver.__wrapped__\(...\)"):
        receivers.task_receiver(sender=None)


def test_run_receiver_is_the_task_a_worker_imports_by_its_path() -> None:
    task = import_string(RUN_RECEIVER_PATH)

    assert isinstance(task, _compat.task_class())
    assert task.module_path == RUN_RECEIVER_PATH


def test_importing_signalkit_and_after_commit_imports_no_task_framework() -> None:
    code = (
        "import sys, signalkit\n"
        "from signalkit import after_commit\n"
        "import signalkit.deferred\n"
        "loaded = {'django.tasks', 'django_tasks', 'django_tasks_db'} & set(sys.modules)\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_without_the_task_framework_as_task_names_the_install_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from django.core.exceptions import ImproperlyConfigured

    monkeypatch.setattr(_compat, "TASKS_MODULE", "signalkit_no_such_tasks_module")

    with pytest.raises(ImproperlyConfigured, match=r'pip install "django-signalkit\[tasks\]"'):
        _compat.tasks_framework()
