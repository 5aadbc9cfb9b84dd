from __future__ import annotations

import asyncio
import gc
import weakref
from typing import Any
from unittest import mock

import pytest
from django.contrib.auth.models import User
from django.db.models.signals import post_save, pre_save
from django.dispatch import Signal

from signalkit import SignalCall, gate, muted_signals, record_signals


@pytest.fixture
def signal() -> Signal:
    return Signal()


def broken(sender: object, **kwargs: Any) -> None:
    raise ValueError("broken receiver")


def test_a_send_is_recorded_with_its_sender_and_arguments(signal: Signal) -> None:
    with record_signals(signal) as rec:
        signal.send(sender=User, created=True)

    assert rec.calls == [SignalCall(signal, User, {"created": True})]


def test_a_send_with_no_receivers_is_recorded(signal: Signal) -> None:
    with record_signals(signal) as rec:
        signal.send(sender=None)

    assert len(rec.calls) == 1


def test_a_muted_send_is_recorded(signal: Signal) -> None:
    with record_signals(signal) as rec, muted_signals(signal):
        signal.send(sender=None)

    rec.assert_sent_once(signal)


def test_a_send_whose_receiver_raises_is_recorded(signal: Signal) -> None:
    signal.connect(broken)
    with record_signals(signal) as rec, pytest.raises(ValueError, match="broken receiver"):
        signal.send(sender=None, attempt=1)

    rec.assert_sent_once(signal, attempt=1)


def test_send_robust_is_recorded_and_still_returns_the_error(signal: Signal) -> None:
    signal.connect(broken)
    with record_signals(signal) as rec:
        [(_, error)] = signal.send_robust(sender=None)

    assert isinstance(error, ValueError)
    assert rec.calls[0].method == "send_robust"


@pytest.mark.skipif(not hasattr(Signal, "asend"), reason="Signal.asend() exists from Django 5.0")
def test_asend_and_asend_robust_are_recorded(signal: Signal) -> None:
    async def send_both() -> None:
        await signal.asend(sender=None)
        await signal.asend_robust(sender=None)

    with record_signals(signal) as rec:
        asyncio.run(send_both())

    assert [call.method for call in rec.calls] == ["asend", "asend_robust"]


def test_recording_changes_nothing_about_the_send(signal: Signal) -> None:
    heard: list[object] = []

    def receiver(sender: object, **kwargs: Any) -> str:
        heard.append(sender)
        return "response"

    signal.connect(receiver)
    with record_signals(signal):
        responses = signal.send(sender="me")

    assert (responses, heard) == ([(receiver, "response")], ["me"])


def test_only_the_signals_named_are_recorded(signal: Signal) -> None:
    other = Signal()
    with record_signals(signal) as rec:
        other.send(sender=None)
        signal.send(sender=None)

    assert [call.signal for call in rec.calls] == [signal]


def test_with_no_signals_every_signal_is_recorded(signal: Signal) -> None:
    other = Signal()
    with record_signals() as rec:
        signal.send(sender=None)
        other.send(sender=None)

    assert [call.signal for call in rec.calls] == [signal, other]


def test_the_gate_is_gone_after_recording(signal: Signal) -> None:
    with record_signals(signal):
        assert gate.is_installed()

    assert not gate.is_installed()


# --- assertions ------------------------------------------------------------------------


def test_assert_sent_matches_the_sender_and_a_subset_of_the_arguments(signal: Signal) -> None:
    with record_signals(signal) as rec:
        signal.send(sender=User, created=True, raw=False)

    call = rec.assert_sent(signal, sender=User, created=True)

    assert call.kwargs["raw"] is False


def test_mock_any_matches_any_value(signal: Signal) -> None:
    with record_signals(signal) as rec:
        signal.send(sender=User, instance=object())

    rec.assert_sent(signal, sender=User, instance=mock.ANY)


def test_assert_sent_fails_listing_what_was_recorded(signal: Signal) -> None:
    with record_signals(signal) as rec:
        signal.send(sender=User, created=False)

    with pytest.raises(AssertionError) as failure:
        rec.assert_sent(signal, created=True)

    message = str(failure.value)
    assert "(created=True) was not sent." in message
    assert "Recorded 1 send:" in message
    assert "send(sender=<class 'django.contrib.auth.models.User'>, created=False)" in message


def test_a_failure_says_when_nothing_was_recorded(signal: Signal) -> None:
    with record_signals(signal) as rec:
        pass

    with pytest.raises(AssertionError, match="Nothing was recorded"):
        rec.assert_sent(signal)


def test_assert_sent_once_fails_on_two_sends(signal: Signal) -> None:
    with record_signals(signal) as rec:
        signal.send(sender=None)
        signal.send(sender=None)

    with pytest.raises(AssertionError, match="was sent 2 times, not once"):
        rec.assert_sent_once(signal)


