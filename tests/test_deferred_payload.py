"""What a send's arguments become on their way to an ``as_task`` receiver."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.db.models.signals import m2m_changed, post_delete
from django.dispatch import Signal

from signalkit import _compat
from signalkit.deferred import DeferredArgumentError, run_enqueued
from tests import deferred_receivers as receivers
from tests.deferred_receivers import connected, order_shipped
from tests.factories import OrderFactory, ProductFactory, UserFactory
from tests.shop.models import Order, Product

Calls = list[tuple[str, dict[str, Any]]]

BACKENDS = f"{_compat.TASKS_MODULE}.backends"

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("calls")]


@pytest.fixture(autouse=True)
def dummy_default(settings: Any) -> None:
    """A DummyBackend by default: the test decides when the worker runs (run_enqueued)."""
    settings.TASKS = {"default": {"BACKEND": f"{BACKENDS}.dummy.DummyBackend"}}


@pytest.fixture
def send(django_capture_on_commit_callbacks: Any) -> Any:
    """Send ``signal`` to task_receiver and enqueue its task (as if the send committed)."""

    def send(signal: Signal, **kwargs: Any) -> None:
        with (
            connected(signal, receivers.task_receiver, kwargs.get("sender")),
            django_capture_on_commit_callbacks(execute=True),
        ):
            signal.send(**kwargs)

    return send


def received(calls: Calls) -> dict[str, Any]:
    [(_, kwargs)] = calls
    return kwargs


def test_a_model_instance_is_fetched_again_in_the_worker(send: Any, calls: Calls) -> None:
    product = ProductFactory(name="Kettle")
    send(order_shipped, sender=None, product=product)
    Product.objects.filter(pk=product.pk).update(name="Teapot")

    run_enqueued()

    fetched = received(calls)["product"]
    assert fetched is not product
    assert (type(fetched), fetched.pk, fetched.name) == (Product, product.pk, "Teapot")


def test_an_instance_deleted_before_the_worker_runs_is_skipped_with_a_log_line(
    send: Any, calls: Calls, caplog: pytest.LogCaptureFixture
) -> None:
    product = ProductFactory()
    pk = product.pk
    send(order_shipped, sender=None, product=product)
    product.delete()

    with caplog.at_level(logging.WARNING, logger="signalkit.deferred"):
        assert run_enqueued() == 1

    assert calls == []
    [record] = caplog.records
    assert record.levelno == logging.WARNING
    assert record.getMessage() == (
        "Skipped the as_task receiver tests.deferred_receivers.task_receiver: "
        f"the shop.Product with pk {pk!r} no longer exists."
    )


def test_delete_signals_carry_the_field_values_of_the_deleted_row(
    calls: Calls, django_capture_on_commit_callbacks: Any
) -> None:
    order = OrderFactory(quantity=3)
    expected = {f.attname: getattr(order, f.attname) for f in Order._meta.concrete_fields}
    with (
        connected(post_delete, receivers.task_receiver, sender=Order),
        django_capture_on_commit_callbacks(execute=True),
    ):
        order.delete()

    run_enqueued()

    instance = received(calls)["instance"]
    assert type(instance) is Order
    assert {f.attname: getattr(instance, f.attname) for f in Order._meta.concrete_fields} == (
        expected
    )
    assert not Order.objects.filter(pk=expected["id"]).exists()


def test_a_deleted_instances_origin_travels_with_its_field_values_too(
    calls: Calls, django_capture_on_commit_callbacks: Any
) -> None:
    order = OrderFactory()
    pk = order.pk
    with (
        connected(post_delete, receivers.task_receiver, sender=Order),
        django_capture_on_commit_callbacks(execute=True),
    ):
        order.delete()

    run_enqueued()

    origin = received(calls)["origin"]
    assert (type(origin), origin.pk) == (Order, pk)


def test_a_querysets_delete_sends_its_model_class_as_origin(
    calls: Calls, django_capture_on_commit_callbacks: Any
) -> None:
    OrderFactory()
    with (
        connected(post_delete, receivers.task_receiver, sender=Order),
        django_capture_on_commit_callbacks(execute=True),
    ):
        Order.objects.all().delete()

    run_enqueued()

    assert received(calls)["origin"] is Order


def test_a_model_class_sender_arrives_as_the_class(send: Any, calls: Calls) -> None:
    send(order_shipped, sender=Product)

    run_enqueued()

    assert received(calls)["sender"] is Product


def test_the_signal_arrives_as_the_signal_object(send: Any, calls: Calls) -> None:
    send(order_shipped, sender=None)

    run_enqueued()

    assert received(calls)["signal"] is order_shipped


def test_m2m_changed_arrives_with_its_pk_set_as_a_sorted_list_and_its_model_class(
    calls: Calls, django_capture_on_commit_callbacks: Any
) -> None:
    user = UserFactory()
    groups = [Group.objects.create(name=name) for name in ("b", "a")]
    through = user.groups.through
    with (
        connected(m2m_changed, receivers.task_receiver, sender=through),
        django_capture_on_commit_callbacks(execute=True),
    ):
        user.groups.add(*groups)

    run_enqueued()

    post_add = next(kwargs for _, kwargs in calls if kwargs["action"] == "post_add")
    assert post_add["pk_set"] == sorted(group.pk for group in groups)
    assert post_add["model"] is Group
    assert post_add["instance"] == user
    assert post_add["sender"] is through


def test_sets_and_tuples_arrive_as_lists(send: Any, calls: Calls) -> None:
    send(order_shipped, sender=None, tags=frozenset({"b", "a"}), size=(2, 3))

    run_enqueued()

    assert (received(calls)["tags"], received(calls)["size"]) == (["a", "b"], [2, 3])


def test_json_values_arrive_unchanged(send: Any, calls: Calls) -> None:
    value = {"lines": [{"sku": "K-1", "qty": 2, "price": 9.5, "gift": None, "paid": True}]}
    send(order_shipped, sender="warehouse", order=value)

    run_enqueued()

    assert (received(calls)["sender"], received(calls)["order"]) == ("warehouse", value)


def test_a_non_json_argument_fails_the_send_naming_the_argument_and_the_receiver(
    send: Any,
) -> None:
    with pytest.raises(DeferredArgumentError) as raised:
        send(order_shipped, sender=None, total=Decimal("9.50"))

    assert str(raised.value) == (
        "The as_task receiver tests.deferred_receivers.task_receiver cannot be scheduled: "
        "its argument 'total' is a Decimal, which is not JSON (str, int, float, bool, None, "
        "list, dict with str keys). Nothing was enqueued."
    )
    assert (raised.value.argument, raised.value.receiver) == (
        "total",
        "tests.deferred_receivers.task_receiver",
    )


def test_nothing_is_enqueued_when_an_argument_cannot_travel(send: Any) -> None:
    with pytest.raises(DeferredArgumentError):
        send(order_shipped, sender=None, total=Decimal("9.50"))

    assert _compat.tasks_framework().task_backends["default"].results == []


def test_a_nested_value_that_cannot_travel_is_named_by_its_place(send: Any) -> None:
    with pytest.raises(DeferredArgumentError, match=r"holds a Decimal at order\['lines'\]\[0\]"):
        send(order_shipped, sender=None, order={"lines": [Decimal("1")]})


def test_a_dict_with_a_key_that_is_not_a_string_fails_the_send(send: Any) -> None:
    with pytest.raises(
        DeferredArgumentError, match="has the key 1 at stock: JSON keys are strings"
    ):
        send(order_shipped, sender=None, stock={1: "one"})


def test_a_model_instance_inside_a_list_fails_the_send_suggesting_pks(send: Any) -> None:
    product = ProductFactory()
    with pytest.raises(DeferredArgumentError, match=r"at products\[0\].*pass pks instead"):
        send(order_shipped, sender=None, products=[product])


def test_an_unsaved_instance_fails_the_send(send: Any) -> None:
    with pytest.raises(DeferredArgumentError, match=r"'product' is an unsaved shop\.Product"):
        send(order_shipped, sender=None, product=Product(name="Kettle", price=1))


def test_a_sender_that_cannot_travel_fails_the_send(send: Any) -> None:
    with pytest.raises(DeferredArgumentError, match="its argument 'sender' is an object"):
        send(order_shipped, sender=object())


def test_a_signal_the_worker_cannot_find_fails_the_send_naming_register_signal(
    send: Any,
) -> None:
    local_signal = Signal()

    with pytest.raises(DeferredArgumentError, match="register_signal"):
        send(local_signal, sender=None)
