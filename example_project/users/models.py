from __future__ import annotations

from django.conf import settings
from django.db import models

from signalkit.mixins import AutoProfileMixin


class Profile(AutoProfileMixin, models.Model):
    """Extra data about a user, created with the user by signalkit's AutoProfileMixin.

    ``Profile.for_user(user)`` gets or creates it; ``python manage.py backfill_profiles``
    (or migration ``0002_backfill_profiles``) creates the profiles of users that predate
    this app.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    bio = models.TextField(blank=True)
    location = models.CharField(max_length=100, blank=True)

    def __str__(self) -> str:
        return f"Profile of {self.user}"
