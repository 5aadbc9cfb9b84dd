"""What a failed recorder assertion prints: the asserted signal's sends, then the others counted."""

from __future__ import annotations

import pytest
from django.db.models.signals import post_init, post_save, pre_delete, pre_init, pre_save
from django.dispatch import Signal

from signalkit import SignalRecorder, discovery, record_signals, registry
from signalkit.recording import LISTED_SENDS
from tests.factories import ProductFactory


class Till:
    pass


class Shop:
    pass


def recorded(*sends: tuple[Signal, object, int]) -> SignalRecorder:
    """A recorder of every signal that recorded ``count`` sends of each (signal, sender)."""
    recorder = SignalRecorder()
    for signal, sender, count in sends:
        for number in range(count):
            recorder.record(signal, sender, {"number": number}, "send")
    return recorder


def failure(rec: SignalRecorder, signal: Signal, **match: object) -> list[str]:
    with pytest.raises(AssertionError) as error:
        rec.assert_sent(signal, **match)
    return str(error.value).splitlines()


def test_the_asserted_signals_sends_come_first_and_the_others_are_counted_on_one_line() -> None:
    rec = recorded((pre_init, Till, 100), (post_save, Till, 2), (post_init, Till, 50))

    lines = failure(rec, post_save, sender=Shop)

    assert lines == [
        "django.db.models.signals.post_save(sender=<class "
        "'tests.test_recording_messages.Shop'>) was not sent.",
        "Recorded 2 sends of this signal:",
        "  django.db.models.signals.post_save.send(sender=<class "
        "'tests.test_recording_messages.Till'>, number=0)",
        "  django.db.models.signals.post_save.send(sender=<class "
        "'tests.test_recording_messages.Till'>, number=1)",
        "…and 150 other sends (pre_init ×100, post_init ×50).",
    ]


def test_a_recorder_of_the_asserted_signal_alone_lists_its_sends_without_a_count_line() -> None:
    rec = recorded((post_save, Till, 2))

    lines = failure(rec, post_save, sender=Shop)

    assert lines[1] == "Recorded 2 sends:"
    assert len(lines) == 4


def test_the_asserted_signals_own_list_stops_at_a_limit_counting_the_rest() -> None:
    rec = recorded((post_save, Till, LISTED_SENDS + 5))

    lines = failure(rec, post_save, sender=Shop)

    assert len(lines) == 2 + LISTED_SENDS + 1
    assert lines[-2].endswith(f"number={LISTED_SENDS - 1})")
    assert lines[-1] == "  …and 5 more."


def test_past_the_limit_the_sends_from_the_sender_asked_about_are_listed_first() -> None:
    rec = recorded((post_save, Till, LISTED_SENDS + 5), (post_save, Shop, 1))

    lines = failure(rec, post_save, sender=Shop, number=7)

    assert "Shop'>, number=0)" in lines[-2]  # the last send, listed in its place
    assert lines[-1] == "  …and 6 more."


def test_a_signal_not_sent_at_all_gets_one_line_counting_the_others() -> None:
    rec = recorded((pre_init, Till, 3), (post_init, Till, 3), (pre_save, Till, 1))

    lines = failure(rec, post_save)

    assert lines[1:] == [
        "Recorded no send of this signal; 7 other sends (pre_init ×3, post_init ×3, pre_save ×1)."
    ]


def test_an_empty_recorder_says_nothing_was_recorded() -> None:
    assert failure(SignalRecorder(), post_save)[1:] == ["Nothing was recorded."]


def test_beyond_five_other_signals_the_rest_are_counted_together() -> None:
    extra = Signal()
    rec = recorded(
        (pre_init, Till, 6),
        (post_init, Till, 5),
        (pre_save, Till, 4),
        (pre_delete, Till, 3),
        (post_save, Till, 2),
        (extra, Till, 1),
        (Signal(), Till, 1),
    )

    with pytest.raises(AssertionError) as error:
        rec.assert_sent(extra, sender=Shop)

    assert str(error.value).splitlines()[-1] == (
        "…and 21 other sends (pre_init ×6, post_init ×5, pre_save ×4, pre_delete ×3, "
        "post_save ×2, 1 more signal ×1)."
    )


def test_two_signals_sharing_a_name_are_counted_by_their_dotted_paths(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(discovery, "_registered", {})
    first = registry.register_signal(Signal(), "tests.first.paid")
    second = registry.register_signal(Signal(), "tests.second.paid")
    rec = recorded((first, Till, 2), (second, Till, 1), (pre_init, Till, 1))

    lines = failure(rec, post_save)

    assert lines[-1].endswith("(tests.first.paid ×2, tests.second.paid ×1, pre_init ×1).")


@pytest.mark.django_db
def test_a_failure_after_fifty_saves_prints_a_dozen_lines_not_two_hundred() -> None:
    with record_signals() as rec:
        ProductFactory.create_batch(50)

    lines = failure(rec, post_save, sender="shop.Order")

    assert lines[1] == "Recorded 50 sends of this signal:"
    assert lines[-2:] == [
        f"  …and {50 - LISTED_SENDS} more.",
        "…and 150 other sends (pre_init ×50, post_init ×50, pre_save ×50).",
    ]
    assert len(lines) == LISTED_SENDS + 4
