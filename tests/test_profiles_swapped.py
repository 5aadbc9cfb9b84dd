"""AutoProfileMixin with a swapped user model: ``tests/profiles_swapped_app/suite.py``.

``AUTH_USER_MODEL`` can only be chosen before Django starts, so that suite runs once, in a
pytest subprocess with ``tests.settings_swapped_user`` (its own test app, migrations, a
proxy user model and a second database), and each of its tests is reported here as a test
of its own.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SUITE = Path(__file__).resolve().parent / "profiles_swapped_app" / "suite.py"
TEST_NAMES = [
    node.name
    for node in ast.parse(SUITE.read_text()).body
    if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
]


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Run the suite once: test name -> "passed", "skipped" or the failure report."""
    report = tmp_path_factory.mktemp("swapped") / "report.xml"
    completed = subprocess.run(
        [
            sys.executable,
            "-W",
            "error::DeprecationWarning",
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-q",
            "--ds=tests.settings_swapped_user",
            f"--junitxml={report}",
            str(SUITE.relative_to(REPO)),
        ],
        cwd=REPO,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings_swapped_user"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if not report.exists():
        pytest.fail(f"the swapped-user suite did not run:\n{completed.stdout}\n{completed.stderr}")
    found = {}
    for case in ET.parse(report).iter("testcase"):
        problem = next(
            (child for child in case if child.tag in ("failure", "error", "skipped")), None
        )
        if problem is None:
            found[case.attrib["name"]] = "passed"
        elif problem.tag == "skipped":
            found[case.attrib["name"]] = "skipped"
        else:
            found[case.attrib["name"]] = f"{problem.get('message')}\n{problem.text}"
    return found


def test_the_swapped_user_suite_has_tests() -> None:
    assert len(TEST_NAMES) >= 10


@pytest.mark.parametrize("name", TEST_NAMES)
def test_with_a_swapped_user_model(outcomes: dict[str, str], name: str) -> None:
    assert name in outcomes, f"{name} did not run; ran: {sorted(outcomes)}"
    assert outcomes[name] == "passed", outcomes[name]
