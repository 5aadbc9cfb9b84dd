"""The repository's ``manage.py`` with a malformed ``SIGNALKIT_DATABASE_URL``, as a user runs it."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.core import management
from django.core.exceptions import ImproperlyConfigured

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
