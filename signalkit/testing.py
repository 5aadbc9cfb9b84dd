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

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from signalkit.recording import SignalRecorder, check_count, record_signals

if TYPE_CHECKING:
    from django.dispatch import Signal

__all__ = ["SignalTestMixin"]

# unittest leaves the frames of modules defining ``__unittest`` out of failure
# tracebacks, as it does for its own assert methods: the failure points at the test.
__unittest = True


class SignalTestMixin:
    """``assertSignalSent``, ``assertSignalNotSent`` and ``assertNumSignals`` for test cases.

    ``match`` works as in :meth:`signalkit.SignalRecorder.assert_sent`: ``sender=`` is
    compared with the send's sender, every other keyword must be among the arguments of
    the send with an equal value (``unittest.mock.ANY`` matches anything); arguments not
    named are not compared. Each context manager yields the
    :class:`~signalkit.SignalRecorder`, for checks of your own::

        with self.assertSignalSent(order_confirmed, sender=Order) as recorder:
            confirm(order)
        self.assertEqual(recorder.calls[0].kwargs["order"], order)
    """

    # Provided by unittest.TestCase, which this class is mixed into.
    failureException: type[BaseException]

    @contextmanager
    def assertSignalSent(self, signal: Signal, /, **match: Any) -> Iterator[SignalRecorder]:
        """Fail unless ``signal`` is sent at least once, as ``match`` says, in the block.

        Example::

            with self.assertSignalSent(post_save, sender=User, created=True):
                User.objects.create_user("ada")
        """
        with record_signals(signal) as recorder:
            yield recorder
        with self._failing():
            recorder.assert_sent(signal, **match)

    @contextmanager
    def assertSignalNotSent(self, signal: Signal, /, **match: Any) -> Iterator[SignalRecorder]:
        """Fail if ``signal`` is sent, as ``match`` says, in the block.

        Without ``match``, any send of ``signal`` fails; with it, only a matching one::

            with self.assertSignalNotSent(post_save, created=True):
                user.save()  # an update: post_save is sent with created=False
        """
        with record_signals(signal) as recorder:
            yield recorder
        with self._failing():
            recorder.assert_not_sent(signal, **match)

    @contextmanager
    def assertNumSignals(self, signal: Signal, n: int, /, **match: Any) -> Iterator[SignalRecorder]:
        """Fail unless ``signal`` is sent exactly ``n`` times, as ``match`` says, in the block.

        ``n`` is an int, 0 or more; anything else raises ``TypeError`` or ``ValueError`` at
        the ``with``, before the block runs. Example::

            with self.assertNumSignals(post_save, 2, sender=Order):
                Order.objects.create(product=product, quantity=1)
                Order.objects.create(product=product, quantity=2)
        """
        check_count(n, "assertNumSignals")
        with record_signals(signal) as recorder:
            yield recorder
        with self._failing():
            recorder.assert_num_sent(signal, n, **match)

    @contextmanager
    def _failing(self) -> Iterator[None]:
        """Turn the recorder's ``AssertionError`` into this test case's failure exception."""
        try:
            yield
        except AssertionError as exc:
            raise self.failureException(str(exc)) from None
