"""The command line: run the registered benchmarks and print one ratio line for each.

Exit status 0 when every benchmark ran (whether or not its goal was met: goals are
reported, not enforced), 1 when one of them failed, 2 on a usage error.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence
from importlib import import_module
from typing import Protocol, cast

from benchmarks import BENCHMARKS
from benchmarks.result import BenchmarkError, Result


class Benchmark(Protocol):
    """What a module registered in ``BENCHMARKS`` provides."""

    def run(self, quick: bool) -> Result: ...


def load(name: str) -> Benchmark:
    """Import the module registered as ``name`` in ``BENCHMARKS``."""
    return cast(Benchmark, import_module(BENCHMARKS[name]))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=(
            "Run signalkit's ratio benchmarks (signalkit's cost / the by-hand cost, "
            "lower is better). Goals are reported, not enforced."
        ),
    )
    parser.add_argument(
        "names",
        nargs="*",
        metavar="benchmark",
        help=f"benchmarks to run (default: all): {', '.join(BENCHMARKS)}",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a tiny configuration that only shows the benchmarks run; "
        "its figures are not meaningful",
    )
    args = parser.parse_args(argv)
    names: list[str] = args.names or list(BENCHMARKS)
    for name in names:
        if name not in BENCHMARKS:
            parser.error(f"unknown benchmark {name!r}; choose from: {', '.join(BENCHMARKS)}")

    if args.quick:
        print("--quick: tiny configurations; the figures below are not meaningful.")
    failed = []
    for name in dict.fromkeys(names):
        print(f"{name}: running...", file=sys.stderr, flush=True)
        try:
            result = load(name).run(quick=args.quick)
        except BenchmarkError as exc:
            print(f"{name}: ERROR - {exc}", file=sys.stderr, flush=True)
            failed.append(name)
            continue
        except Exception:
            traceback.print_exc()
            print(f"{name}: ERROR - see the traceback above", file=sys.stderr, flush=True)
            failed.append(name)
            continue
        for line in result.lines():
            print(line, flush=True)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0
