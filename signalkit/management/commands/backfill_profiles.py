"""``python manage.py backfill_profiles``: create the profiles users created earlier lack.

    $ python manage.py backfill_profiles                      # every AutoProfileMixin model
    $ python manage.py backfill_profiles --model users.Profile --batch-size 5000
    $ python manage.py backfill_profiles --dry-run            # count, write nothing
    $ python manage.py backfill_profiles --database replica_primary

Runs ``Profile.backfill()`` for each profile model: two queries per batch, each batch in
its own transaction, so it can be interrupted and run again. On a terminal a progress line
is updated after each batch.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from signalkit.mixins.profiles import AutoProfileMixin, profile_models


class Command(BaseCommand):
    """``backfill_profiles [--model app.Profile]... [--batch-size N] [--dry-run] [--database]``."""

    help = (
        "Create the missing profiles of every model using signalkit's AutoProfileMixin "
        "(or of --model), in batches: for users created before the profile model or "
        "its receiver existed, or with bulk_create()."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--model",
            action="append",
            metavar="APP_LABEL.MODEL",
            help="Only this profile model, e.g. 'users.Profile'. Repeatable. Default: all.",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=1000,
            metavar="N",
            help="Users per batch: one SELECT and one bulk INSERT each (default: 1000).",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Only count the users without a profile; write nothing.",
        )
        parser.add_argument(
            "--database",
            choices=tuple(connections),
            help="The database to backfill (default: the router's choice for each model).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.verbosity: int = options["verbosity"]
        batch_size: int = options["batch_size"]
        if batch_size < 1:
            raise CommandError(f"--batch-size must be a positive integer, not {batch_size}.")
        chosen = self._models(options["model"] or [])
        if not chosen:
            self._say("No installed model uses signalkit's AutoProfileMixin: nothing to do.")
            return
        for model in chosen:
            self._backfill(model, batch_size, options["database"], options["dry_run"])

    def _models(self, labels: list[str]) -> list[type[AutoProfileMixin]]:
        known = profile_models()
        if not labels:
            return known
        choices = ", ".join(model._meta.label for model in known) or "none is installed"
        chosen = []
        for label in labels:
            try:
                model = apps.get_model(label)
            except (LookupError, ValueError):
                raise CommandError(
                    f"--model {label!r} is not an installed model. Profile models: {choices}."
                ) from None
            if model not in known:
                raise CommandError(
                    f"--model {label!r}: {model._meta.label} does not use AutoProfileMixin. "
                    f"Profile models: {choices}."
                )
            if model not in chosen:
                chosen.append(model)
        return chosen

    def _backfill(
        self, model: type[AutoProfileMixin], batch_size: int, using: str | None, dry_run: bool
    ) -> None:
        label = model._meta.label
        missing = model.users_without_profile(using).count()
        noun = "user" if missing == 1 else "users"
        if dry_run:
            self._say(f"{label}: {missing:,} {noun} without a profile; --dry-run: nothing written.")
            return
        if not missing:
            self._say(f"{label}: every user has a profile.")
            return
        self._say(f"{label}: {missing:,} {noun} without a profile.")
        show_progress = self.stdout.isatty() and self.verbosity >= 1

        def progress(created: int) -> None:
            if show_progress:
                done = min(created, missing)
                self.stdout.write(
                    f"\r{label}: {done:,} of {missing:,} ({100 * done // missing}%)", ending=""
                )
                self.stdout.flush()

        created = model.backfill(batch_size=batch_size, using=using, progress=progress)
        if show_progress:
            self.stdout.write("")
        noun = "profile" if created == 1 else "profiles"
        self._say(self.style.SUCCESS(f"{label}: created {created:,} {noun}."))

    def _say(self, message: str) -> None:
        if self.verbosity >= 1:
            self.stdout.write(message)
