"""The worker's side of ``as_task``: which receivers it runs, retries, the failure signal,
``run_enqueued`` and django-tasks-db's worker (run in this process)."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.db.models.signals import post_save
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from signalkit.deferred import deferred_receiver_failed, run_enqueued
from tests import deferred_receivers as receivers
from tests.deferred_receivers import connected, order_shipped
from tests.factories import ProductFactory
from tests.shop.models import Product

Calls = list[tuple[str, dict[str, Any]]]

pytestmark = pytest.mark.django_db(transaction=True)

PAYLOAD = {"signal": "tests.deferred_receivers.order_shipped", "sender": {"value": None}}


@pytest.fixture
def failures() -> Iterator[list[dict[str, Any]]]:
    """What deferred_receiver_failed was sent with."""
    sent: list[dict[str, Any]] = []

    def record(**kwargs: Any) -> None:
        sent.append(kwargs)

    deferred_receiver_failed.connect(record)
    yield sent
    deferred_receiver_failed.disconnect(record)


def enqueue_by_hand(receiver: str, **arguments: Any) -> None:
    """A task naming ``receiver`` as a forged or stale queue entry would."""
    from signalkit.deferred import run_receiver  # type: ignore[attr-defined]

    payload = {**PAYLOAD, "arguments": {k: {"value": v} for k, v in arguments.items()}}
    run_receiver.using(backend="dummy").enqueue(receiver=receiver, payload=payload, attempt=1)


def statuses(backend: Any) -> list[str]:
    return [str(result.status) for result in backend.results]


# --- which receivers the worker runs ----------------------------------------------------------


def test_the_worker_refuses_a_receiver_path_that_is_not_in_its_table(
    dummy_backend: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    ran: list[object] = []
    monkeypatch.setattr(os, "system", lambda *args, **kwargs: ran.append(args))
    enqueue_by_hand("os.system", command="echo owned")

    run_enqueued("dummy")

    [result] = dummy_backend.results
    assert str(result.status) == "FAILED"
    assert result.errors[0].exception_class_path == "signalkit.deferred.UnknownTaskReceiver"
    assert "No @as_task receiver is known as 'os.system'" in result.errors[0].traceback
    assert "define it at module level" in result.errors[0].traceback
    assert ran == []
    assert "refused to run the unknown task receiver 'os.system'" in caplog.text


def test_the_worker_refuses_an_importable_function_that_as_task_did_not_decorate(
    dummy_backend: Any, calls: Calls
) -> None:
    enqueue_by_hand("tests.deferred_receivers.not_a_task_receiver")

    run_enqueued("dummy")

    assert statuses(dummy_backend) == ["FAILED"]
    assert calls == []


def test_the_worker_runs_a_receiver_in_its_table(dummy_backend: Any, calls: Calls) -> None:
    enqueue_by_hand("tests.deferred_receivers.task_receiver", parcels=1)

    run_enqueued("dummy")

    assert statuses(dummy_backend) == ["SUCCESSFUL"]
    assert calls == [("task_receiver", {"signal": order_shipped, "sender": None, "parcels": 1})]


def test_a_task_whose_payload_is_not_signalkits_fails_naming_it(
    dummy_backend: Any, calls: Calls
) -> None:
    from signalkit.deferred import run_receiver  # type: ignore[attr-defined]

    run_receiver.using(backend="dummy").enqueue(
        receiver="tests.deferred_receivers.task_receiver", payload=["os.system"], attempt=1
    )

    run_enqueued("dummy")

    [result] = dummy_backend.results
    assert result.errors[0].exception_class_path == "builtins.ValueError"
    assert "Not a signalkit task payload: ['os.system']" in result.errors[0].traceback
    assert calls == []


# --- retries and the failure signal -----------------------------------------------------------


def test_a_failed_attempt_enqueues_the_next_at_once_without_retry_delay(
    dummy_backend: Any, calls: Calls
) -> None:
    with connected(order_shipped, receivers.task_failing):
        order_shipped.send(sender=None)

    run_enqueued("dummy")

    assert [result.kwargs["attempt"] for result in dummy_backend.results] == [1, 2, 3]
    assert [result.task.run_after for result in dummy_backend.results] == [None, None, None]
    assert statuses(dummy_backend) == ["FAILED", "FAILED", "FAILED"]
    assert len(calls) == 3


def test_each_retry_waits_twice_as_long_as_the_one_before(dummy_backend: Any) -> None:
    with connected(order_shipped, receivers.task_failing_with_delay):
        order_shipped.send(sender=None)
    before = timezone.now()

    run_enqueued("dummy")

    after = timezone.now()
    first, *retries = dummy_backend.results
    assert first.task.run_after is None
    for result, delay in zip(retries, [10, 20, 40], strict=True):
        waited = timedelta(seconds=delay)
        assert before + waited <= result.task.run_after <= after + waited


def test_after_the_last_attempt_the_failure_signal_reports_it(
    dummy_backend: Any, failures: list[dict[str, Any]]
) -> None:
    with connected(order_shipped, receivers.task_failing):
        order_shipped.send(sender=None)

    run_enqueued("dummy")

    [failure] = failures
    exception = failure.pop("exception")
    assert isinstance(exception, RuntimeError)
    assert str(exception) == "the mail server is down"
    assert failure == {
        "signal": deferred_receiver_failed,
        "sender": receivers.task_failing.__wrapped__,  # type: ignore[attr-defined]
        "receiver": "tests.deferred_receivers.task_failing",
        "signal_path": "tests.deferred_receivers.order_shipped",
        "attempts": 3,
    }


def test_a_receiver_that_succeeds_on_a_retry_reports_no_failure(
    dummy_backend: Any, failures: list[dict[str, Any]]
) -> None:
    with connected(order_shipped, receivers.task_failing_once):
        order_shipped.send(sender=None)

    run_enqueued("dummy")

    assert statuses(dummy_backend) == ["FAILED", "SUCCESSFUL"]
    assert failures == []


def test_each_failed_attempt_is_logged_and_the_last_as_an_error(
    dummy_backend: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with connected(order_shipped, receivers.task_failing):
        order_shipped.send(sender=None)

    with caplog.at_level(logging.WARNING, logger="signalkit.deferred"):
        run_enqueued("dummy")

    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        (
            "WARNING",
            "The as_task receiver tests.deferred_receivers.task_failing failed (attempt 1 "
            "of 3); attempt 2 runs in 0.0s.",
        ),
        (
            "WARNING",
            "The as_task receiver tests.deferred_receivers.task_failing failed (attempt 2 "
            "of 3); attempt 3 runs in 0.0s.",
        ),
        (
            "ERROR",
            "The as_task receiver tests.deferred_receivers.task_failing failed its last "
            "attempt (3).",
        ),
    ]
    assert all(record.exc_info for record in caplog.records)


# --- run_enqueued -----------------------------------------------------------------------------


def test_run_enqueued_returns_how_many_tasks_ran(dummy_backend: Any) -> None:
    with connected(order_shipped, receivers.task_on_mail_queue):
        order_shipped.send(sender=None)
        order_shipped.send(sender=None)

    assert run_enqueued("dummy") == 2
    assert run_enqueued("dummy") == 0


def test_run_enqueued_refuses_a_backend_that_is_not_a_dummy_backend() -> None:
    with pytest.raises(TypeError, match="the task backend 'default' is a ImmediateBackend"):
        run_enqueued("default")


def test_a_coroutine_receiver_runs_in_the_worker(calls: Calls) -> None:
    with connected(order_shipped, receivers.task_coroutine):
        order_shipped.send(sender=None, parcels=4)

    assert calls == [("task_coroutine", {"signal": order_shipped, "sender": None, "parcels": 4})]


# --- django-tasks-db's worker -----------------------------------------------------------------


def run_database_worker() -> None:
    """django-tasks-db's worker in this process, until no task is ready (``db_worker
    --batch``); never inside atomic(): it closes the connection between tasks."""
    Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="database",
        startup_delay=False,
        max_tasks=None,
        worker_id="signalkit-tests",
        excluded_queue_names=[],
    ).run()


def test_the_database_worker_runs_the_receiver_of_a_committed_send(calls: Calls) -> None:
    with connected(post_save, receivers.database_task, sender=Product), transaction.atomic():
        product = ProductFactory()

    run_database_worker()

    [(name, kwargs)] = calls
    assert (name, kwargs["instance"], kwargs["created"]) == ("database_task", product, True)
    assert list(DBTaskResult.objects.values_list("status", flat=True)) == ["SUCCESSFUL"]


def test_the_database_worker_runs_the_retry_of_a_failed_attempt(
    calls: Calls, failures: list[dict[str, Any]]
) -> None:
    with connected(order_shipped, receivers.database_task_failing):
        order_shipped.send(sender=None)

    run_database_worker()

    assert len(calls) == 2
    assert sorted(DBTaskResult.objects.values_list("status", flat=True)) == ["FAILED", "FAILED"]
    assert [failure["attempts"] for failure in failures] == [2]


def test_the_database_worker_does_not_run_a_rolled_back_send(calls: Calls) -> None:
    with connected(order_shipped, receivers.database_task), transaction.atomic():
        order_shipped.send(sender=None)
        transaction.set_rollback(True)

    run_database_worker()

    assert calls == []
