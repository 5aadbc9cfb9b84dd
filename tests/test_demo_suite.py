"""The demo shop's own suite (``example_project/tests``), run by ``pytest`` in child processes.

The demo's tests run with settings of their own (``example_project/tests/settings.py``), and
Django is set up once per process: each demo test module runs as ``python -m pytest MODULE``
from the repository root, which reads ``example_project/tests/pytest.ini``. The child inherits
the environment (not ``DJANGO_SETTINGS_MODULE``), so ``SIGNALKIT_DATABASE_URL`` and
``SIGNALKIT_BROWSER_TESTS`` reach it; on a server its test database is ``test_<name>_demo``.
"""

from __future__ import annotations

import configparser
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from tests.processes import REPO_ROOT, run_python

DEMO_TESTS = REPO_ROOT / "example_project" / "tests"
DEMO_MODULES = sorted(
    path.relative_to(REPO_ROOT).as_posix() for path in DEMO_TESTS.glob("test_*.py")
)
NO_TESTS_COLLECTED = 5  # pytest's exit status


def run_demo_module(module: str) -> tuple[int, str]:
    """``python -m pytest MODULE`` in the repository root: (exit status, all it printed)."""
    warnings = [f"-W{option}" for option in sys.warnoptions]
    result = run_python(*warnings, "-m", "pytest", "-p", "no:cacheprovider", module, timeout=900)
    return result.returncode, f"{result.stdout}\n{result.stderr}"


def test_the_demo_suite_has_test_modules() -> None:
    assert DEMO_MODULES, f"no test_*.py in {DEMO_TESTS}"


@pytest.mark.parametrize("module", DEMO_MODULES, ids=lambda module: Path(module).stem)
def test_each_demo_test_module_passes_with_the_demo_settings_in_a_child_process(
    module: str,
) -> None:
    status, output = run_demo_module(module)

    if status == NO_TESTS_COLLECTED:
        pytest.fail(f"pytest {module} collected no tests (exit status 5):\n{output}", False)
    if status != 0:
        pytest.fail(f"pytest {module} failed (exit status {status}):\n{output}", False)
    print(output)  # the child's summary and skip reasons, shown by -rP or -s


def library_options() -> dict[str, Any]:
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    options: dict[str, Any] = pyproject["tool"]["pytest"]["ini_options"]
    return options


def demo_options() -> configparser.SectionProxy:
    ini = configparser.ConfigParser(interpolation=None)
    ini.read(DEMO_TESTS / "pytest.ini", encoding="utf-8")
    return ini["pytest"]


def lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]


def test_the_demo_suite_is_as_strict_as_the_library_suite() -> None:
    library, demo = library_options(), demo_options()

    assert demo["addopts"].split() == library["addopts"]
    assert demo.getboolean("xfail_strict") is library["xfail_strict"] is True
    assert lines(demo["filterwarnings"]) == library["filterwarnings"]
    assert lines(demo["markers"]) == library["markers"]
