"""Give the users created before the profile model a profile (AutoProfileMixin's since)."""

from __future__ import annotations

from django.conf import settings
from django.db import migrations

from signalkit.mixins.profiles import BackfillProfiles


class Migration(migrations.Migration):
    dependencies = [
        ("shop", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(
            BackfillProfiles("shop.Profile"), migrations.RunPython.noop, elidable=True
        ),
    ]
