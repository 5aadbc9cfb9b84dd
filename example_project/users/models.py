from __future__ import annotations

from django.conf import settings
from django.db import models


class Profile(models.Model):
    """Extra data about a user, created with the user by ``users.signals.create_profile``."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    bio = models.TextField(blank=True)
    location = models.CharField(max_length=100, blank=True)

    def __str__(self) -> str:
        return f"Profile of {self.user}"
