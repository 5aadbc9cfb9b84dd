"""``manage.py listsignals --format json`` against django-extensions' ``list_signals``.

What is measured: the CPU time (user + system) of each command as a whole process
(interpreter start, ``django.setup()`` with its 5,000 ``connect()`` calls, collecting the
receivers, printing, exit; no system checks, see below) on one generated project of 50
apps with 100 receivers each (see :func:`benchmarks.project.generate_receivers`). Ratio:
signalkit / django-extensions. Goal: at most 1.0, signalkit no slower than the tool people
use today.

Why the comparison is fair: both commands run in the same project, with the same settings
(``"signalkit"`` and ``"django_extensions"`` both installed, signalkit's autodiscovery
importing the signals modules), the same interpreter (``sys.executable``) and environment.
django-extensions only lists receivers of model signals whose sender is a model, so every
generated receiver is one: a module-level function connected with
``@receiver(pre_save|post_save|pre_delete|post_delete, sender=Note)``. Before anything is
timed each command is run once and must exit 0 and name every generated receiver (its
dotted path, found in the output with the same pattern for both) and nothing else of that
form; signalkit's output must also be valid JSON. The benchmark aborts otherwise. The work
differs in kind where the tools differ: signalkit also lists every other known signal and
its receivers and serialises flags, problems (duplicates, dead receivers, missing
``**kwargs``) and source locations as JSON, while django-extensions prints one text line per
receiver; that is the job each command does for its user. signalkit's command runs no
system checks (``requires_system_checks = ()``); django-extensions' runs every system check
first by default, and those include signalkit's own receiver checks (a snapshot of every
receiver), which would put signalkit's work into the baseline. So the baseline is timed as
``list_signals --skip-checks``: the listing alone against the listing alone. Skipping
Django's checks too can only make the baseline cheaper, so this errs against signalkit;
the default invocation is timed apart and printed as a detail. Every module's bytecode,
Django's and signalkit's too, is cached in a private ``PYTHONPYCACHEPREFIX`` by those
first runs and the warm-up run of each, then the timed runs alternate A B B A ... and the
medians are compared. The ratio is of CPU time, which other work on a shared machine
barely moves; wall-clock medians are printed beside it.
"""

from __future__ import annotations

import json
import re
import statistics
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

from benchmarks.project import CONTRIB_APPS, ReceiversProject, generate_receivers
from benchmarks.result import BenchmarkError, Result, format_duration
from benchmarks.timing import ProcessTime, interleaved, run_process, time_process

NAME = "listsignals"
GOAL = 1.0

# A generated receiver's dotted path, as both commands print it.
RECEIVER_PATH = re.compile(r"\bbench_app_\d{3}\.signals\.bench_receiver_\d{3}\b")


@dataclass(frozen=True)
class Config:
    apps: int
    receivers_per_app: int
    runs: int
    warmups: int
    # Runs of each in the side series: django-extensions with and without --skip-checks.
    default_runs: int
    # See benchmarks.startup.Config.cache_bytecode.
    cache_bytecode: bool


FULL = Config(
    apps=50, receivers_per_app=100, runs=15, warmups=1, default_runs=5, cache_bytecode=True
)
QUICK = Config(apps=2, receivers_per_app=5, runs=1, warmups=0, default_runs=1, cache_bytecode=False)


@dataclass(frozen=True)
class Side:
    """One of the two commands compared: ``python <args>`` in the project's directory."""

    label: str
    args: tuple[str, ...]
    json_output: bool = False


SIGNALKIT = Side("signalkit", ("manage.py", "listsignals", "--format", "json"), json_output=True)
# --skip-checks: see the module docstring. EXTENSIONS_DEFAULT is timed apart, as a detail.
EXTENSIONS = Side("django-extensions", ("manage.py", "list_signals", "--skip-checks"))
EXTENSIONS_DEFAULT = Side("django-extensions", ("manage.py", "list_signals"))


class LikeForLikeError(BenchmarkError):
    """The two commands do not both list the generated receivers: timing them is pointless."""


