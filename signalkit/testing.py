"""Signal assertions for unittest and Django test cases: :class:`SignalTestMixin`.

Mix it into any ``unittest.TestCase`` (Django's ``SimpleTestCase``, ``TestCase``,
``TransactionTestCase`` included)::

    from django.db.models.signals import post_save
    from django.test import TestCase
    from signalkit.testing import SignalTestMixin

    class OrderTests(SignalTestMixin, TestCase):
        def test_saving_an_order_sends_post_save(self):
            with self.assertSignalSent(post_save, sender=Order, created=True):
                Order.objects.create(product=self.product, quantity=1)

Each assertion is a context manager that records the signal (with
:func:`signalkit.record_signals`, so muted sends, sends without receivers and sends whose
receivers raise all count) while its block runs, and checks on exit. A failure raises
``self.failureException`` with the recorder's message, which lists what was sent.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from types import TracebackType
from typing import TYPE_CHECKING, Any

from signalkit.recording import (
    Expected,
    SignalRecorder,
    check_count,
    order_items,
    record_signals,
)

if TYPE_CHECKING:
    from django.dispatch import Signal

__all__ = ["SignalTestMixin"]

# unittest leaves the frames of modules defining ``__unittest`` out of failure
# tracebacks, as it does for its own assert methods: the failure points at the test.
# pytest does the same for frames with a ``__tracebackhide__`` local (set below).
__unittest = True


class SignalTestMixin:
    """``assertSignalSent``, ``assertSignalNotSent``, ``assertNumSignals`` and
    ``assertSignalsSentInOrder`` for test cases.

    ``match`` works as in :meth:`signalkit.SignalRecorder.assert_sent`: ``sender=`` is
    compared with the send's sender (a model label such as ``"auth.User"`` stands for that
    model), every other keyword must be among the arguments of the send with an equal value
    (``unittest.mock.ANY`` matches anything); arguments not named are not compared. Each
    context manager yields the :class:`~signalkit.SignalRecorder`, for checks of your own::

        with self.assertSignalSent(order_confirmed, sender=Order) as recorder:
            confirm(order)
        self.assertEqual(recorder.calls[0].kwargs["order"], order)
    """

    # Provided by unittest.TestCase, which this class is mixed into.
    failureException: type[BaseException]

    def assertSignalSent(
        self, signal: Signal, /, **match: Any
    ) -> AbstractContextManager[SignalRecorder]:
        """Fail unless ``signal`` is sent at least once, as ``match`` says, in the block.

        Example::

            with self.assertSignalSent(post_save, sender=User, created=True):
                User.objects.create_user("ada")
        """
        return _Asserting(self, (signal,), lambda recorder: recorder.assert_sent(signal, **match))

    def assertSignalNotSent(
        self, signal: Signal, /, **match: Any
    ) -> AbstractContextManager[SignalRecorder]:
        """Fail if ``signal`` is sent, as ``match`` says, in the block.

        Without ``match``, any send of ``signal`` fails; with it, only a matching one::

            with self.assertSignalNotSent(post_save, created=True):
                user.save()  # an update: post_save is sent with created=False
        """
        return _Asserting(
            self, (signal,), lambda recorder: recorder.assert_not_sent(signal, **match)
        )

    def assertNumSignals(
        self, signal: Signal, n: int, /, **match: Any
    ) -> AbstractContextManager[SignalRecorder]:
        """Fail unless ``signal`` is sent exactly ``n`` times, as ``match`` says, in the block.

        ``n`` is an int, 0 or more; anything else raises ``TypeError`` or ``ValueError`` at
        the ``with``, before the block runs. Example::

            with self.assertNumSignals(post_save, 2, sender=Order):
                Order.objects.create(product=product, quantity=1)
                Order.objects.create(product=product, quantity=2)
        """
        check_count(n, "assertNumSignals")
        return _Asserting(
            self, (signal,), lambda recorder: recorder.assert_num_sent(signal, n, **match)
        )

    def assertSignalsSentInOrder(
        self, *expected: Expected
    ) -> AbstractContextManager[SignalRecorder]:
        """Fail unless these sends happen in this order in the block (others may come
        before, between and after them).

        Each item is a signal, or a pair of a signal and its ``match`` (a dict), as in
        :meth:`signalkit.SignalRecorder.assert_sent_in_order`; a bad item raises
        ``TypeError`` at the ``with``, before the block runs. Example::

            with self.assertSignalsSentInOrder(
                (post_save, {"sender": Order, "created": True}), order_confirmed
            ):
                place_order(product, quantity=1)
        """
        signals = tuple(
            dict.fromkeys(signal for signal, _ in order_items(expected, "assertSignalsSentInOrder"))
        )
        return _Asserting(self, signals, lambda recorder: recorder.assert_sent_in_order(*expected))


class _Asserting(AbstractContextManager[SignalRecorder]):
    """Records ``signals`` while the block runs, then runs ``check`` on the recorder; its
    ``AssertionError`` becomes the test case's failure exception. An exception of the
    block goes through unchanged, unchecked."""

    def __init__(
        self,
        case: SignalTestMixin,
        signals: tuple[Signal, ...],
        check: Callable[[SignalRecorder], object],
    ) -> None:
        self._case = case
        self._block = record_signals(*signals)
        self._check = check

    def __enter__(self) -> SignalRecorder:
        self._recorder = self._block.__enter__()
        return self._recorder

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        __tracebackhide__ = True
        self._block.__exit__(exc_type, exc, traceback)
        if exc_type is not None:
            return
        try:
            self._check(self._recorder)
        except AssertionError as error:
            raise self._case.failureException(str(error)) from None
