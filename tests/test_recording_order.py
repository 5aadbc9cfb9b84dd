"""``SignalRecorder.assert_sent_in_order``: these sends happened in this order."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db.models.signals import post_save, pre_init, pre_save
from django.dispatch import Signal

from signalkit import SignalRecorder, record_signals
from signalkit.recording import LISTED_SENDS
from tests.factories import ProductFactory
from tests.shop.models import Product

placed = Signal()
paid = Signal()
shipped = Signal()
# As failure messages name them (signalkit finds module-level signals of imported modules).
PLACED, PAID, SHIPPED = (f"{__name__}.{name}" for name in ("placed", "paid", "shipped"))


def sent(*sends: Signal | tuple[Signal, dict[str, Any]]) -> SignalRecorder:
    """A recorder of every signal that recorded these sends (sender "shop" unless given)."""
    with record_signals() as recorder:
        for send in sends:
            signal, arguments = send if isinstance(send, tuple) else (send, {})
            signal.send(**{"sender": "shop", **arguments})
    return recorder


def failure(rec: SignalRecorder, *expected: Any) -> str:
    with pytest.raises(AssertionError) as error:
        rec.assert_sent_in_order(*expected)
    return str(error.value)


def test_passes_when_the_signals_were_sent_in_that_order() -> None:
    sent(placed, paid, shipped).assert_sent_in_order(placed, paid, shipped)


def test_other_sends_may_come_before_between_and_after() -> None:
    rec = sent(shipped, placed, shipped, pre_init, paid, placed)

    rec.assert_sent_in_order(placed, paid)


def test_returns_the_sends_that_matched() -> None:
    rec = sent(paid, (placed, {"order": 1}), (paid, {"order": 1}))

    calls = rec.assert_sent_in_order(placed, paid)

    assert calls == [rec.calls[1], rec.calls[2]]


def test_fails_when_the_second_was_sent_only_before_the_first() -> None:
    rec = sent(paid, placed)

    message = failure(rec, placed, paid)

    assert message.splitlines()[:2] == [
        f"Not sent in this order: {PLACED}(), {PAID}().",
        f"{PAID}() was not sent after {PLACED}() (send #2), only before it: 1 time, as send #1.",
    ]


def test_fails_naming_the_signal_that_was_never_sent() -> None:
    message = failure(sent(placed), placed, shipped)

    assert f"\n{SHIPPED}() was not sent.\n" in message


def test_each_signal_named_needs_a_send_of_its_own() -> None:
    rec = sent(placed)

    with pytest.raises(AssertionError, match=r"was not sent after .* \(send #1\), only before it"):
        rec.assert_sent_in_order(placed, placed)


def test_a_signal_may_be_named_twice_with_different_arguments() -> None:
    rec = sent((paid, {"amount": 5}), (paid, {"amount": 10}))

    rec.assert_sent_in_order((paid, {"amount": 5}), (paid, {"amount": 10}))
    with pytest.raises(AssertionError):
        rec.assert_sent_in_order((paid, {"amount": 10}), (paid, {"amount": 5}))


def test_a_pair_matches_the_sender_and_arguments_like_assert_sent() -> None:
    rec = sent((paid, {"sender": "till", "amount": 5}), (placed, {"sender": User}))

    rec.assert_sent_in_order((paid, {"sender": "till", "amount": 5}), (placed, {"sender": User}))
    rec.assert_sent_in_order(paid, (placed, {"sender": "auth.User"}))
    with pytest.raises(AssertionError):
        rec.assert_sent_in_order((paid, {"sender": "shop"}), placed)


def test_the_failure_lists_the_sends_of_the_signals_named_numbered_and_counts_the_others() -> None:
    rec = sent(pre_init, paid, pre_init, placed, shipped)

    lines = failure(rec, placed, paid).splitlines()

    assert lines[2:] == [
        "Sends of these signals, in the order recorded (2):",
        f"  #2 {PAID}.send(sender='shop')",
        f"  #4 {PLACED}.send(sender='shop')",
        "…and 3 other sends (pre_init ×2, shipped ×1).",
    ]


def test_past_the_limit_the_sends_matched_and_the_missing_ones_are_listed_first() -> None:
    rec = sent(paid, *[placed] * (LISTED_SENDS + 5), (placed, {"sender": "till"}))

    lines = failure(rec, (placed, {"sender": "till"}), paid).splitlines()

    listed = [line.split()[0] for line in lines[3:-1]]
    assert listed[:2] == ["#1", "#2"]  # paid, sent only before; then placed sends in order
    assert listed[-1] == f"#{LISTED_SENDS + 7}"  # placed by the till, matched
    assert lines[-1] == "  …and 7 more."


@pytest.mark.django_db
def test_a_models_pre_save_comes_before_its_post_save() -> None:
    with record_signals(pre_save, post_save) as rec:
        ProductFactory()

    rec.assert_sent_in_order((pre_save, {"sender": Product}), (post_save, {"sender": Product}))
    with pytest.raises(AssertionError, match="Not sent in this order"):
        rec.assert_sent_in_order(post_save, pre_save)


@pytest.mark.parametrize(
    ("expected", "message"),
    [
        ((placed,), r"two or more signals, or \(signal, .*; got 1\.$"),
        ((), r"got 0\.$"),
        ((placed, "paid"), r"not 'paid'\.$"),
        ((placed, (paid, "till")), r"not \(<.*>, 'till'\)\.$"),
        ((placed, (paid, {"sender": "till"}, {})), r"pairs, not \(<.*>, \{.*\}, \{\}\)\.$"),
        ((placed, (paid, {1: "one"})), r"pairs, not \(<.*>, \{1: 'one'\}\)\.$"),
        (([placed, paid],), r"got 1\.$"),
        ((placed, [paid, shipped]), r"not \[.*\] \(pass them as separate arguments\)\.$"),
    ],
    ids=[
        "one",
        "none",
        "a-string",
        "a-pair-without-a-dict",
        "a-triple",
        "a-key-not-a-string",
        "one-list",
        "a-list",
    ],
)
def test_a_bad_item_is_refused_naming_it(expected: tuple[Any, ...], message: str) -> None:
    rec = sent(placed, paid)

    with pytest.raises(TypeError, match=r"^assert_sent_in_order\(\) takes .*" + message):
        rec.assert_sent_in_order(*expected)


def test_a_signal_the_recorder_does_not_record_is_an_error() -> None:
    with record_signals(placed) as rec:
        placed.send(sender="shop")

    with pytest.raises(ValueError, match="is not recorded here"):
        rec.assert_sent_in_order(placed, (paid, {"amount": 5}))
