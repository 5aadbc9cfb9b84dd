"""A swapped user model with a proxy, and profile models of every shape the mixin takes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models

from signalkit.mixins import AutoProfileMixin


class Member(AbstractUser):
    """``AUTH_USER_MODEL`` in ``tests.settings_swapped_user``."""


class StaffMember(Member):
    """A proxy of the user model: it sends post_save with itself as the sender."""

    class Meta:
        proxy = True


class MemberProfile(AutoProfileMixin, models.Model):
    """The plain case, with a defaults hook."""

    member = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    nickname = models.CharField(max_length=150, blank=True)

    def __str__(self) -> str:
        return f"profile of {self.member}"

    @classmethod
    def profile_defaults(cls, user: Any) -> Mapping[str, Any]:
        return {"nickname": f"~{user.get_username()}"}


class MemberProfileProxy(MemberProfile):
    """A proxy of a profile model: never connected a second time."""

    class Meta:
        proxy = True

    def __str__(self) -> str:
        return f"profile proxy of {self.member}"


class BaseCard(AutoProfileMixin, models.Model):
    """An abstract profile base: sends nothing, so nothing is connected for it."""

    holder = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="%(class)s"
    )

    class Meta:
        abstract = True


class LoyaltyCard(BaseCard):
    """The concrete child of the abstract base."""

    points = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"card of {self.holder}"


class Mentorship(AutoProfileMixin, models.Model):
    """Two one-to-one fields to the user model: ``profile_user_field`` names the one."""

    profile_user_field = "mentee"

    mentee = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mentorship"
    )
    mentor = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="mentoring",
    )

    def __str__(self) -> str:
        return f"mentorship of {self.mentee}"
