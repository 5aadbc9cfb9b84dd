from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from example_project.tests.factories import ProfileFactory, UserFactory
from example_project.users.models import Profile

pytestmark = pytest.mark.django_db


def test_creating_a_user_creates_its_profile() -> None:
    user = UserFactory()

    assert Profile.objects.filter(user=user).count() == 1


def test_create_user_gives_the_profile_through_the_related_name() -> None:
    user = get_user_model().objects.create_user("dana", "dana@example.com", "pw")

    assert user.profile.location == ""


def test_saving_a_user_again_does_not_create_another_profile() -> None:
    user = UserFactory()

    user.first_name = "Dana"
    user.save()

    assert Profile.objects.filter(user=user).count() == 1


def test_loading_a_user_fixture_creates_no_profile(tmp_path: Path) -> None:
    fixture = tmp_path / "user.json"
    fixture.write_text(
        json.dumps(
            [
                {
                    "model": "auth.user",
                    "pk": 4242,
                    "fields": {"username": "from-fixture", "password": "!"},
                }
            ]
        )
    )

    call_command("loaddata", str(fixture), verbosity=0)

    assert get_user_model().objects.filter(username="from-fixture").exists()
    assert not Profile.objects.filter(user__username="from-fixture").exists()


def test_the_profile_factory_fills_in_the_profile_the_receiver_created() -> None:
    profile = ProfileFactory(location="Oslo")

    assert Profile.objects.get(user=profile.user).location == "Oslo"
