"""Give every new user a profile: the tutorial's post_save receiver.

signalkit imports this module at start-up; nothing in the app imports it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models.signals import post_save
from django.dispatch import receiver

from example_project.users.models import Profile


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def create_profile(
    sender: type[AbstractBaseUser],
    instance: AbstractBaseUser,
    created: bool,
    raw: bool,
    **kwargs: Any,
) -> None:
    """Create the profile of a user that was just created.

    Saving an existing user does nothing, and neither does ``loaddata`` (``raw``): a
    fixture brings its own profiles, and the database may not be complete yet.
    """
    if raw or not created:
        return
    Profile.objects.create(user=instance)
