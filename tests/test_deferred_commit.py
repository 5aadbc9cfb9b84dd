"""``after_commit``: a receiver that runs when the send's transaction commits."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.db import transaction

from signalkit import after_commit
from signalkit.deferred import Deferral, deferral_of
from tests import deferred_receivers as receivers
from tests.deferred_receivers import connected, order_shipped

Calls = list[tuple[str, dict[str, Any]]]

# Real transactions: the test's own transaction would hold every commit back.
pytestmark = pytest.mark.django_db(transaction=True)


def ran(calls: Calls) -> list[str]:
    return [name for name, _ in calls]


def test_the_receiver_runs_after_the_commit_not_before(calls: Calls) -> None:
    with connected(order_shipped, receivers.on_commit_receiver), transaction.atomic():
        order_shipped.send(sender=None)
        assert calls == []

    assert ran(calls) == ["on_commit_receiver"]


def test_the_receiver_never_runs_when_the_transaction_rolls_back(calls: Calls) -> None:
    with connected(order_shipped, receivers.on_commit_receiver), transaction.atomic():
        order_shipped.send(sender=None)
        transaction.set_rollback(True)

    assert calls == []


def test_the_receiver_never_runs_for_a_rolled_back_savepoint_while_the_outer_commits(
    calls: Calls,
) -> None:
    with connected(order_shipped, receivers.on_commit_receiver), transaction.atomic():
        with transaction.atomic():
            order_shipped.send(sender=None, which="rolled back")
            transaction.set_rollback(True)
        order_shipped.send(sender=None, which="committed")

    assert [kwargs["which"] for _, kwargs in calls] == ["committed"]


def test_the_receiver_runs_at_once_in_autocommit(calls: Calls) -> None:
    with connected(order_shipped, receivers.on_commit_receiver):
        order_shipped.send(sender=None)
        assert ran(calls) == ["on_commit_receiver"]


def test_the_receiver_gets_the_signal_the_sender_and_the_keywords(calls: Calls) -> None:
    with connected(order_shipped, receivers.on_commit_receiver), transaction.atomic():
        order_shipped.send(sender="warehouse", parcels=2)

    assert calls == [
        ("on_commit_receiver", {"signal": order_shipped, "sender": "warehouse", "parcels": 2})
    ]


def test_the_send_returns_none_for_the_receiver(calls: Calls) -> None:
    with connected(order_shipped, receivers.on_commit_receiver), transaction.atomic():
        responses = order_shipped.send(sender=None)

    assert responses == [(receivers.on_commit_receiver, None)]


@pytest.mark.usefixtures("other_database")
def test_using_waits_for_the_transaction_of_that_database(calls: Calls) -> None:
    with connected(order_shipped, receivers.on_other_commit):
        with transaction.atomic(using="other"):
            order_shipped.send(sender=None)
            assert calls == []
        assert ran(calls) == ["on_other_commit"]


@pytest.mark.usefixtures("other_database")
def test_using_ignores_a_transaction_of_another_database(calls: Calls) -> None:
    with connected(order_shipped, receivers.on_other_commit), transaction.atomic():
        order_shipped.send(sender=None)
        assert ran(calls) == ["on_other_commit"]


@pytest.mark.usefixtures("other_database")
def test_the_sends_using_keyword_names_the_database_to_wait_for(calls: Calls) -> None:
    with connected(order_shipped, receivers.on_commit_receiver), transaction.atomic():
        with transaction.atomic(using="other"):
            order_shipped.send(sender=None, using="other")
            assert calls == []
        assert ran(calls) == ["on_commit_receiver"]  # before the default database commits


def test_without_robust_the_receivers_exception_is_raised_by_the_commit() -> None:
    with (
        connected(order_shipped, receivers.on_commit_failing),
        pytest.raises(RuntimeError, match="warehouse is closed"),
        transaction.atomic(),
    ):
        order_shipped.send(sender=None)


def test_robust_logs_the_receivers_exception_instead_of_raising(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with connected(order_shipped, receivers.on_commit_failing_robust), transaction.atomic():
        order_shipped.send(sender=None)

    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "tests.deferred_receivers.on_commit_failing_robust" in record.getMessage()
    assert "warehouse is closed" in record.getMessage()


@pytest.mark.parametrize(
    "receiver", [receivers.on_commit_receiver, receivers.on_commit_with_options]
)
def test_the_bare_form_and_the_form_with_options_both_wait_for_the_commit(
    receiver: Any, calls: Calls
) -> None:
    with connected(order_shipped, receiver), transaction.atomic():
        order_shipped.send(sender=None)
        assert calls == []

    assert len(calls) == 1


def test_a_coroutine_receiver_runs_on_commit(calls: Calls) -> None:
    with connected(order_shipped, receivers.on_commit_coroutine), transaction.atomic():
        order_shipped.send(sender=None, parcels=1)
        assert calls == []

    assert calls == [
        ("on_commit_coroutine", {"signal": order_shipped, "sender": None, "parcels": 1})
    ]


def test_a_coroutine_receiver_runs_on_commit_of_an_async_send(calls: Calls) -> None:
    from asgiref.sync import async_to_sync

    with connected(order_shipped, receivers.on_commit_coroutine):
        async_to_sync(order_shipped.asend)(sender=None)

    assert ran(calls) == ["on_commit_coroutine"]


def test_the_wrapper_carries_its_deferral() -> None:
    assert deferral_of(receivers.on_other_commit) == Deferral(
        "commit",
        receivers.on_other_commit.__wrapped__,  # type: ignore[attr-defined]
        "tests.deferred_receivers.on_other_commit",
        using="other",
    )


def test_the_wrapper_keeps_the_receivers_name() -> None:
    assert receivers.on_commit_receiver.__name__ == "on_commit_receiver"
    assert receivers.on_commit_receiver.__module__ == "tests.deferred_receivers"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"using": 1}, "after_commit(using=...) takes a database alias, not 1"),
        ({"robust": "yes"}, "after_commit(robust=...) takes True or False, not 'yes'"),
    ],
)
def test_a_bad_option_is_refused_naming_it(options: dict[str, Any], message: str) -> None:
    with pytest.raises(TypeError, match=message.replace("(", r"\(").replace(")", r"\)")):
        after_commit(**options)


def test_a_receiver_cannot_be_deferred_twice() -> None:
    with pytest.raises(TypeError, match="already deferred"):
        after_commit(receivers.on_commit_receiver)
