"""Start-up cost of autodiscovery: signalkit against ``ready()`` imports written by hand.

What is measured: the CPU time (user + system) of ``python manage.py check`` as a whole process
(interpreter start, ``django.setup()``, every app's ``ready()``, the system checks, exit)
on a generated project of 100 apps, 50 of which have a ``signals.py`` connecting a
``post_save`` receiver for the app's model (see :mod:`benchmarks.project`). Two variants:

- signalkit: ``"signalkit"`` in ``INSTALLED_APPS``; the apps have no ``ready()`` and
  signalkit's autodiscovery imports the signals modules (it also looks up, and skips,
  the modules that do not exist: that search is part of the cost measured).
- by hand: no signalkit; each app with a signals module imports it in its AppConfig's
  ``ready()``, the classic way.

Why the comparison is fair: the two projects are generated from the same templates and
differ only in those lines; before anything is timed, a probe process in each variant
sends ``post_save`` for every generated model and checks that each generated receiver is
connected exactly once and to its own model, that the signalkit variant imports signalkit
from the package this interpreter would import, and that the by-hand variant does not
import signalkit at all. The benchmark aborts when the variants differ. Both variants run
with the same interpreter (``sys.executable``) and environment. Every module's bytecode,
the project's, Django's and signalkit's, is cached in a private ``PYTHONPYCACHEPREFIX`` by
the probe and warm-up runs: otherwise an editable install run under
``PYTHONDONTWRITEBYTECODE`` recompiles signalkit from source in every run while Django's
wheel ships its bytecode, which is not what a deployed project pays. One untimed warm-up
run of each variant comes first, then the timed runs alternate A B B A ... so drift of a
shared machine hits both; the medians are compared. The ratio is of CPU time, which other
work on a shared machine barely moves (wall-clock medians moved by +-7 % between runs
here); wall-clock medians are printed beside it.

Goal: signalkit's start-up at most 5 % slower than the hand-written imports.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

from benchmarks.project import CONTRIB_APPS, Project, generate
from benchmarks.result import BenchmarkError, Result, format_duration
from benchmarks.timing import ProcessTime, interleaved, run_process, time_process

NAME = "startup"
GOAL = 1.05


@dataclass(frozen=True)
class Config:
    apps: int
    with_signals: int
    runs: int
    warmups: int
    # Cache every module's bytecode in a private prefix (see the module docstring). Off
    # for --quick, whose figures mean nothing: compiling all of Django first takes seconds.
    cache_bytecode: bool


FULL = Config(apps=100, with_signals=50, runs=21, warmups=1, cache_bytecode=True)
QUICK = Config(apps=2, with_signals=1, runs=1, warmups=0, cache_bytecode=False)


class EquivalenceError(BenchmarkError):
    """The two variants do not connect the same receivers, so timing them is pointless."""


def run(quick: bool) -> Result:
    """Generate both projects in a temporary directory, check them, time them."""
    config = QUICK if quick else FULL
    with tempfile.TemporaryDirectory(prefix="signalkit-bench-startup-") as tmp:
        with_signalkit, by_hand = generate_variants(Path(tmp), config)
        receivers = check_equivalent(with_signalkit, by_hand)
        a_runs, b_runs = interleaved(
            lambda: time_check(with_signalkit),
            lambda: time_check(by_hand),
            runs=config.runs,
            warmups=config.warmups,
        )
    a_times, b_times = [t.cpu for t in a_runs], [t.cpu for t in b_runs]
    return Result(
        name=NAME,
        subject=statistics.median(a_times),
        baseline=statistics.median(b_times),
        goal=GOAL,
        runs=config.runs,
        quick=quick,
        details=(
            f"project: {config.apps} apps ({config.with_signals} with signals.py) "
            f"+ {len(CONTRIB_APPS)} contrib apps; timed: python manage.py check, "
            f"whole process",
            f"equivalence: passed - {receivers} post_save receivers, each connected "
            f"exactly once in both variants",
            f"CPU time, signalkit: {_spread(a_times)}",
            f"CPU time, by hand:   {_spread(b_times)}",
            f"wall clock, medians: signalkit "
            f"{format_duration(statistics.median(t.wall for t in a_runs))}, by hand "
            f"{format_duration(statistics.median(t.wall for t in b_runs))}",
            f"paired: median of the per-pair ratios (adjacent runs) "
            f"{statistics.median(a / b for a, b in zip(a_times, b_times, strict=True)):.3f}",
        ),
    )


def generate_variants(root: Path, config: Config) -> tuple[Project, Project]:
    """The signalkit and by-hand projects, in ``root/with_signalkit`` and ``root/by_hand``.

    With ``config.cache_bytecode``, both cache the bytecode of every module they import
    in ``root/pycache``.
    """
    sizes = {"apps": config.apps, "with_signals": config.with_signals}
    pycache = root / "pycache" if config.cache_bytecode else None
    return (
        generate(root / "with_signalkit", discovery="signalkit", pycache_prefix=pycache, **sizes),
        generate(root / "by_hand", discovery="ready", pycache_prefix=pycache, **sizes),
    )


def time_check(project: Project) -> ProcessTime:
    """How long ``python manage.py check`` takes in ``project``, as a process."""
    return time_process([sys.executable, "manage.py", "check"], cwd=project.root, env=project.env())


# Run with ``python -c`` in the project's directory: prints one line of JSON.
PROBE = """\
import json, sys
import django
django.setup()
from django.apps import apps
from django.db.models.signals import post_save
from bench_project.calls import CALLS
for model in apps.get_models():
    if model._meta.app_label.startswith("bench_app_"):
        post_save.send(
            sender=model, instance=model(title="probe"), created=False,
            update_fields=None, raw=False, using="default",
        )
