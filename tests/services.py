"""The database servers a test suite runs on, and the markers that skip the tests needing another.

Shared by both suites' ``pytest_collection_modifyitems``: the library's (``tests/``) and the
demo shop's (``example_project/tests/``). ``@pytest.mark.postgresql`` needs PostgreSQL,
``@pytest.mark.mariadb`` MariaDB/MySQL, and ``@pytest.mark.server_database`` either of them
(concurrent writers on real connections); ``@pytest.mark.redis`` needs the Redis server that
``SIGNALKIT_REDIS_URL`` names (Celery's broker for the worker tests, which flush its
database). Each suite registers the four markers in its pytest configuration.

Browser tests (Playwright driving Debian's chromium) run only with
``SIGNALKIT_BROWSER_TESTS=1``: :data:`BROWSER_SKIP_REASON` says why they are skipped.
"""

from __future__ import annotations

import os
import shutil
from importlib.util import find_spec
from pathlib import Path

import pytest
from django.db import connection

SERVER_URLS = {
    "postgresql": "SIGNALKIT_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test",
    "mysql": "SIGNALKIT_DATABASE_URL=mysql://root@127.0.0.1:3306/test",
}
REDIS_URL = "SIGNALKIT_REDIS_URL=redis://127.0.0.1:6379/14"

BROWSER_TESTS = "SIGNALKIT_BROWSER_TESTS"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _browser_skip_reason() -> str | None:
    if os.environ.get(BROWSER_TESTS) != "1":
        return f"browser tests are off: set {BROWSER_TESTS}=1 to run them (needs chromium)"
    if not Path(CHROMIUM).is_file():
        return (
            f"{BROWSER_TESTS}=1 but chromium is missing: no chromium on PATH nor at "
            f"/usr/bin/chromium (apt-get install chromium)"
        )
    if find_spec("playwright") is None:
        return (
            f"{BROWSER_TESTS}=1 but playwright is not installed: "
            f'python -m pip install -e ".[browser]"'
        )
    return None


#: Why the browser tests are skipped, None when they run.
BROWSER_SKIP_REASON = _browser_skip_reason()


def skip_tests_needing_another_server(items: list[pytest.Item]) -> None:
    """Skip the tests that need a server (database, Redis) the suite does not use, saying why."""
    vendor = connection.vendor
    reasons = {
        "postgresql": f"needs PostgreSQL: set {SERVER_URLS['postgresql']}",
        "mariadb": f"needs MariaDB: set {SERVER_URLS['mysql']}",
        "server_database": (
            "needs a database server for concurrent connections: set "
            f"{SERVER_URLS['postgresql']} or {SERVER_URLS['mysql']}"
        ),
        "redis": f"needs Redis: set {REDIS_URL} (a database of its own: the tests flush it)",
    }
    runs_on = {
        "postgresql": vendor == "postgresql",
        "mariadb": vendor == "mysql",
        "server_database": vendor in SERVER_URLS,
        "redis": bool(os.environ.get("SIGNALKIT_REDIS_URL", "").strip()),
    }
    for item in items:
        for marker, reason in reasons.items():
            if marker in item.keywords and not runs_on[marker]:
                item.add_marker(pytest.mark.skip(reason=reason))
                break
