"""SignalTestMixin: assertSignalSent, assertSignalNotSent and assertNumSignals.

The behaviours are tested from inside real unittest / Django test cases (pytest collects
them as it collects any TestCase), the way a project uses the mixin.
"""

from __future__ import annotations

import io
import unittest
from typing import Any
from unittest import mock

import pytest
from django.contrib.auth.models import Group, User
from django.db.models.signals import post_save, pre_save
from django.dispatch import Signal
from django.test import SimpleTestCase, TestCase

from signalkit import SignalRecorder, muted_signals
from signalkit.testing import SignalTestMixin
from tests.shop.models import Profile

order_paid = Signal()


def pay(amount: int, sender: object = "shop") -> None:
    order_paid.send(sender=sender, amount=amount)


def pay_each(*payments: tuple[int, object]) -> None:
    for amount, sender in payments:
        pay(amount, sender)


def refuse_payment(sender: object, **kwargs: Any) -> None:
    raise RuntimeError("payment refused")


class AssertSignalSentTests(SignalTestMixin, SimpleTestCase):
    def test_passes_when_the_signal_is_sent_in_the_block(self) -> None:
        with self.assertSignalSent(order_paid):
            pay(10)

    def test_passes_when_one_send_matches_the_sender_and_arguments(self) -> None:
        with self.assertSignalSent(order_paid, sender="shop", amount=20):
            pay(10)
            pay(20)

    def test_matches_arguments_as_a_subset_and_mock_any(self) -> None:
        with self.assertSignalSent(order_paid, amount=mock.ANY):
            order_paid.send(sender="shop", amount=10, currency="EUR")

    def test_fails_when_the_signal_is_not_sent_saying_nothing_was_recorded(self) -> None:
        with pytest.raises(self.failureException) as failure, self.assertSignalSent(order_paid):
            pass

        assert "was not sent" in str(failure.value)
        assert "Nothing was recorded." in str(failure.value)

    def test_fails_when_no_send_matches_listing_the_sends_recorded(self) -> None:
        with (
            pytest.raises(self.failureException) as failure,
            self.assertSignalSent(order_paid, sender="shop", amount=30),
        ):
            pay_each((10, "shop"), (20, "till"))

        message = str(failure.value)
        assert "amount=30) was not sent" in message
        assert "Recorded 2 sends:" in message
        assert ".send(sender='shop', amount=10)" in message
        assert ".send(sender='till', amount=20)" in message

    def test_records_only_the_signal_asserted_on(self) -> None:
        with pytest.raises(self.failureException) as failure, self.assertSignalSent(order_paid):
            post_save.send(sender=Group, instance=None, created=False)

        assert "Nothing was recorded." in str(failure.value)

    def test_counts_a_muted_send(self) -> None:
        with muted_signals(order_paid), self.assertSignalSent(order_paid, amount=10):
            pay(10)

    def test_yields_the_recorder_of_the_block(self) -> None:
        with self.assertSignalSent(order_paid) as recorder:
            pay(10)

        assert isinstance(recorder, SignalRecorder)
        assert [call.kwargs for call in recorder.calls] == [{"amount": 10}]

    def test_lets_an_exception_of_the_block_through_unchanged(self) -> None:
        order_paid.connect(refuse_payment)
        self.addCleanup(order_paid.disconnect, refuse_payment)

        # The assertion would fail (no send with amount=99): the block's error wins.
        with (
            pytest.raises(RuntimeError, match="payment refused"),
            self.assertSignalSent(order_paid, amount=99),
        ):
            pay(10)


class AssertSignalNotSentTests(SignalTestMixin, SimpleTestCase):
    def test_passes_when_the_signal_is_not_sent(self) -> None:
        with self.assertSignalNotSent(order_paid):
            post_save.send(sender=Group, instance=None, created=False)

    def test_passes_when_no_send_matches(self) -> None:
        with self.assertSignalNotSent(order_paid, amount=20):
            pay(10)

    def test_fails_when_a_send_matches_listing_it(self) -> None:
        with (
            pytest.raises(self.failureException) as failure,
            self.assertSignalNotSent(order_paid, sender="shop"),
        ):
            pay(10)

        message = str(failure.value)
        assert "was sent 1 time" in message
        assert ".send(sender='shop', amount=10)" in message

    def test_fails_for_a_muted_send(self) -> None:
        with (
            pytest.raises(self.failureException),
            muted_signals(order_paid),
            self.assertSignalNotSent(order_paid),
        ):
            pay(10)


