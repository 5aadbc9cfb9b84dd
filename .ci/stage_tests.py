"""Copy what the test suite needs, without the ``signalkit`` package, into a directory.

tox installs the built wheel and runs the suite from that copy, so ``import signalkit``
can only find the wheel: a template, a static file, a migration or ``py.typed`` missing
from the wheel fails the run instead of being read from the checkout.

Usage: python .ci/stage_tests.py DESTINATION
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# docs/, README.md and CHANGELOG.md: tests/test_docs.py checks them against the wheel's code.
# example_project/ holds the demo shop's own suite, example_project/tests/ with its pytest.ini,
# which tests/test_demo_suite.py runs in child processes from the copy; manage.py's directory
# is the project root both suites import from.
COPIED = [
    "tests",
    "example_project",
    "benchmarks",
    "manage.py",
    "pyproject.toml",
    "docs",
    "README.md",
    "CHANGELOG.md",
]
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.sqlite3", "_build", ".pytest_cache")


def main(destination: str) -> None:
    target = Path(destination)
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=IGNORED)
        else:
            shutil.copy2(source, target / name)
    print(f"staged {', '.join(COPIED)} in {target} (no signalkit/: the wheel is tested)")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
