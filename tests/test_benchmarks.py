"""Smoke tests of ``benchmarks/``: they run and their equivalence check bites.

Nothing here asserts on a timing: the quick configuration's figures are not meaningful.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from benchmarks import startup
from benchmarks.project import Project, generate
from benchmarks.result import Result
from benchmarks.runner import main

REPO = Path(__file__).resolve().parent.parent

STARTUP_LINE = re.compile(
    r"^startup: ratio \d+\.\d{3} \(goal <= 1\.05, not judged: --quick figures are not "
    r"meaningful\) - signalkit [\d.]+ m?s vs by hand [\d.]+ m?s, median of 1 run each$",
    re.MULTILINE,
)


def test_startup_quick_run_returns_a_result_after_the_equivalence_check() -> None:
    result = startup.run(quick=True)

    assert result.name == "startup"
    assert result.quick
    assert result.subject > 0
    assert "equivalence: passed - 1 post_save receivers, each connected" in "\n".join(
        result.details
    )
    assert STARTUP_LINE.search(result.line())


def test_python_m_benchmarks_quick_startup_prints_the_ratio_line() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "startup"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr
    assert "figures below are not meaningful" in completed.stdout
    assert "  equivalence: passed" in completed.stdout
    assert STARTUP_LINE.search(completed.stdout), completed.stdout


def test_an_unknown_benchmark_is_a_usage_error_listing_the_choices(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as excinfo:
        main(["--quick", "nosuchbench"])

    assert excinfo.value.code == 2
    assert "unknown benchmark 'nosuchbench'; choose from: startup" in capsys.readouterr().err


def _drop_ready_from_one_by_hand_app(with_signalkit: Project, by_hand: Project) -> str:
    app = by_hand.signal_apps[0]
    # The signalkit variant's apps.py is the by-hand one minus ready().
    shutil.copy(with_signalkit.root / app / "apps.py", by_hand.root / app / "apps.py")
    return "by hand variant: receivers not connected"


def _uninstall_signalkit(with_signalkit: Project, by_hand: Project) -> str:
    settings = with_signalkit.root / "bench_project" / "settings.py"
    text = settings.read_text()
    assert '    "signalkit",\n' in text
    settings.write_text(text.replace('    "signalkit",\n', ""))
    return "signalkit variant: receivers not connected"


@pytest.mark.parametrize("break_variant", [_drop_ready_from_one_by_hand_app, _uninstall_signalkit])
def test_the_equivalence_check_fails_when_the_variants_differ(
    tmp_path: Path, break_variant: Callable[[Project, Project], str]
) -> None:
    with_signalkit, by_hand = startup.generate_variants(tmp_path, startup.QUICK)
    expected = break_variant(with_signalkit, by_hand)

    with pytest.raises(startup.EquivalenceError, match=expected):
        startup.check_equivalent(with_signalkit, by_hand)


def test_a_result_line_reads_ratio_goal_verdict_and_both_figures() -> None:
    result = Result("startup", subject=0.4123, baseline=0.4074, goal=1.05, runs=15)

    assert result.line() == (
        "startup: ratio 1.012 (goal <= 1.05, met) - signalkit 412.3 ms vs by hand "
        "407.4 ms, median of 15 runs each"
    )


def test_project_processes_get_their_settings_and_a_private_bytecode_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "tests.settings")
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    project = generate(
        tmp_path / "p", apps=1, with_signals=1, discovery="ready", pycache_prefix=tmp_path / "c"
    )

    env = project.env()

    assert env["DJANGO_SETTINGS_MODULE"] == "bench_project.settings"
    assert env["PYTHONPYCACHEPREFIX"] == str(tmp_path / "c")
    assert "PYTHONDONTWRITEBYTECODE" not in env
