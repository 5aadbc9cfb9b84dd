"""Smoke tests of ``benchmarks/``: they run and their equivalence check bites.

Nothing here asserts on a timing: the quick configuration's figures are not meaningful.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import django
import pytest

from benchmarks import admin_page, listsignals, muting, registry_scaling, send_timing, startup
from benchmarks import deferred as deferred_benchmark
from benchmarks import stock as stock_benchmark
from benchmarks import tracing as tracing_benchmark
from benchmarks.project import Project, ReceiversProject, generate
from benchmarks.result import BenchmarkError, Result
from benchmarks.runner import main
from benchmarks.timing import turns

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


# --- registry: snapshot scaling ------------------------------------------------------------

REGISTRY_LINE = re.compile(
    r"^registry: ratio \d+\.\d{3} \(goal <= 12, not judged: --quick figures are not "
    r"meaningful\) - 200 receivers [\d.]+ [mu]?s vs 20 receivers [\d.]+ [mu]?s, min of 2 runs "
    r"each$",
    re.MULTILINE,
)


def test_registry_quick_run_compares_ten_times_the_receivers_after_checking_the_mix() -> None:
    result = registry_scaling.run(quick=True)

    assert result.name == "registry"
    assert result.quick
    assert result.subject > 0
    assert "receivers seen by the snapshot: 20 (" in "\n".join(result.details)
    assert REGISTRY_LINE.search(result.line()), result.line()


def test_the_registry_mix_check_fails_when_the_snapshot_misdescribes_a_receiver() -> None:
    config = registry_scaling.QUICK
    expected = registry_scaling.expected_mix(config.small, config)
    seen = {**expected, "partial": expected["partial"] - 1, "instance": 1}
    measurement = registry_scaling.Measurement(
        receivers=config.small, kinds=seen, snapshot_cpu=[], snapshot_wall=[], to_dict_cpu=[]
    )

    with pytest.raises(BenchmarkError, match="does not describe the generated receivers"):
        registry_scaling.check_mix(measurement, expected)


def test_the_registry_mix_has_every_kind_of_receiver() -> None:
    mix = registry_scaling.expected_mix(1_000, registry_scaling.FULL)

    assert mix == {
        "function": 600,
        "method": 200,
        "partial": 200,
        "async": 100,
        "dispatch_uid": 100,
        "model sender": 429,
    }


# --- listsignals: against django-extensions ------------------------------------------------

LISTSIGNALS_LINE = re.compile(
    r"^listsignals: ratio \d+\.\d{3} \(goal <= 1, not judged: --quick figures are not "
    r"meaningful\) - signalkit listsignals --format json [\d.]+ m?s vs django-extensions "
    r"list_signals --skip-checks [\d.]+ m?s, median of 1 run each$",
    re.MULTILINE,
)


# django-extensions' list_signals unpacks Signal.receivers as 3-tuples; Django 6.0 stores
# 4, so it crashes there and the listsignals benchmark has no baseline on 6.0.
EXTENSIONS_CRASHES = django.VERSION >= (6, 0)
needs_extensions_baseline = pytest.mark.skipif(
    EXTENSIONS_CRASHES,
    reason="django-extensions' list_signals crashes on Django 6.0 (3-tuple unpacking of "
    "Signal.receivers): no baseline; test_django_extensions_list_signals_crashes_on_django_6 "
    "pins that",
)


@pytest.mark.skipif(not EXTENSIONS_CRASHES, reason="Django 6.0 changed the receiver tuples")
def test_django_extensions_list_signals_crashes_on_django_6(
    receivers_project: ReceiversProject,
) -> None:
    # When this fails, django-extensions runs on 6.0: drop needs_extensions_baseline.
    with pytest.raises(BenchmarkError, match="too many values to unpack"):
        listsignals.check_like_for_like(receivers_project, (listsignals.EXTENSIONS,))


@needs_extensions_baseline
def test_listsignals_quick_run_returns_a_result_after_the_like_for_like_check() -> None:
    result = listsignals.run(quick=True)

    assert result.name == "listsignals"
    assert result.quick
    assert result.subject > 0
    assert "like for like: passed - both exit 0 and name all 10 generated receivers" in (
        "\n".join(result.details)
    )
    assert LISTSIGNALS_LINE.search(result.line()), result.line()


@needs_extensions_baseline
def test_python_m_benchmarks_quick_runs_registry_and_listsignals() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "registry", "listsignals"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr
    assert REGISTRY_LINE.search(completed.stdout), completed.stdout
    assert LISTSIGNALS_LINE.search(completed.stdout), completed.stdout


@pytest.fixture(scope="module")
def receivers_project(tmp_path_factory: pytest.TempPathFactory) -> ReceiversProject:
    return listsignals.generate_project(tmp_path_factory.mktemp("ls"), listsignals.QUICK)


@needs_extensions_baseline
def test_both_listsignals_commands_name_every_generated_receiver(
    receivers_project: ReceiversProject,
) -> None:
    sizes = listsignals.check_like_for_like(receivers_project)

    assert set(sizes) == {"signalkit", "django-extensions"}
    assert len(receivers_project.receivers) == 10


@needs_extensions_baseline
def test_the_like_for_like_check_fails_when_one_command_does_not_see_the_receivers(
    receivers_project: ReceiversProject,
) -> None:
    # A real listing that leaves the generated apps out: --app auth.
    blind = listsignals.Side(
        "signalkit", (*listsignals.SIGNALKIT.args, "--app", "auth"), json_output=True
    )

    with pytest.raises(listsignals.LikeForLikeError) as excinfo:
        listsignals.check_like_for_like(receivers_project, (blind, listsignals.EXTENSIONS))

    message = str(excinfo.value)
    assert "signalkit (manage.py listsignals --format json --app auth): 10 of the 10 " in message
    assert "django-extensions" not in message


@needs_extensions_baseline
def test_the_like_for_like_check_fails_when_no_command_sees_the_receivers(
    tmp_path: Path,
) -> None:
    project = listsignals.generate_project(tmp_path, listsignals.QUICK)
    settings = project.root / "bench_project" / "settings.py"
    settings.write_text(settings.read_text() + "\nSIGNALKIT_AUTODISCOVER = []\n")

    with pytest.raises(listsignals.LikeForLikeError) as excinfo:
        listsignals.check_like_for_like(project)

    message = str(excinfo.value)
    assert "signalkit (manage.py listsignals --format json): 10 of the 10 generated" in message
    assert "django-extensions (manage.py list_signals --skip-checks): 10 of the 10" in message


@needs_extensions_baseline
def test_the_like_for_like_check_wants_json_from_a_json_side(
    receivers_project: ReceiversProject,
) -> None:
    text = listsignals.Side("signalkit", listsignals.EXTENSIONS.args, json_output=True)

    with pytest.raises(listsignals.LikeForLikeError, match="the output is not JSON"):
        listsignals.check_like_for_like(receivers_project, (text,))


def test_a_failing_command_is_reported_with_its_error(
    receivers_project: ReceiversProject,
) -> None:
    broken = listsignals.Side("signalkit", ("manage.py", "listsignals", "--app", "nosuchapp"))

    with pytest.raises(BenchmarkError, match="nosuchapp"):
        listsignals.check_like_for_like(receivers_project, (broken,))


def test_receivers_are_found_in_text_and_json_alike() -> None:
    path = "bench_app_007.signals.bench_receiver_042"

    assert listsignals.receivers_named(f"        {path} #12\n") == {path: 1}
    assert listsignals.receivers_named(f'{{"path": "{path}", "name": "x"}}') == {path: 1}
    assert not listsignals.receivers_named("bench_app_007.signals.note_saved")


# --- admin: render time of the signal receivers page -----------------------------

ADMIN_LINES = [
    re.compile(
        r"^admin: ratio \d+\.\d{3} \(goal <= 50, not judged: --quick figures are not "
        r"meaningful\) - 50 receivers [\d.]+ [mu]?s vs 10 receivers [\d.]+ [mu]?s, min of 2 runs "
        r"each$",
        re.MULTILINE,
    ),
    re.compile(
        r"^admin\.first_view_time: ratio \d+\.\d{3} \(goal <= 1, not judged: --quick figures "
        r"are not meaningful\) - first view at 50 receivers [\d.]+ [mu]?s vs goal 60\.0 ms, min "
        r"of 2 runs each$",
        re.MULTILINE,
    ),
    re.compile(
        r"^admin\.first_view_bytes: ratio \d+\.\d{3} \(goal <= 1, not judged: --quick figures "
        r"are not meaningful\) - first view at 50 receivers [\d,]+ bytes vs goal 400,000 bytes, "
        r"largest of 2 runs each$",
        re.MULTILINE,
    ),
]


def test_admin_quick_run_times_each_size_after_checking_the_page_counts_everything() -> None:
    result = admin_page.run(quick=True)

    details = "\n".join(result.lines())
    assert result.name == "admin"
    assert result.quick
    assert result.subject > 0
    for size in (0, 10, 20, 50):
        assert re.search(rf"^  {size} receivers: [\d.]+ [mu]?s \([\d,]+ rows of ", details, re.M)
    assert "ratio 50 / 20: " in details
    assert "the inspector alone: registry.snapshot() " in details
    for line in ADMIN_LINES:
        assert line.search(result.line()), result.line()


def test_python_m_benchmarks_quick_admin_prints_the_three_lines() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "admin"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr
    for line in ADMIN_LINES:
        assert line.search(completed.stdout), completed.stdout


def admin_measurement(**changes: Any) -> admin_page.Measurement:
    """What a child reports for 10 generated receivers when the page counted everything."""
    values: dict[str, Any] = {
        "receivers": 10,
        "listed": 43,
        "in_project": 10,
        "counted": 43,
        "shown": 10,
        "rows": 10,
        "per_page": 100,
        "page_bytes": 1,
        "cpu": [],
        "wall": [],
        "last_page_cpu": [],
        "last_page_bytes": 1,
        "snapshot_cpu": [],
        "problems_cpu": [],
    }
    return admin_page.Measurement(**{**values, **changes})


def test_the_admin_check_passes_a_page_that_counted_everything() -> None:
    admin_page.check_complete(admin_measurement(), 10)  # raises on a problem


def test_the_admin_check_fails_when_the_page_shows_fewer_rows_than_a_page() -> None:
    with pytest.raises(BenchmarkError, match="the page has 9 receiver rows where one page of 10 "):
        admin_page.check_complete(admin_measurement(rows=9), 10)


def test_the_admin_check_fails_when_the_page_lists_more_rows_than_a_page() -> None:
    measurement = admin_measurement(in_project=500, shown=500, rows=500)

    with pytest.raises(BenchmarkError, match="the page has 500 receiver rows where one page "):
        admin_page.check_complete(measurement, 10)


def test_the_admin_check_fails_when_the_summary_leaves_receivers_out() -> None:
    with pytest.raises(BenchmarkError, match="the page's summary counts 42 of the 43 "):
        admin_page.check_complete(admin_measurement(counted=42), 10)


def test_the_admin_check_fails_when_the_list_leaves_project_receivers_out() -> None:
    with pytest.raises(BenchmarkError, match="the page lists 9 of the project's 10 receivers"):
        admin_page.check_complete(admin_measurement(shown=9, rows=9), 10)


def test_the_admin_check_fails_when_the_snapshot_misses_generated_receivers() -> None:
    with pytest.raises(BenchmarkError, match="the snapshot lists 9 of the 10 generated"):
        admin_page.check_complete(admin_measurement(receivers=9), 10)


def test_a_result_in_bytes_prints_its_figures_in_bytes() -> None:
    result = Result("size", subject=96_577, baseline=400_000, goal=1.0, runs=3, unit="bytes")

    assert result.line() == (
        "size: ratio 0.241 (goal <= 1, met) - signalkit 96,577 bytes vs by hand 400,000 bytes, "
        "median of 3 runs each"
    )


# --- muting: unmuted send, muted send, enter and exit ---------------------------------------

MUTING_LINES = [
    re.compile(
        r"^muting\.unmuted_send: ratio \d+\.\d{3} \(goal <= 1\.02, not judged: --quick figures "
        r"are not meaningful\) - after a mute [\d.]+ [mun]?s vs signalkit never imported "
        r"[\d.]+ [mun]?s, median of 1 run each$",
        re.MULTILINE,
    ),
    re.compile(
        r"^muting\.unmuted_beside_a_mute: ratio \d+\.\d{3} \(goal <= 1\.02, not judged: "
        r"--quick figures are not meaningful\) - pre_save muted, pre_delete recorded "
        r"[\d.]+ [mun]?s vs signalkit never imported [\d.]+ [mun]?s, median of 1 run each$",
        re.MULTILINE,
    ),
    re.compile(
        r"^muting\.muted_send: ratio \d+\.\d{3} \(goal <= 1, not judged: --quick figures "
        r"are not meaningful\) - muted [\d.]+ [mun]?s vs no receivers [\d.]+ [mun]?s, median "
        r"of 1 run each$",
        re.MULTILINE,
    ),
    re.compile(
        r"^muting\.enter_exit: ratio \d+\.\d{3} \(goal <= 2, not judged: --quick figures are "
        r"not meaningful\) - muted_signals [\d.]+ [mun]?s vs factory\.django\.mute_signals "
        r"[\d.]+ [mun]?s, median of 1 run each$",
        re.MULTILINE,
    ),
]


def test_muting_quick_run_returns_four_results_after_their_checks() -> None:
    result = muting.run(quick=True)

    assert [part.name for part in result.parts] == [
        "muting.unmuted_send",
        "muting.unmuted_beside_a_mute",
        "muting.muted_send",
        "muting.enter_exit",
    ]
    assert all(part.subject > 0 for part in result.parts)
    printed = "\n".join(result.lines())
    assert printed.count("  checks: passed in every process") == 4
    for line in MUTING_LINES:
        assert line.search(printed), printed


def test_python_m_benchmarks_quick_muting_prints_four_ratio_lines() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "muting"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr
    for line in MUTING_LINES:
        assert line.search(completed.stdout), completed.stdout


def test_a_muting_child_whose_mute_silences_nothing_reports_it() -> None:
    sabotage = (
        "import contextlib, sys, signalkit\n"
        "signalkit.muted_signals = lambda *signals, **options: contextlib.nullcontext()\n"
        "from benchmarks.muting import child\n"
        "child(['muted', '10', '1'])\n"
    )

    completed = subprocess.run(
        [sys.executable, "-c", sabotage],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    problems = json.loads(completed.stdout.splitlines()[-1])["problems"]
    assert problems == [
        "inside muted_signals(post_save) the receiver ran 1 times",
        "the receiver ran 10 times during the timing, not 0",
    ]


def test_a_muting_child_reporting_problems_aborts_the_benchmark(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    report = {"seconds": 1e-7, "problems": ["signalkit is imported"]}
    monkeypatch.setattr(
        send_timing,
        "run_process",
        lambda args, **kwargs: subprocess.CompletedProcess(args, 0, json.dumps(report), ""),
    )

    with pytest.raises(BenchmarkError, match="unmuted_without_signalkit variant does not "):
        send_timing.measure("benchmarks.muting", "unmuted_without_signalkit", number=10, repeats=1)


# --- backfill: Profile.backfill() against a get_or_create loop ---------------------

BACKFILL_LINE = re.compile(
    r"^backfill: ratio \d+\.\d{3} \(goal <= 0\.05, not judged: --quick figures are not "
    r"meaningful\) - Profile\.backfill\(\) [\d.]+ m?s vs get_or_create loop [\d.]+ m?s, "
    r"median of 1 run each$",
    re.MULTILINE,
)


@pytest.fixture(scope="module")
def backfill_quick_result() -> Result:
    from benchmarks import profile_backfill

    return profile_backfill.run(quick=True)


def test_backfill_quick_run_returns_a_result_after_checking_every_profile(
    backfill_quick_result: Result,
) -> None:
    details = "\n".join(backfill_quick_result.details)

    assert backfill_quick_result.name == "backfill"
    assert backfill_quick_result.quick
    assert "each variant created 300 profiles, one per user (checked)" in details
    assert BACKFILL_LINE.search(backfill_quick_result.line()), backfill_quick_result.line()


def test_backfill_prints_the_queries_of_both_sides(backfill_quick_result: Result) -> None:
    details = "\n".join(backfill_quick_result.details)
    found = re.search(
        r"queries: backfill\(\) (\d+) for 3 batches .* get_or_create loop ([\d,]+) ", details
    )

    assert found, details
    backfill_queries, loop_queries = int(found[1]), int(found[2].replace(",", ""))
    assert backfill_queries <= 3 * 8  # a few per batch of 100 users
    assert loop_queries >= 300 * 4  # four per user


def test_the_backfill_check_fails_when_a_variant_misses_profiles() -> None:
    from benchmarks import profile_backfill

    measured = {
        variant: profile_backfill.Measurement(cpu=[1.0], wall=[1.0], queries=1, created=300)
        for variant in profile_backfill.VARIANTS
    }
    measured["loop"] = profile_backfill.Measurement(cpu=[1.0], wall=[1.0], queries=1, created=299)

    with pytest.raises(BenchmarkError, match="the loop variant left 299 of 300 users"):
        profile_backfill.check(measured, profile_backfill.QUICK)


def test_python_m_benchmarks_quick_backfill_prints_the_ratio_line() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "backfill"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr
    assert BACKFILL_LINE.search(completed.stdout), completed.stdout


# --- stock: StockMovementMixin against the tutorial receiver -----------------------------------

STOCK_LINE = re.compile(
    r"^stock: ratio \d+\.\d{3} \(goal <= 1\.2, not judged: --quick figures are not "
    r"meaningful\) - mixin on (SQLite file|SQLite in memory|PostgreSQL) [\d.]+ [mu]?s vs "
    r"tutorial receiver on \1 [\d.]+ [mu]?s, median per order of 1 run each$",
    re.MULTILINE,
)


def test_stock_quick_run_compares_both_variants_on_sqlite_and_says_postgresql_was_skipped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SIGNALKIT_DATABASE_URL", raising=False)

    result = stock_benchmark.run(quick=True)

    details = "\n".join(result.details)
    assert result.name == "stock"
    assert result.quick
    assert STOCK_LINE.search(result.line()), result.line()
    for database in ("SQLite file", "SQLite in memory"):
        assert f"{database}: ratio " in details
        assert f"{database}, mixin: 2 queries per order, in one transaction (BEGIN, " in details
        assert f"{database}, tutorial: 2 queries per order, each in its own autocommit" in details
    assert "PostgreSQL: skipped - set SIGNALKIT_DATABASE_URL=postgresql://" in details


def stock_measurement(**tutorial: int) -> stock_benchmark.Measurement:
    def variant(**changes: int) -> stock_benchmark.Variant:
        fields = {"orders_created": 6, "quantity_ordered": 12, "stock_taken": 12, **changes}
        return stock_benchmark.Variant(
            wall=[1.0], cpu=[1.0], queries_per_order=2, one_order=["INSERT x"], **fields
        )

    return stock_benchmark.Measurement(
        database="SQLite file",
        orders_per_run=6,
        variants={"mixin": variant(), "tutorial": variant(**tutorial)},
    )


def test_the_stock_check_passes_when_both_variants_did_the_same_work() -> None:
    stock_benchmark.check_same_work(stock_measurement())


def test_the_stock_check_fails_when_a_variant_takes_no_stock() -> None:
    with pytest.raises(BenchmarkError, match="tutorial: 12 units ordered but 0 taken out of stock"):
        stock_benchmark.check_same_work(stock_measurement(stock_taken=0))


def test_the_stock_check_fails_when_the_variants_create_different_orders() -> None:
    with pytest.raises(BenchmarkError, match="created different numbers of orders"):
        stock_benchmark.check_same_work(stock_measurement(orders_created=5))


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://postgres@127.0.0.1:5432/x", "postgresql://postgres@127.0.0.1:5432/x"),
        ("postgres://u@h/x", "postgres://u@h/x"),
        ("sqlite:////tmp/x.sqlite3", None),
        ("", None),
    ],
)
def test_the_stock_benchmark_uses_postgresql_only_when_the_url_names_it(
    monkeypatch: pytest.MonkeyPatch, url: str, expected: str | None
) -> None:
    monkeypatch.setenv("SIGNALKIT_DATABASE_URL", url)

    assert stock_benchmark.postgres_url() == expected


# --- deferred: request latency, send cost, worker throughput ----------------------------------

DEFERRED_LINES = [
    re.compile(
        r"^deferred\.request_latency: ratio \d+\.\d{3} \(goal <= 0\.1, not judged: --quick "
        r"figures are not meaningful\) - as_task \(enqueue only\) [\d.]+ [mu]?s vs inline "
        r"receiver [\d.]+ [mu]?s, median request latency of 2 runs each$",
        re.MULTILINE,
    ),
    re.compile(
        r"^deferred\.send_cost: ratio \d+\.\d{3} \(goal <= 1\.2, not judged: --quick figures "
        r"are not meaningful\) - as_task receiver [\d.]+ [mu]?s vs "
        r"on_commit\(partial\(task\.enqueue\)\) [\d.]+ [mu]?s, median per send of 1 run each$",
        re.MULTILINE,
    ),
    re.compile(
        r"^deferred\.worker_throughput: ratio \d+\.\d{3} \(goal <= 1\.11, not judged: --quick "
        r"figures are not meaningful\) - run_receiver on (django-tasks-db \(SQLite file\)|"
        r"Celery \(Redis, solo pool\)) [\d.]+ [mu]?s vs hand-written task on \1 [\d.]+ [mu]?s, "
        r"median time per task of 1 run each$",
        re.MULTILINE,
    ),
]


def test_deferred_quick_run_returns_three_results_after_their_checks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SIGNALKIT_REDIS_URL", raising=False)

    result = deferred_benchmark.run(quick=True)

    assert [part.name for part in result.parts] == [
        "deferred.request_latency",
        "deferred.send_cost",
        "deferred.worker_throughput",
    ]
    printed = "\n".join(result.lines())
    assert printed.count("  checks: passed - ") == 2
    assert "  django-tasks-db (SQLite file), checks: passed - every run ended with" in printed
    assert "one send, as_task: BEGIN, INSERT django_tasks_database_dbtaskresult, COMMIT" in printed
    assert (
        "one send, on_commit: BEGIN, COMMIT, INSERT django_tasks_database_dbtaskresult" in printed
    )
    assert "  Celery: skipped - set SIGNALKIT_REDIS_URL=redis://" in printed
    for line in DEFERRED_LINES:
        assert line.search(printed), printed


def test_python_m_benchmarks_quick_deferred_prints_three_ratio_lines() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "deferred"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr
    for line in DEFERRED_LINES:
        assert line.search(completed.stdout), completed.stdout


def latency_report(**changes: Any) -> dict[str, Any]:
    report = {"times": [0.01, 0.01], "warmups": 1, "comments": 3, "sent": 0, "tasks": 3}
    return {**report, "problems": [], **changes}


def test_the_latency_check_passes_when_as_task_only_enqueued_one_task_per_comment() -> None:
    deferred_benchmark.check_latency("as_task", latency_report(), posts=3)


def test_the_latency_check_fails_when_the_as_task_receiver_ran_in_the_request() -> None:
    report = latency_report(sent=3, tasks=0)

    with pytest.raises(BenchmarkError, match="as_task receiver ran 3 times in the request"):
        deferred_benchmark.check_latency("as_task", report, posts=3)


def test_the_latency_check_fails_when_the_inline_receiver_missed_comments() -> None:
    report = latency_report(sent=2, tasks=0)

    with pytest.raises(BenchmarkError, match="inline receiver ran 2 times and 0 tasks"):
        deferred_benchmark.check_latency("inline", report, posts=3)


def test_the_latency_check_reports_what_the_child_found_wrong() -> None:
    report = latency_report(problems=["POST /admin/blog/comment/add/ answered 403"])

    with pytest.raises(BenchmarkError, match="answered 403"):
        deferred_benchmark.check_latency("as_task", report, posts=3)


def test_a_latency_child_whose_as_task_runs_inline_reports_it(tmp_path: Path) -> None:
    sabotage = (
        "import sys, signalkit\n"
        "signalkit.as_task = lambda function: function\n"
        "from benchmarks.deferred import child\n"
        "child(sys.argv[1:])\n"
    )
    url = f"sqlite:///{tmp_path / 'latency.sqlite3'}"
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}

    completed = subprocess.run(
        [sys.executable, "-c", sabotage, "latency", "as_task", url, "1", "0"],
        cwd=REPO,
        env={**env, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )

    report = json.loads(completed.stdout.splitlines()[-1])
    with pytest.raises(BenchmarkError, match="ran 1 times in the request process and 0 READY"):
        deferred_benchmark.check_latency("as_task", report, posts=1)


def test_the_send_cost_check_fails_when_a_variant_enqueued_nothing() -> None:
    report = {
        "as_task": {"rows_added": [4, 4]},
        "on_commit": {"rows_added": [4, 0]},
        "inside": {"rows_added": [4, 4]},
        "problems": [],
    }

    with pytest.raises(BenchmarkError, match=r"on_commit: 4 sends per run .* added \[4, 0\]"):
        deferred_benchmark.check_send_cost(report, sends=4, runs=2)


def test_the_send_cost_check_passes_when_every_run_added_a_row_per_send() -> None:
    report = {variant: {"rows_added": [4, 4]} for variant in deferred_benchmark.SEND_VARIANTS}

    deferred_benchmark.check_send_cost({**report, "problems": []}, sends=4, runs=2)


def test_the_worker_check_fails_when_a_task_failed() -> None:
    rows = {"signalkit.deferred.run_receiver": {"SUCCESSFUL": 2, "FAILED": 1}}

    with pytest.raises(BenchmarkError, match="a db_worker run of the as_task tasks did not run"):
        deferred_benchmark.check_worker_run("as_task", {"rows": rows, "span": 0.1}, tasks=3)


def test_the_worker_check_fails_when_the_worker_ran_the_other_variants_tasks() -> None:
    rows = {"signalkit.deferred.run_receiver": {"SUCCESSFUL": 3}}

    with pytest.raises(BenchmarkError, match="by_hand tasks did not run them all"):
        deferred_benchmark.check_worker_run("by_hand", {"rows": rows, "span": 0.1}, tasks=3)


def installed_modules(monkeypatch: pytest.MonkeyPatch, *modules: str) -> None:
    """Make the deferred benchmark see exactly ``modules`` of Celery's and signalkit's
    Celery backend as installed, whatever this environment has."""
    find_spec = importlib.util.find_spec
    optional = {"celery", "signalkit.contrib.celery"}
    monkeypatch.setattr(
        deferred_benchmark.importlib.util,
        "find_spec",
        lambda name: (
            (object() if name in modules else None) if name in optional else find_spec(name)
        ),
    )


def test_celery_throughput_is_skipped_saying_why_without_a_celery_backend(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SIGNALKIT_REDIS_URL", "redis://127.0.0.1:6379/13")
    installed_modules(monkeypatch, "celery")

    assert deferred_benchmark.celery_skipped() == (
        "Celery: skipped: Celery backend not available (signalkit.contrib.celery is not in "
        "this checkout)"
    )


def test_celery_throughput_is_skipped_saying_how_to_install_celery(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SIGNALKIT_REDIS_URL", "redis://127.0.0.1:6379/13")
    installed_modules(monkeypatch, "signalkit.contrib.celery")

    assert deferred_benchmark.celery_skipped() == (
        'Celery: skipped - Celery is not installed (python -m pip install -e ".[celery]")'
    )


def test_celery_throughput_is_measured_when_redis_and_celery_are_there(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SIGNALKIT_REDIS_URL", "redis://127.0.0.1:6379/13")
    installed_modules(monkeypatch, "celery", "signalkit.contrib.celery")

    assert deferred_benchmark.celery_skipped() is None


@pytest.mark.redis
def test_deferred_quick_worker_throughput_measures_celery_after_its_checks(
    tmp_path: Path, redis_db: Any
) -> None:
    deferred_benchmark.generate(tmp_path)

    result = deferred_benchmark.worker_throughput(tmp_path, deferred_benchmark.QUICK, quick=True)

    details = "\n".join(result.details)
    assert "django-tasks-db (SQLite file), checks: passed - every run ended with its 3" in details
    assert "Celery (Redis, solo pool), checks: passed - every run ended with its 3" in details
    assert redis_db.dbsize() == 0


# --- tracing: idle, traced, OpenTelemetry ---------------------------------------------------

TRACING_LINES = [
    re.compile(
        r"^tracing\.idle: ratio \d+\.\d{3} \(goal <= 1\.02, not judged: --quick figures are "
        r"not meaningful\) - signalkit installed, nothing tracing [\d.]+ [mun]?s vs pristine "
        r"Django \(signalkit never imported\) [\d.]+ [mun]?s, median of 1 run each$",
        re.MULTILINE,
    ),
    re.compile(
        r"^tracing\.traced: ratio \d+\.\d{3} \(goal <= 1\.15, not judged: --quick figures are "
        r"not meaningful\) - inside trace_signals\(\) [\d.]+ [mun]?s vs untraced [\d.]+ "
        r"[mun]?s, median per send of 1 run each$",
        re.MULTILINE,
    ),
    re.compile(
        r"^tracing\.opentelemetry: ratio \d+\.\d{3} \(goal: none, not judged: --quick figures "
        r"are not meaningful\) - SignalInstrumentor \(SimpleSpanProcessor, "
        r"InMemorySpanExporter\) [\d.]+ [mun]?s vs not instrumented [\d.]+ [mun]?s, median per "
        r"send of 1 run each$",
        re.MULTILINE,
    ),
]


def test_tracing_quick_run_returns_three_results_after_their_checks() -> None:
    result = tracing_benchmark.run(quick=True)

    assert [part.name for part in result.parts] == [
        "tracing.idle",
        "tracing.traced",
        "tracing.opentelemetry",
    ]
    assert all(part.subject > 0 for part in result.parts)
    printed = "\n".join(result.lines())
    assert "  checks: passed in every process (idle_after_a_trace / without_signalkit)" in printed
    assert printed.count("  checks: passed - ") == 2
    assert printed.count("  overhead per receiver run: ") == 2
    assert 'making one query: SELECT 1 AS "a" FROM "auth_user" WHERE' in printed
    for line in TRACING_LINES:
        assert line.search(printed), printed


def test_python_m_benchmarks_quick_tracing_prints_three_ratio_lines() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "tracing"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr
    for line in TRACING_LINES:
        assert line.search(completed.stdout), completed.stdout


def sabotaged_tracing_child(sabotage: str, *argv: str) -> dict[str, Any]:
    """The JSON report of ``benchmarks.tracing.child(argv)`` run after ``sabotage``."""
    code = f"import sys\n{sabotage}\nfrom benchmarks.tracing import child\nchild(sys.argv[1:])\n"
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    completed = subprocess.run(
        [sys.executable, "-c", code, *argv],
        cwd=REPO,
        env={**env, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    report: dict[str, Any] = json.loads(completed.stdout.splitlines()[-1])
    return report


TRACE_NOTHING = (
    "import contextlib, signalkit\n"
    "from signalkit.tracing import Trace\n"
    "signalkit.trace_signals = lambda *signals: contextlib.nullcontext(Trace())"
)


def test_an_idle_child_whose_trace_records_nothing_reports_it() -> None:
    report = sabotaged_tracing_child(TRACE_NOTHING, "idle_after_a_trace", "10", "1")

    assert report["problems"] == [
        "trace_signals() put no gate in place",
        "the trace recorded 0 sends and 0 receiver runs, not 1 and 1",
    ]


def test_an_idle_child_whose_trace_leaves_its_gate_behind_reports_it() -> None:
    sabotage = "from signalkit import gate\ngate.remove_observer = lambda observer: None"

    report = sabotaged_tracing_child(sabotage, "idle_after_a_trace", "10", "1")

    assert report["problems"] == [
        "signalkit's gate is still in place after the trace",
        "Signal.send is signalkit.gate.send, not Django's",
    ]


def test_the_workload_check_fails_when_the_traced_variant_traces_nothing() -> None:
    report = sabotaged_tracing_child(TRACE_NOTHING, "workload", "3", "1", "0")

    with pytest.raises(BenchmarkError, match=r"traced: the trace recorded 0 sends \(0 of them"):
        tracing_benchmark.check_workload(report, sends=3, rounds=1)


def test_the_workload_check_fails_when_the_instrumentor_makes_no_spans() -> None:
    sabotage = (
        "from signalkit.contrib.opentelemetry import SignalInstrumentor\n"
        "SignalInstrumentor._instrument = lambda self, **kwargs: None"
    )
    report = sabotaged_tracing_child(sabotage, "workload", "3", "1", "0")

    with pytest.raises(BenchmarkError, match=r"opentelemetry: 0 spans exported \(named \[\]\)"):
        tracing_benchmark.check_workload(report, sends=3, rounds=1)


def workload_report(**changes: Any) -> dict[str, Any]:
    times = {variant: [0.01, 0.01] for variant in tracing_benchmark.WORKLOAD}
    return {"sends": 4, "times": times, "query": "SELECT 1", "problems": [], **changes}


def test_the_workload_check_passes_when_every_variant_timed_every_round() -> None:
    tracing_benchmark.check_workload(workload_report(), sends=4, rounds=2)


def test_the_workload_check_fails_when_a_variant_timed_fewer_batches() -> None:
    times = {**workload_report()["times"], "opentelemetry": [0.01]}

    with pytest.raises(BenchmarkError, match="opentelemetry: 1 timed batches, not 2"):
        tracing_benchmark.check_workload(workload_report(times=times), sends=4, rounds=2)


def test_the_workload_check_fails_when_the_receiver_missed_sends() -> None:
    problem = "untraced: the receiver ran 3 times and found the user 3 times in a batch of 4 sends"

    with pytest.raises(BenchmarkError, match="untraced: the receiver ran 3 times"):
        tracing_benchmark.check_workload(workload_report(problems=[problem]), sends=4, rounds=2)


def test_the_tracing_benchmark_says_what_to_install_without_the_opentelemetry_sdk(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        tracing_benchmark.importlib.util,
        "find_spec",
        lambda name: None if name == "opentelemetry.sdk" else find_spec(name),
    )

    with pytest.raises(BenchmarkError, match=r"needs the OpenTelemetry SDK .* -e \"\.\[dev\]\""):
        tracing_benchmark.run(quick=True)


def test_a_result_without_a_goal_is_reported_and_never_missed() -> None:
    result = Result("x.y", subject=3e-6, baseline=2e-6, goal=None, runs=5)

    assert result.met
    assert result.line() == (
        "x.y: ratio 1.500 (goal: none, reported) - signalkit 3.0 us vs by hand 2.0 us, "
        "median of 5 runs each"
    )


def test_variants_taking_turns_each_go_first_and_last_equally_often() -> None:
    orders = [turns(("a", "b", "c"), round_number) for round_number in range(6)]

    assert orders == [
        ["a", "b", "c"],
        ["a", "c", "b"],
        ["c", "a", "b"],
        ["c", "b", "a"],
        ["b", "c", "a"],
        ["b", "a", "c"],
    ]
