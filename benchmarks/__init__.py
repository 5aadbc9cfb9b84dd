"""Reproducible ratio benchmarks: signalkit against the same job done by hand.

Run them with ``python -m benchmarks`` (all), ``python -m benchmarks startup`` (one) or
``python -m benchmarks --quick`` (a tiny configuration that only shows they run). Each
benchmark prints one line, ``name: ratio R (goal <= G, met) - ...``, where R is
signalkit's cost divided by the by-hand cost: lower is better (a figure without a goal
reads ``goal: none, reported``). Goals are reported, not enforced: timings on a shared
machine are noisy, so the test suite never asserts on them.

Adding a benchmark: write ``benchmarks/<name>.py`` with a module docstring saying what is
measured and why the comparison is fair, and a ``run(quick: bool) -> Result`` function;
then add one line to ``BENCHMARKS`` below.
"""

from __future__ import annotations

# benchmark name -> module defining ``run(quick: bool) -> benchmarks.result.Result``.
# Modules are imported only when their benchmark runs.
BENCHMARKS: dict[str, str] = {
    "startup": "benchmarks.startup",
    "registry": "benchmarks.registry_scaling",
    "listsignals": "benchmarks.listsignals",
    "muting": "benchmarks.muting",
    "backfill": "benchmarks.profile_backfill",
    "admin": "benchmarks.admin_page",
    "stock": "benchmarks.stock",
    "deferred": "benchmarks.deferred",
    "tracing": "benchmarks.tracing",
}