def test_assert_not_sent_passes_when_only_other_senders_sent(signal: Signal) -> None:
    with record_signals(signal) as rec:
        signal.send(sender="other")

    rec.assert_not_sent(signal, sender=User)
    with pytest.raises(AssertionError, match=r"was sent 1 time\."):
        rec.assert_not_sent(signal, sender="other")


def test_assert_num_sent_counts_matching_sends(signal: Signal) -> None:
    with record_signals(signal) as rec:
        for created in (True, False, True):
            signal.send(sender=User, created=created)

    rec.assert_num_sent(signal, 2, sender=User, created=True)
    with pytest.raises(AssertionError, match="was sent 2 times, not 3"):
        rec.assert_num_sent(signal, 3, created=True)


def test_a_failure_names_a_known_signal_by_its_path() -> None:
    with record_signals(post_save) as rec:
        pass

    with pytest.raises(AssertionError, match=r"^django\.db\.models\.signals\.post_save\(\)"):
        rec.assert_sent(post_save)


def test_asking_about_a_signal_that_is_not_recorded_is_an_error() -> None:
    with record_signals(post_save) as rec:
        pass

    with pytest.raises(ValueError, match=r"pre_save is not recorded here"):
        rec.assert_not_sent(pre_save)


def test_record_signals_rejects_what_is_not_a_signal() -> None:
    with pytest.raises(TypeError, match="takes Signal objects, not 'post_save'"):  # noqa: SIM117
        with record_signals("post_save"):  # type: ignore[arg-type]
            pass


def test_a_signal_argument_named_count_can_be_matched(signal: Signal) -> None:
    with record_signals(signal) as rec:
        signal.send(sender=None, count=3)

    rec.assert_num_sent(signal, 1, count=3)
    rec.assert_sent(signal, count=3)


@pytest.mark.parametrize(
    ("count", "error", "message"),
    [
        (
            "1",
            TypeError,
            r"assert_num_sent\(\) takes the expected number of sends as an int, not '1'",
        ),
        (None, TypeError, r"as an int, not None\."),
        (1.5, TypeError, r"as an int, not 1\.5\."),
        (True, TypeError, r"as an int, not True\."),
        (
            -1,
            ValueError,
            r"assert_num_sent\(\) takes the expected number of sends, 0 or more, not -1",
        ),
    ],
    ids=["a-string", "none", "a-float", "a-bool", "negative"],
)
def test_assert_num_sent_refuses_a_bad_count_naming_it(
    signal: Signal, count: Any, error: type[Exception], message: str
) -> None:
    with record_signals(signal) as rec:
        signal.send(sender=None)

    with pytest.raises(error, match=message):
        rec.assert_num_sent(signal, count)


@pytest.mark.parametrize(
    ("sends", "assertion", "message"),
    [
        (
            1,
            lambda rec, s: rec.assert_num_sent(s, 2),
            r"was sent 1 time, not 2\.\nRecorded 1 send:",
        ),
        (
            2,
            lambda rec, s: rec.assert_num_sent(s, 1),
            r"was sent 2 times, not 1\.\nRecorded 2 sends:",
        ),
        (0, lambda rec, s: rec.assert_num_sent(s, 1), r"was sent 0 times, not 1\."),
        (1, lambda rec, s: rec.assert_not_sent(s), r"was sent 1 time\."),
        (2, lambda rec, s: rec.assert_sent_once(s), r"was sent 2 times, not once\."),
    ],
    ids=["one-time", "two-times", "zero-times", "not-sent-once", "sent-once-twice"],
)
def test_failure_messages_count_in_correct_english(
    signal: Signal, sends: int, assertion: Any, message: str
) -> None:
    with record_signals(signal) as rec:
        for _ in range(sends):
            signal.send(sender=None)

    with pytest.raises(AssertionError, match=message):
        assertion(rec, signal)


def test_a_call_without_arguments_prints_without_a_trailing_comma(signal: Signal) -> None:
    with record_signals(signal) as rec:
        signal.send(sender="shop")

    assert str(rec.calls[0]).endswith(".send(sender='shop')")


def test_a_record_signals_block_cannot_be_entered_twice(signal: Signal) -> None:
    block = record_signals(signal)
    with block, pytest.raises(RuntimeError, match="already entered"):
        block.__enter__()


def test_leaving_a_record_signals_block_never_entered_is_a_clear_error(signal: Signal) -> None:
    with pytest.raises(RuntimeError, match=r"__exit__\(\) without __enter__\(\)"):
        record_signals(signal).__exit__(None, None, None)


def test_a_recorder_keeps_what_it_recorded_alive_while_it_is_referenced(signal: Signal) -> None:
    class Payload:
        pass

    payload = Payload()
    alive = weakref.ref(payload)
    with record_signals(signal) as rec:
        signal.send(sender=None, payload=payload)
    del payload
    gc.collect()
    kept = alive() is not None
    del rec
    gc.collect()

    assert (kept, alive()) == (True, None)
