"""``python manage.py backfill_profiles``: create the profiles users created earlier lack.

    $ python manage.py backfill_profiles                      # every AutoProfileMixin model
    $ python manage.py backfill_profiles --model users.Profile --batch-size 5000
    $ python manage.py backfill_profiles --dry-run            # count, write nothing
    $ python manage.py backfill_profiles --database replica_primary

Runs ``Profile.backfill()`` for each profile model: two queries per batch, each batch in
its own transaction, so it can be interrupted and run again. On a terminal a progress line
is updated after each batch. Every option is checked before anything is read or written: a
bad value (``--batch-size`` that is not a whole number from 1 to 100,000, a ``--model`` that
is not an installed profile model, a ``--database`` that is not configured) is one line
naming it and the valid values, exit status 1.
"""

from __future__ import annotations

import re
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, connections

from signalkit.mixins.profiles import MAX_BATCH_SIZE, AutoProfileMixin, profile_models

# ASCII digits only: int() would also take "1_000" and digits of other scripts.
WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+")


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
            default=1000,
            metavar="N",
            help=(
                f"Users per batch: one SELECT and one bulk INSERT each, from 1 to "
                f"{MAX_BATCH_SIZE} (default: 1000)."
            ),
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Only count the users without a profile; write nothing.",
        )
        parser.add_argument(
            "--database",
            metavar="ALIAS",
            help="The database to backfill (default: the router's choice for each model).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.verbosity: int = options["verbosity"]
        batch_size = self._batch_size(options["batch_size"])
        database = self._database(options["database"])
        chosen = self._models(options["model"] or [])
        if not chosen:
            self._say("No installed model uses signalkit's AutoProfileMixin: nothing to do.")
            return
        for model in chosen:
            self._backfill(model, batch_size, database, options["dry_run"])

    def _batch_size(self, value: object) -> int:
        # A str from the command line; an int (or anything else) from call_command().
        number = value
        if isinstance(value, str) and WHOLE_NUMBER.fullmatch(value.strip()):
            number = int(value)
        if type(number) is int and 1 <= number <= MAX_BATCH_SIZE:  # a bool is no batch size
            return number
        raise CommandError(
            f"--batch-size {value!r} is not a whole number from 1 to {MAX_BATCH_SIZE} "
            f"(users per batch)."
        )

    def _database(self, alias: str | None) -> str | None:
        if alias is None or alias in connections:
            return alias
        choices = ", ".join(connections)
        raise CommandError(
            f"--database {alias!r} is not a configured database. Databases: {choices}."
        )

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
        done = [0]  # profiles created so far, for the error message
        try:
            self._backfill_model(model, batch_size, using, dry_run, done)
        except DatabaseError as error:
            # One line (the driver's message may span several); --traceback shows the chain.
            reason = " ".join(str(error).split()) or type(error).__name__
            noun = "profile" if done[0] == 1 else "profiles"
            raise CommandError(
                f"{label}: the database refused the backfill after {done[0]:,} new {noun}: "
                f"{reason}. Each batch commits on its own: fix the cause and run the command "
                f"again to resume."
            ) from error

    def _backfill_model(
        self,
        model: type[AutoProfileMixin],
        batch_size: int,
        using: str | None,
        dry_run: bool,
        done: list[int],
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
            done[0] = created
            if show_progress:
                shown = min(created, missing)
                self.stdout.write(
                    f"\r{label}: {shown:,} of {missing:,} ({100 * shown // missing}%)", ending=""
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
