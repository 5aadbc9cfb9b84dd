"""A data migration backfilling a profile model with two OneToOneFields to the user model."""

from __future__ import annotations

from django.conf import settings
from django.db import migrations

from signalkit.mixins.profiles import BackfillProfiles


class Migration(migrations.Migration):
    dependencies = [
        ("profiles_swapped_app", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(
            BackfillProfiles("profiles_swapped_app.Mentorship", user_field="mentee"),
            migrations.RunPython.noop,
            elidable=True,
        ),
    ]
