"""Timing helpers shared by the benchmarks: whole processes, interleaved A/B runs."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from benchmarks.result import BenchmarkError

T = TypeVar("T")

REPO = Path(__file__).resolve().parent.parent

# Nothing measured here should take this long; a hung child must not hang the run.
TIMEOUT_SECONDS = 300


def run_process(
    args: Sequence[str], *, cwd: Path, env: Mapping[str, str]
) -> subprocess.CompletedProcess[str]:
    """Run ``args`` to completion; raise :class:`BenchmarkError` unless it exits 0."""
    try:
        completed = subprocess.run(
            args,
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise BenchmarkError(
            f"{' '.join(args)} (in {cwd}) did not finish in {TIMEOUT_SECONDS} s"
        ) from exc
    if completed.returncode != 0:
        raise BenchmarkError(
            f"{' '.join(args)} (in {cwd}) exited with status {completed.returncode}:\n"
            f"{completed.stderr.strip() or completed.stdout.strip()}"
        )
    return completed


@dataclass(frozen=True)
class ProcessTime:
    """How long one process took: wall clock, and CPU (user + system) it used."""

    wall: float
    cpu: float


def time_process(args: Sequence[str], *, cwd: Path, env: Mapping[str, str]) -> ProcessTime:
    """Time ``args`` as a whole process, start to exit.

    CPU time is read from ``RUSAGE_CHILDREN`` before and after (children run one at a
    time here): unlike wall-clock time, it barely moves when other work shares the machine.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    run_process(args, cwd=cwd, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return ProcessTime(wall=wall, cpu=cpu)


def interleaved(
    a: Callable[[], T],
    b: Callable[[], T],
    *,
    runs: int,
    warmups: int = 1,
) -> tuple[list[T], list[T]]:
    """Call ``a`` and ``b`` ``runs`` times each, interleaved; return their timings.

    Each callable performs one measurement and returns its duration. ``warmups`` untimed
    calls of each come first (file-system cache, bytecode, CPU frequency). The timed calls
    go A B B A A B B A ...: interleaving spreads slow drift of the machine over both
    variants, and alternating which goes first cancels a linear drift within each pair
    of pairs and any advantage of going first or second.
    """
    for _ in range(warmups):
        a()
        b()
    a_times: list[T] = []
    b_times: list[T] = []
    for i in range(runs):
        if i % 2 == 0:
            a_times.append(a())
            b_times.append(b())
        else:
            b_times.append(b())
            a_times.append(a())
    return a_times, b_times


def turns(variants: Sequence[T], round_number: int) -> list[T]:
    """The order in which ``variants`` take their turns in round ``round_number`` (from 0).

    For variants measured in turns in one process, once per round: the order rotates by
    one each round, and every other round runs backwards, so over each ``2 * len(variants)``
    rounds every variant goes first and last equally often; a slow drift of the machine and
    any advantage of a position (a warm cache, a garbage collection owed) fall on all alike.
    """
    shift = round_number % len(variants)
    order = [*variants[shift:], *variants[:shift]]
    return order if round_number % 2 == 0 else order[::-1]


def run_child(
    module: str,
    *args: str,
    cwd: Path,
    path: Sequence[Path] = (),
    unset: Sequence[str] = ("DJANGO_SETTINGS_MODULE",),
) -> tuple[Any, str]:
    """Run ``<module>.child(args)`` in a fresh interpreter; return (its JSON report, stdout).

    The report is the last line the child prints. The child runs in this environment minus
    ``unset`` (an inherited ``DJANGO_SETTINGS_MODULE`` would configure another project),
    with the repository and ``path`` on ``PYTHONPATH``.
    """
    env = {name: value for name, value in os.environ.items() if name not in unset}
    env["PYTHONPATH"] = os.pathsep.join(str(entry) for entry in (REPO, *path))
    code = f"import sys; from {module} import child; child(sys.argv[1:])"
    completed = run_process([sys.executable, "-c", code, *args], cwd=cwd, env=env)
    lines = completed.stdout.strip().splitlines()
    try:
        return json.loads(lines[-1]), completed.stdout
    except (IndexError, ValueError) as exc:
        raise BenchmarkError(f"{module}.child printed no report: {completed.stdout!r}") from exc
