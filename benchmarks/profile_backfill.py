"""``Profile.backfill()`` against a per-user ``get_or_create`` loop, 100,000 users, SQLite.

What is measured: the CPU time of creating the missing profiles of 100,000 users that have
none (inserted with ``bulk_create``, so no ``post_save``: users that predate the profile
model), in one child process, two ways:

- signalkit: ``Profile.backfill(batch_size=1000)``: per batch, one SELECT of users without a
  profile (``NOT EXISTS``, keyset-paginated on the primary key) and one ``bulk_create``;
- by hand: the loop people write in a data migration or a shell,
  ``for user in User.objects.iterator(): Profile.objects.get_or_create(user=user)``.

Why the comparison is fair: the same process, database file, models (the example shop's
``users.Profile``, with AutoProfileMixin) and users, and each variant starts from the same
state (every profile deleted, untimed). Both run inside one ``transaction.atomic()``, as in
a data migration: that is the loop's best case (in autocommit each ``get_or_create`` would
commit, and wait for the disk, on its own). Before the figures are used, each variant's
result is checked: exactly one profile per user, with the same field values, else the
benchmark aborts. Every statement sent to the database is counted
(``connection.execute_wrapper``, savepoints included) and printed: the loop's grow with the
users (four per user), ``backfill()``'s with the batches (a SELECT, the INSERTs SQLite's
limit of bound parameters splits a batch into, and a savepoint around them). One timed run
of each by default (the loop alone takes over a minute; with more runs they alternate
A B B A ... and the medians are compared). The ratio is of CPU time (SQLite runs in the
process, so that is the work of both), which other work on a shared machine barely moves;
wall-clock times are printed beside it.

Goal: ``backfill()`` at least 20 times faster, i.e. a ratio of at most 0.05.
"""

from __future__ import annotations

import json
import math
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.result import BenchmarkError, Result, format_duration
from benchmarks.timing import run_child

NAME = "backfill"
GOAL = 0.05

# Where ``benchmarks`` and ``example_project`` are importable from in the child process.
REPO = Path(__file__).resolve().parent.parent

VARIANTS = ("backfill", "loop")


@dataclass(frozen=True)
class Config:
    users: int
    batch_size: int
    runs: int


FULL = Config(users=100_000, batch_size=1_000, runs=1)
QUICK = Config(users=300, batch_size=100, runs=1)


@dataclass(frozen=True)
class Measurement:
    """What the child measured for one variant (times in seconds)."""

    cpu: list[float]
    wall: list[float]
    queries: int  # statements of one run (the same in every run)
    created: int


def run(quick: bool) -> Result:
    """Measure both variants in one child process and compare their CPU times."""
    config = QUICK if quick else FULL
    with tempfile.TemporaryDirectory(prefix="signalkit-bench-backfill-") as tmp:
        measured = measure(Path(tmp), config)
    ours, theirs = measured["backfill"], measured["loop"]
    subject, baseline = statistics.median(ours.cpu), statistics.median(theirs.cpu)
    batches = math.ceil(config.users / config.batch_size)
    return Result(
        name=NAME,
        subject=subject,
        baseline=baseline,
        goal=GOAL,
        runs=config.runs,
        quick=quick,
        subject_label="Profile.backfill()",
        baseline_label="get_or_create loop",
        details=(
            f"{config.users:,} users without a profile, SQLite file, batch_size="
            f"{config.batch_size:,}; each variant created {ours.created:,} profiles, one per "
            f"user (checked)",
            f"queries: backfill() {ours.queries:,} for {batches:,} batches "
            f"({ours.queries / batches:.1f} per batch: O(users / batch_size)); "
            f"get_or_create loop {theirs.queries:,} "
            f"({theirs.queries / config.users:.1f} per user: O(users))",
            f"backfill() is {baseline / subject:.1f}x faster (CPU); wall clock, medians: "
            f"{format_duration(statistics.median(ours.wall))} vs "
            f"{format_duration(statistics.median(theirs.wall))}",
        ),
    )


def check(measured: dict[str, Measurement], config: Config) -> None:
    """Raise :class:`BenchmarkError` unless both variants created every profile."""
    for variant in VARIANTS:
        created = measured[variant].created
        if created != config.users:
            raise BenchmarkError(
                f"the {variant} variant left {created:,} of {config.users:,} users with a "
                f"profile; the timing would not measure the same work"
            )


def measure(root: Path, config: Config) -> dict[str, Measurement]:
    """Run :func:`child` in a fresh interpreter; return its measurements, checked."""
    raw, stdout = run_child(
        "benchmarks.profile_backfill",
        str(root / "bench.sqlite3"),
        str(config.users),
        str(config.batch_size),
        str(config.runs),
        cwd=root,
        unset=("DJANGO_SETTINGS_MODULE", "SIGNALKIT_DATABASE_URL"),
    )
    try:
        measured = {
            variant: Measurement(
                cpu=[float(t) for t in raw[variant]["cpu"]],
                wall=[float(t) for t in raw[variant]["wall"]],
                queries=int(raw[variant]["queries"]),
                created=int(raw[variant]["created"]),
            )
            for variant in VARIANTS
        }
    except (IndexError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BenchmarkError(f"the backfill child printed no report: {stdout!r}") from exc
    check(measured, config)
    return measured


# --- the child process ---------------------------------------------------------------------


def child(argv: Sequence[str]) -> None:
    """In the child: set up the database, time both variants A B B A ..., print JSON."""
    database, users, batch_size, runs = argv[0], *(int(arg) for arg in argv[1:])
    import django
    from django.conf import settings

    settings.configure(
        INSTALLED_APPS=[
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "signalkit",
            "example_project.users",
        ],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": database}},
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        USE_TZ=True,
        SECRET_KEY="signalkit-benchmark",
    )
    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection, transaction

    from example_project.users.models import Profile

    call_command("migrate", verbosity=0)
    User.objects.bulk_create(
        (User(username=f"user{i:06d}", password="!") for i in range(users)), batch_size=5_000
    )

    def by_hand() -> None:
        for user in User.objects.order_by("pk").iterator(chunk_size=2_000):
            Profile.objects.get_or_create(user=user)

    def with_signalkit() -> None:
        Profile.backfill(batch_size=batch_size)

    work = {"backfill": with_signalkit, "loop": by_hand}
    report: dict[str, dict[str, Any]] = {
        variant: {"cpu": [], "wall": [], "queries": 0, "created": 0} for variant in VARIANTS
    }
    statements = [0]

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        statements[0] += 1
        return execute(sql, params, many, context)

    def measure_once(variant: str) -> None:
        Profile.objects.all().delete()
        statements[0] = 0
        with connection.execute_wrapper(count):
            cpu, wall = time.process_time(), time.perf_counter()
            with transaction.atomic():
                work[variant]()
            report[variant]["wall"].append(time.perf_counter() - wall)
            report[variant]["cpu"].append(time.process_time() - cpu)
        report[variant]["queries"] = statements[0]
        one_each = Profile.objects.filter(bio="", location="").values("user").distinct().count()
        report[variant]["created"] = one_each if Profile.objects.count() == one_each else -1

    for index in range(runs):
        order = VARIANTS if index % 2 == 0 else VARIANTS[::-1]
        for variant in order:
            measure_once(variant)
    print(json.dumps(report))
