"""The repository's ``manage.py`` as a user runs it: a malformed ``SIGNALKIT_DATABASE_URL``,
and the commands CI runs on the demo (``check --fail-level WARNING``, ``listsignals``)."""

from __future__ import annotations

import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core import management
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

import manage as manage_py
from tests.processes import run_manage


def manage(*args: str, url: str, settings: str | None = None) -> subprocess.CompletedProcess[str]:
    return run_manage(*args, url=url, settings=settings)


@pytest.mark.parametrize(
    ("command", "url", "problem"),
    [
        ("demo", "postgresql://postgres@127.0.0.1:abc/sk_demo", "Port could not be cast"),
        ("listsignals", "postgresql://postgres@[::1/sk_demo", "Invalid IPv6 URL"),
        ("runserver", "oracle://scott@db/orcl", "unknown scheme 'oracle'"),
    ],
)
def test_a_malformed_database_url_stops_manage_py_with_one_line_naming_it(
    command: str, url: str, problem: str
) -> None:
    result = manage(command, url=url)

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith(f"SIGNALKIT_DATABASE_URL={url!r}: {problem}")


def test_traceback_still_shows_the_malformed_database_urls_traceback() -> None:
    result = manage("check", "--traceback", url="oracle://scott@db/orcl")

    assert result.returncode == 1
    assert "Traceback" in result.stderr
    assert "DatabaseUrlError: SIGNALKIT_DATABASE_URL=" in result.stderr


def test_other_configuration_errors_keep_their_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    def misconfigured(argv: list[str]) -> None:
        raise ImproperlyConfigured("The SECRET_KEY setting must not be empty.")

    monkeypatch.setattr(management, "execute_from_command_line", misconfigured)
    monkeypatch.setattr(sys, "argv", ["manage.py", "check"])

    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY"):
        manage_py.main()


def listsignals(*args: str) -> tuple[str, str, int]:
    """``manage.py listsignals *args`` in this process: (stdout, stderr, exit status)."""
    stdout, stderr = StringIO(), StringIO()
    try:
        call_command("listsignals", "--no-color", *args, stdout=stdout, stderr=stderr)
    except SystemExit as exc:
        return stdout.getvalue(), stderr.getvalue(), int(exc.code or 0)
    return stdout.getvalue(), stderr.getvalue(), 0


def listed(stdout: str) -> list[str]:
    """The path of every listed receiver (a line indented by two spaces, before its flags)."""
    return [
        line.strip().split(" [")[0]
        for line in stdout.splitlines()
        if line.startswith("  ") and not line.startswith("   ")
    ]


def test_listsignals_app_orders_lists_the_orders_stock_receivers() -> None:
    stdout, _, _ = listsignals("--app", "orders")

    assert listed(stdout) == [
        "signalkit.mixins.stock.move_stock_before_save",
        "signalkit.mixins.stock.note_restock_before_delete",
        "signalkit.mixins.stock.restock_after_delete",
    ]
    assert stdout.count("[uid=signalkit.StockMovementMixin:orders.order]") == 3
    assert stdout.count("      app orders, sender orders.Order, signalkit/mixins/stock.py:") == 3


def test_listsignals_sender_user_lists_only_what_saving_a_user_runs() -> None:
    stdout, _, _ = listsignals("--sender", "auth.User")

    assert listed(stdout) == ["example_project.users.models.Profile.auto_create_receiver"]
    assert "django.db.models.signals.post_save (1 receiver)" in stdout
    assert "request_started" not in stdout


def test_listsignals_shows_djangos_files_as_imported() -> None:
    stdout, _, _ = listsignals("--signal", "request_started")

    assert ", django/db/__init__.py:" in stdout
    assert "site-packages" not in stdout


def test_listsignals_check_finds_no_problem_in_the_demo() -> None:
    stdout, stderr, code = listsignals("--check")

    assert (stdout, code) == ("", 0)
    assert stderr.startswith("No problems found in ")


def test_manage_py_check_at_warning_level_passes_on_the_demo(tmp_path: Path) -> None:
    """What CI runs: the demo's receivers read raw (signalkit.W007) and pass every check."""
    result = manage("check", "--fail-level", "WARNING", url=f"sqlite:///{tmp_path}/demo.sqlite3")

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