signalkit = sys.modules.get("signalkit")
print(json.dumps({
    "calls": CALLS,
    "signalkit_installed": apps.is_installed("signalkit"),
    "signalkit_file": getattr(signalkit, "__file__", None),
}))
"""


def check_equivalent(with_signalkit: Project, by_hand: Project) -> int:
    """Check both variants connect the same receivers; return how many.

    Raises :class:`EquivalenceError` listing every difference: a generated receiver
    missing or connected more than once (or to another model), signalkit not installed
    (or imported from elsewhere than this interpreter's signalkit) in the signalkit
    variant, signalkit imported in the by-hand variant.
    """
    expected = Counter(with_signalkit.expected_calls)
    if expected != Counter(by_hand.expected_calls):
        raise EquivalenceError("the two projects were generated with different apps")
    problems: list[str] = []
    for label, project in (("signalkit", with_signalkit), ("by hand", by_hand)):
        report = _probe(project)
        calls = Counter(report.calls)
        if missing := sorted((expected - calls).elements()):
            problems.append(f"{label} variant: receivers not connected: {missing}")
        if extra := sorted((calls - expected).elements()):
            problems.append(
                f"{label} variant: receivers connected more than once, or to another model: {extra}"
            )
        problems += _check_signalkit(label, project, report)
    if problems:
        raise EquivalenceError(
            "the variants are not equivalent, so their timings would not compare the "
            "same work:\n  " + "\n  ".join(problems)
        )
    return sum(expected.values())


@dataclass(frozen=True)
class ProbeReport:
    """What the probe saw in one variant."""

    calls: list[str]
    signalkit_installed: bool
    signalkit_file: str | None


def _probe(project: Project) -> ProbeReport:
    completed = run_process([sys.executable, "-c", PROBE], cwd=project.root, env=project.env())
    lines = completed.stdout.strip().splitlines()
    try:
        raw = json.loads(lines[-1])
        report = ProbeReport(
            calls=[str(call) for call in raw["calls"]],
            signalkit_installed=bool(raw["signalkit_installed"]),
            signalkit_file=raw["signalkit_file"],
        )
    except (IndexError, ValueError, KeyError, TypeError) as exc:
        raise BenchmarkError(
            f"the probe in {project.root} printed no report: {completed.stdout!r}"
        ) from exc
    return report


def _check_signalkit(label: str, project: Project, report: ProbeReport) -> list[str]:
    installed = report.signalkit_installed
    imported = report.signalkit_file
    if project.discovery == "ready":
        if installed or imported:
            return [f"{label} variant: imports signalkit ({imported})"]
        return []
    if not installed:
        return [f"{label} variant: signalkit is not in INSTALLED_APPS"]
    ours = _signalkit_dir()
    if imported is None or Path(imported).resolve().parent != ours:
        return [
            f"{label} variant: imported signalkit from {imported}, not from {ours} "
            f"(the package this interpreter imports); install the checkout being "
            f"measured with `python -m pip install -e .`"
        ]
    return []


def _signalkit_dir() -> Path:
    """The directory of the signalkit package this interpreter would import."""
    spec = find_spec("signalkit")
    if spec is None or spec.origin is None:
        raise BenchmarkError(
            f"signalkit is not importable by {sys.executable}; install it with "
            f"`python -m pip install -e .` from the checkout"
        )
    return Path(spec.origin).resolve().parent


def _spread(times: list[float]) -> str:
    return (
        f"median {format_duration(statistics.median(times))}, "
        f"min {format_duration(min(times))}, max {format_duration(max(times))}"
    )