class AssertNumSignalsTests(SignalTestMixin, SimpleTestCase):
    def test_passes_when_the_signal_is_sent_exactly_n_times(self) -> None:
        with self.assertNumSignals(order_paid, 2):
            pay(10)
            pay(20)

    def test_passes_with_zero_when_the_signal_is_not_sent(self) -> None:
        with self.assertNumSignals(order_paid, 0):
            pass

    def test_counts_only_the_matching_sends(self) -> None:
        with self.assertNumSignals(order_paid, 1, sender="till"):
            pay(10)
            pay(20, sender="till")

    def test_fails_on_too_few_sends_listing_them(self) -> None:
        with (
            pytest.raises(self.failureException) as failure,
            self.assertNumSignals(order_paid, 2),
        ):
            pay(10)

        message = str(failure.value)
        assert "was sent 1 time, not 2" in message
        assert ".send(sender='shop', amount=10)" in message

    def test_fails_on_too_many_sends(self) -> None:
        with (
            pytest.raises(self.failureException) as failure,
            self.assertNumSignals(order_paid, 1),
        ):
            pay_each((10, "shop"), (20, "shop"))

        assert "was sent 2 times, not 1" in str(failure.value)


class ShopTests(SignalTestMixin, TestCase):
    """The mixin on a Django TestCase, with the test shop's models."""

    def test_creating_a_user_sends_post_save_with_created(self) -> None:
        with self.assertSignalSent(post_save, sender=User, created=True):
            User.objects.create_user("ada")

    def test_saving_a_user_again_sends_no_post_save_with_created(self) -> None:
        user = User.objects.create_user("ada")

        with self.assertSignalNotSent(post_save, sender=User, created=True):
            user.save()

    def test_creating_a_user_saves_the_user_and_its_profile(self) -> None:
        with self.assertNumSignals(post_save, 1, sender=User):
            User.objects.create_user("ada")

        with self.assertNumSignals(post_save, 1, sender=Profile):
            User.objects.create_user("grace")

    def test_a_model_label_stands_for_the_sender_model(self) -> None:
        with self.assertSignalSent(post_save, sender="auth.User", created=True):
            User.objects.create_user("ada")

        with self.assertNumSignals(post_save, 1, sender="shop.Profile"):
            User.objects.create_user("grace")

    def test_an_unknown_label_is_an_error_naming_it(self) -> None:
        with (
            pytest.raises(ValueError, match=r"no installed model is labelled 'auth\.Usr'"),
            self.assertSignalNotSent(post_save, sender="auth.Usr"),
        ):
            User.objects.create_user("ada")

    def test_saving_a_user_sends_pre_save_then_post_save(self) -> None:
        with self.assertSignalsSentInOrder(
            (pre_save, {"sender": "auth.User"}), (post_save, {"sender": User, "created": True})
        ):
            User.objects.create_user("ada")

    def test_a_failure_names_the_instance_that_was_saved(self) -> None:
        with (
            pytest.raises(self.failureException) as failure,
            self.assertSignalSent(post_save, sender=User, created=False),
        ):
            User.objects.create_user("ada")

        assert "instance=<User: ada>, created=True" in str(failure.value)


order_shipped = Signal()


def ship(sender: object = "shop") -> None:
    order_shipped.send(sender=sender)


def ship_then_pay() -> None:
    ship()
    pay(10)