def run(quick: bool) -> Result:
    """Generate the project in a temporary directory, check both commands, time them."""
    config = QUICK if quick else FULL
    require_django_extensions()
    with tempfile.TemporaryDirectory(prefix="signalkit-bench-listsignals-") as tmp:
        project = generate_project(Path(tmp), config)
        sizes = check_like_for_like(project)
        a_runs, b_runs = interleaved(
            lambda: time_side(project, SIGNALKIT),
            lambda: time_side(project, EXTENSIONS),
            runs=config.runs,
            warmups=config.warmups,
        )
        default_runs, skip_runs = interleaved(
            lambda: time_side(project, EXTENSIONS_DEFAULT),
            lambda: time_side(project, EXTENSIONS),
            runs=config.default_runs,
            warmups=0,
        )
    a_times, b_times = [t.cpu for t in a_runs], [t.cpu for t in b_runs]
    receivers = len(project.receivers)
    return Result(
        name=NAME,
        subject=statistics.median(a_times),
        baseline=statistics.median(b_times),
        goal=GOAL,
        runs=config.runs,
        quick=quick,
        subject_label="signalkit listsignals --format json",
        baseline_label="django-extensions list_signals --skip-checks",
        details=(
            f"project: {config.apps} apps x {config.receivers_per_app} model-signal "
            f"receivers = {receivers:,} + {len(CONTRIB_APPS)} contrib apps, signalkit and "
            f"django_extensions both installed; timed: each command, whole process",
            f"like for like: passed - both exit 0 and name all {receivers:,} generated "
            f"receivers (output: signalkit {sizes[SIGNALKIT.label]:,} bytes of JSON, "
            f"django-extensions {sizes[EXTENSIONS.label]:,} bytes of text)",
            f"CPU time, signalkit:         {_spread(a_times)}",
            f"CPU time, django-extensions: {_spread(b_times)}",
            f"wall clock, medians: signalkit "
            f"{format_duration(statistics.median(t.wall for t in a_runs))}, django-extensions "
            f"{format_duration(statistics.median(t.wall for t in b_runs))}",
            f"paired: median of the per-pair ratios (adjacent runs) "
            f"{statistics.median(a / b for a, b in zip(a_times, b_times, strict=True)):.3f}",
            f"django-extensions as invoked by default (system checks first, signalkit's "
            f"included), CPU median {_median_cpu(default_runs)} vs "
            f"{_median_cpu(skip_runs)} with --skip-checks, {config.default_runs} "
            f"interleaved runs each; not in the ratio",
        ),
    )


def require_django_extensions() -> None:
    """Raise :class:`BenchmarkError` saying how to install the baseline when it is missing."""
    if find_spec("django_extensions") is None:
        raise BenchmarkError(
            f"django-extensions, the baseline, is not importable by {sys.executable}; "
            f'install it with `python -m pip install -e ".[dev]"` (or `python -m pip '
            f"install django-extensions`)"
        )


def generate_project(root: Path, config: Config) -> ReceiversProject:
    """The shared project, in ``root/project``; bytecode cached in ``root/pycache``."""
    return generate_receivers(
        root / "project",
        apps=config.apps,
        receivers_per_app=config.receivers_per_app,
        extra_apps=("django_extensions",),
        pycache_prefix=root / "pycache" if config.cache_bytecode else None,
    )


def time_side(project: ReceiversProject, side: Side) -> ProcessTime:
    """How long ``side``'s command takes in ``project``, as a process."""
    return time_process([sys.executable, *side.args], cwd=project.root, env=project.env())


def check_like_for_like(
    project: ReceiversProject, sides: tuple[Side, ...] = (SIGNALKIT, EXTENSIONS)
) -> dict[str, int]:
    """Run each side once; check it exits 0 and names exactly the generated receivers.

    Returns the size of each side's output, by label. Raises :class:`LikeForLikeError`
    listing every side that misses a generated receiver, names one that was not generated
    or (``json_output``) prints something that is not JSON; a command that fails raises
    :class:`BenchmarkError` with its error output.
    """
    expected = set(project.receivers)
    problems: list[str] = []
    sizes: dict[str, int] = {}
    for side in sides:
        output = run_process(
            [sys.executable, *side.args], cwd=project.root, env=project.env()
        ).stdout
        sizes[side.label] = len(output.encode())
        problems += _problems(side, output, expected)
    if problems:
        raise LikeForLikeError(
            "the two commands do not both list the generated receivers, so their timings "
            "would not compare the same work:\n  " + "\n  ".join(problems)
        )
    return sizes


def receivers_named(output: str) -> Counter[str]:
    """The generated receivers' dotted paths found in ``output``, with their counts."""
    return Counter(RECEIVER_PATH.findall(output))


def _problems(side: Side, output: str, expected: set[str]) -> list[str]:
    problems = []
    command = " ".join(side.args)
    if side.json_output:
        try:
            json.loads(output)
        except ValueError as exc:
            problems.append(f"{side.label} ({command}): the output is not JSON: {exc}")
    seen = set(receivers_named(output))
    if missing := sorted(expected - seen):
        problems.append(
            f"{side.label} ({command}): {len(missing)} of the {len(expected)} generated "
            f"receivers are not listed, e.g. {', '.join(missing[:3])}"
        )
    if unknown := sorted(seen - expected):
        problems.append(
            f"{side.label} ({command}): lists receivers that were not generated, e.g. "
            f"{', '.join(unknown[:3])}"
        )
    return problems


def _median_cpu(runs: list[ProcessTime]) -> str:
    return format_duration(statistics.median(t.cpu for t in runs))


def _spread(times: list[float]) -> str:
    return (
        f"median {format_duration(statistics.median(times))}, "
        f"min {format_duration(min(times))}, max {format_duration(max(times))}"
    )
