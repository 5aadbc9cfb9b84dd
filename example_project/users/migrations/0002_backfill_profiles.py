"""Give the users that predate the users app a profile (created by AutoProfileMixin since)."""

from __future__ import annotations

from django.conf import settings
from django.db import migrations

from signalkit.mixins.profiles import BackfillProfiles


class Migration(migrations.Migration):
    dependencies = [
        ("users", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(
            BackfillProfiles("users.Profile"), migrations.RunPython.noop, elidable=True
        ),
    ]