class AssertSignalsSentInOrderTests(SignalTestMixin, SimpleTestCase):
    def test_passes_when_the_signals_are_sent_in_that_order(self) -> None:
        with self.assertSignalsSentInOrder(order_paid, order_shipped):
            pay(10)
            post_save.send(sender=Group, instance=None, created=False)
            ship()

    def test_matches_each_send_as_its_pair_says(self) -> None:
        with self.assertSignalsSentInOrder((order_paid, {"amount": 20}), order_shipped):
            ship()
            pay(20)
            ship()

    def test_fails_when_the_order_differs_showing_the_sends_in_order(self) -> None:
        with (
            pytest.raises(self.failureException) as failure,
            self.assertSignalsSentInOrder(order_paid, order_shipped),
        ):
            ship_then_pay()

        message = str(failure.value)
        assert "order_shipped() was not sent after " in message
        assert "\n  #1 tests.test_testing.order_shipped.send(sender='shop')\n" in message
        assert message.endswith(
            "\n  #2 tests.test_testing.order_paid.send(sender='shop', amount=10)"
        )

    def test_yields_the_recorder_of_the_signals_named(self) -> None:
        with self.assertSignalsSentInOrder(order_paid, order_shipped) as recorder:
            post_save.send(sender=Group, instance=None, created=False)
            pay(10)
            ship()

        assert recorder.signals == {order_paid, order_shipped}
        assert [call.signal for call in recorder.calls] == [order_paid, order_shipped]

    def test_refuses_a_bad_item_before_the_block_runs(self) -> None:
        ran: list[str] = []

        with (
            pytest.raises(TypeError, match=r"^assertSignalsSentInOrder\(\) takes .*not 'paid'"),
            self.assertSignalsSentInOrder(order_shipped, "paid"),  # type: ignore[arg-type]
        ):
            ran.append("block")

        assert ran == []

    def test_lets_an_exception_of_the_block_through_unchanged(self) -> None:
        with (
            pytest.raises(RuntimeError, match="out of stock"),
            self.assertSignalsSentInOrder(order_paid, order_shipped),
        ):
            raise RuntimeError("out of stock")


class RefusedPayment(Exception):
    """A failure exception of a test case's own."""


class OwnFailureExceptionTests(SignalTestMixin, SimpleTestCase):
    failureException = RefusedPayment

    def test_each_assertion_fails_with_the_test_cases_failure_exception(self) -> None:
        with pytest.raises(RefusedPayment), self.assertSignalSent(order_paid):
            pass
        with pytest.raises(RefusedPayment), self.assertSignalNotSent(order_paid):
            pay(10)
        with pytest.raises(RefusedPayment), self.assertNumSignals(order_paid, 3):
            pay(10)
        with pytest.raises(RefusedPayment), self.assertSignalsSentInOrder(order_paid, order_paid):
            pay(10)


class _FailingUnittest(SignalTestMixin, unittest.TestCase):
    """Run by the test below with unittest's own runner, not collected by pytest."""

    __test__ = False

    def test_not_sent(self) -> None:
        with self.assertSignalSent(order_paid, amount=30):
            pay(10)

    def test_not_in_order(self) -> None:
        with self.assertSignalsSentInOrder(order_paid, order_shipped):
            ship()


def test_unittest_reports_the_failure_at_the_test_not_inside_signalkit() -> None:
    output = io.StringIO()
    test = _FailingUnittest("test_not_sent")

    result = unittest.TextTestRunner(stream=output).run(test)

    assert len(result.failures) == 1
    report = output.getvalue()
    assert "amount=30) was not sent." in report
    assert ".send(sender='shop', amount=10)" in report
    assert "test_testing.py" in report
    assert "signalkit/" not in report
    assert "contextlib" not in report


def test_unittest_reports_an_order_failure_at_the_test_too() -> None:
    output = io.StringIO()

    unittest.TextTestRunner(stream=output).run(_FailingUnittest("test_not_in_order"))

    report = output.getvalue()
    assert "order_paid() was not sent." in report
    assert "test_testing.py" in report
    assert "signalkit/" not in report


@pytest.mark.parametrize(
    ("count", "error", "message"),
    [
        (
            "1",
            TypeError,
            r"assertNumSignals\(\) takes the expected number of sends as an int, not '1'",
        ),
        (None, TypeError, r"as an int, not None\."),
        (1.5, TypeError, r"as an int, not 1\.5\."),
        (True, TypeError, r"as an int, not True\."),
        (
            -1,
            ValueError,
            r"assertNumSignals\(\) takes the expected number of sends, 0 or more, not -1",
        ),
    ],
    ids=["a-string", "none", "a-float", "a-bool", "negative"],
)
def test_assert_num_signals_refuses_a_bad_count_before_the_block_runs(
    count: Any, error: type[Exception], message: str
) -> None:
    case = AssertNumSignalsTests("test_passes_with_zero_when_the_signal_is_not_sent")
    ran: list[str] = []

    with pytest.raises(error, match=message), case.assertNumSignals(order_paid, count):
        ran.append("block")

    assert ran == []
