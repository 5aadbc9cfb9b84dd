"""``sender=`` in the recorder's assertions: a model, any object, or an ``"app.Model"`` label."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.db.models.signals import post_save
from django.dispatch import Signal

from signalkit import SignalRecorder, record_signals
from tests.registry_app.models import StaffUser
from tests.shop.models import Profile


@pytest.fixture
def signal() -> Signal:
    return Signal()


@pytest.fixture
def rec(signal: Signal) -> SignalRecorder:
    """A recorder of ``signal`` that recorded one send from ``User``."""
    with record_signals(signal) as recorder:
        signal.send(sender=User, created=True)
    return recorder


def test_assert_sent_accepts_the_label_of_the_sender_model(
    signal: Signal, rec: SignalRecorder
) -> None:
    call = rec.assert_sent(signal, sender="auth.User", created=True)

    assert call.sender is User


def test_a_label_names_the_model_in_any_case(signal: Signal, rec: SignalRecorder) -> None:
    rec.assert_sent_once(signal, sender="auth.user")


def test_a_label_matches_the_sends_of_its_model_only(signal: Signal, rec: SignalRecorder) -> None:
    rec.assert_not_sent(signal, sender="auth.Group")
    with pytest.raises(AssertionError, match=r"\(sender='auth\.User'\) was sent 1 time\."):
        rec.assert_not_sent(signal, sender="auth.User")


def test_the_label_of_a_proxy_model_matches_its_own_sends_only(signal: Signal) -> None:
    with record_signals(signal) as rec:
        signal.send(sender=StaffUser)

    rec.assert_sent_once(signal, sender="registry_app.StaffUser")
    rec.assert_not_sent(signal, sender="auth.User")


@pytest.mark.parametrize(
    "assertion",
    [
        lambda rec, signal: rec.assert_sent(signal, sender="auth.User"),
        lambda rec, signal: rec.assert_sent_once(signal, sender="auth.User"),
        lambda rec, signal: rec.assert_num_sent(signal, 1, sender="auth.User"),
        lambda rec, signal: rec.assert_not_sent(signal, sender="shop.Profile"),
        lambda rec, signal: rec.assert_sent_in_order(
            (signal, {"sender": "auth.User"}), (signal, {"sender": "auth.Group"})
        ),
    ],
    ids=["assert_sent", "assert_sent_once", "assert_num_sent", "assert_not_sent", "in_order"],
)
def test_every_assertion_resolves_a_label_given_for_the_sender(
    signal: Signal, assertion: Callable[[SignalRecorder, Signal], Any]
) -> None:
    with record_signals(signal) as rec:
        signal.send(sender=User)
        signal.send(sender=Group)

    assertion(rec, signal)


def test_calls_of_and_a_calls_matches_resolve_a_label(signal: Signal, rec: SignalRecorder) -> None:
    [call] = rec.calls_of(signal, sender="auth.User")

    assert call.matches(signal, sender="auth.User")
    assert not call.matches(signal, sender="shop.Profile")


def test_an_unknown_label_is_an_error_naming_it_and_the_closest_labels(
    signal: Signal, rec: SignalRecorder
) -> None:
    with pytest.raises(ValueError, match=r"^sender='auth\.Usr': no installed model is") as error:
        rec.assert_not_sent(signal, sender="auth.Usr")

    assert "(did you mean 'auth.User'" in str(error.value)


def test_a_label_of_an_app_that_is_not_installed_is_an_error(
    signal: Signal, rec: SignalRecorder
) -> None:
    with pytest.raises(ValueError, match=r"no installed model is labelled 'acounts\.User'"):
        rec.assert_sent(signal, sender="acounts.User")


def test_a_string_sender_that_looks_like_a_label_still_matches_itself(signal: Signal) -> None:
    with record_signals(signal) as rec:
        signal.send(sender="example.com")

    rec.assert_sent_once(signal, sender="example.com")


def test_other_string_senders_are_compared_as_they_are(signal: Signal) -> None:
    with record_signals(signal) as rec:
        signal.send(sender="shop")

    rec.assert_sent_once(signal, sender="shop")
    rec.assert_not_sent(signal, sender="User")


@pytest.mark.django_db
def test_a_saved_user_is_found_by_its_label_and_its_profile_by_its_own() -> None:
    with record_signals(post_save) as rec:
        user = User.objects.create_user("ada")

    rec.assert_sent_once(post_save, sender="auth.User", instance=user, created=True)
    rec.assert_sent_once(post_save, sender="shop.Profile", instance=Profile.objects.get(user=user))
