"""AutoProfileMixin with a swapped user model, run under ``tests.settings_swapped_user``.

Not collected by the main suite (the file name does not start with ``test_``):
``tests/test_profiles_swapped.py`` runs it in a subprocess and reports each test.
"""

from __future__ import annotations

from io import StringIO
from types import SimpleNamespace
from typing import Any, cast

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models.signals import post_save

from signalkit.mixins.profiles import AutoProfileMixin, BackfillProfiles, profile_models
from signalkit.registry import ReceiverInfo, snapshot
from tests.profiles_swapped_app.models import (
    BaseCard,
    LoyaltyCard,
    Member,
    MemberProfile,
    MemberProfileProxy,
    Mentorship,
    StaffMember,
)

pytestmark = pytest.mark.django_db


def auto_profile_receivers(model: type[AutoProfileMixin]) -> list[ReceiverInfo]:
    return [
        r
        for r in snapshot().filter(signal=post_save).receivers
        if r.receiver is model.auto_create_receiver
    ]


def members_without_profiles(count: int, using: str = "default") -> list[Member]:
    """Members inserted with bulk_create(): no post_save, so no profile of any kind."""
    return Member.objects.db_manager(using).bulk_create(
        [Member(username=f"bulk{i}") for i in range(count)]
    )


# --- the swapped user model --------------------------------------------------------------------


def test_the_user_model_is_swapped() -> None:
    assert settings.AUTH_USER_MODEL == "profiles_swapped_app.Member"


def test_creating_a_member_creates_its_profile() -> None:
    member = Member.objects.create_user("ada")

    assert MemberProfile.objects.get(member=member).nickname == "~ada"


def test_the_receiver_listens_to_the_swapped_user_model_and_its_proxy() -> None:
    senders = sorted(r.sender_label for r in auto_profile_receivers(MemberProfile))

    assert senders == ["profiles_swapped_app.Member", "profiles_swapped_app.StaffMember"]


def test_creating_a_proxy_user_creates_its_profile() -> None:
    staff = StaffMember.objects.create_user("grace")

    assert MemberProfile.objects.filter(member_id=staff.pk).count() == 1


def test_a_proxy_of_a_profile_model_is_not_connected_again() -> None:
    StaffMember.objects.create_user("linus")

    assert "auto_create_receiver" not in vars(MemberProfileProxy)
    assert MemberProfile.objects.count() == 1


# --- an abstract base and its concrete child ---------------------------------------------------


def test_the_concrete_child_of_an_abstract_profile_base_is_created_with_the_user() -> None:
    member = Member.objects.create_user("ken")

    assert LoyaltyCard.objects.get(holder=member).points == 0


def test_nothing_is_connected_for_the_abstract_base() -> None:
    assert "auto_create_receiver" not in vars(BaseCard)
    assert not any("BaseCard" in r.path for r in snapshot().receivers)


def test_every_concrete_profile_model_is_listed_once() -> None:
    assert profile_models() == [MemberProfile, LoyaltyCard, Mentorship]


# --- several one-to-one fields to the user model -----------------------------------------------


def test_profile_user_field_picks_the_profiles_user_among_several() -> None:
    member = Member.objects.create_user("barbara")

    mentorship = Mentorship.objects.get(mentee=member)

    assert mentorship.mentor is None


def test_for_user_uses_the_named_field() -> None:
    [member] = members_without_profiles(1)

    assert Mentorship.for_user(member).mentee_id == member.pk


# --- the defaults hook -------------------------------------------------------------------------


def test_for_user_fills_in_the_defaults_hook() -> None:
    [member] = members_without_profiles(1)

    assert MemberProfile.for_user(member).nickname == "~bulk0"


def test_backfill_fills_in_the_defaults_hook_for_each_user() -> None:
    members_without_profiles(3)

    MemberProfile.backfill(batch_size=2)

    assert sorted(MemberProfile.objects.values_list("nickname", flat=True)) == [
        "~bulk0",
        "~bulk1",
        "~bulk2",
    ]


def test_backfill_of_a_swapped_user_model_creates_each_missing_profile_once() -> None:
    members_without_profiles(5)
    Member.objects.create_user("has-one")

    assert LoyaltyCard.backfill(batch_size=2) == 5
    assert LoyaltyCard.backfill(batch_size=2) == 0
    assert LoyaltyCard.objects.count() == 6


# --- multiple databases ------------------------------------------------------------------------


@pytest.mark.django_db(databases=["default", "other"])
def test_a_user_created_on_another_database_gets_its_profile_there() -> None:
    member = Member.objects.db_manager("other").create_user("otto")

    assert MemberProfile.objects.using("other").filter(member_id=member.pk).exists()
    assert not MemberProfile.objects.using("default").exists()


@pytest.mark.django_db(databases=["default", "other"])
def test_backfill_using_another_database_writes_only_there() -> None:
    members_without_profiles(2, using="other")
    members_without_profiles(1, using="default")

    created = MemberProfile.backfill(using="other")

    assert created == 2
    assert MemberProfile.objects.using("other").count() == 2
    assert MemberProfile.objects.using("default").count() == 0


@pytest.mark.django_db(databases=["default", "other"])
def test_for_user_using_another_database_reads_and_writes_there() -> None:
    [member] = members_without_profiles(1, using="other")

    profile = MemberProfile.for_user(member, using="other")

    assert profile._state.db == "other"
    assert not MemberProfile.objects.using("default").exists()


@pytest.mark.django_db(databases=["default", "other"])
def test_the_command_backfills_the_database_it_is_given() -> None:
    members_without_profiles(2, using="other")
    stdout = StringIO()

    call_command(
        "backfill_profiles",
        "--model=profiles_swapped_app.LoyaltyCard",
        "--database=other",
        stdout=stdout,
    )

    assert LoyaltyCard.objects.using("other").count() == 2
    assert not LoyaltyCard.objects.using("default").exists()
    assert "profiles_swapped_app.LoyaltyCard: created 2 profiles." in stdout.getvalue()


# --- data migrations ---------------------------------------------------------------------------


def test_backfill_profiles_works_with_historical_models_and_a_swapped_user() -> None:
    members_without_profiles(3)
    state = MigrationExecutor(connection).loader.project_state(
        ("profiles_swapped_app", "0002_backfill_mentorships")
    )
    schema_editor = cast(Any, SimpleNamespace(connection=connection))

    BackfillProfiles("profiles_swapped_app.Mentorship", user_field="mentee")(
        state.apps, schema_editor
    )

    assert Mentorship.objects.filter(mentor=None).count() == 3


def test_backfill_profiles_asks_which_field_when_there_are_several() -> None:
    state = MigrationExecutor(connection).loader.project_state(
        ("profiles_swapped_app", "0002_backfill_mentorships")
    )
    schema_editor = cast(Any, SimpleNamespace(connection=connection))

    with pytest.raises(
        ImproperlyConfigured,
        match=r"mentee, mentor\. Say which one is the profile's user: BackfillProfiles\("
        r"'profiles_swapped_app\.Mentorship', user_field='<name>'\), e\.g\. 'mentee'\.$",
    ):
        BackfillProfiles("profiles_swapped_app.Mentorship")(state.apps, schema_editor)


def test_rendering_historical_models_connects_no_receiver() -> None:
    before = len(post_save.receivers)

    MigrationExecutor(connection).loader.project_state().apps  # noqa: B018 (renders them)

    assert len(post_save.receivers) == before
