"""The database servers a test suite runs on, and the markers that skip the tests needing another.

Shared by both suites' ``pytest_collection_modifyitems``: the library's (``tests/``) and the
demo shop's (``example_project/tests/``). ``@pytest.mark.postgresql`` needs PostgreSQL,
``@pytest.mark.mariadb`` MariaDB/MySQL, and ``@pytest.mark.server_database`` either of them
(concurrent writers on real connections); ``@pytest.mark.redis`` needs the Redis server that
``SIGNALKIT_REDIS_URL`` names (Celery's broker for the worker tests, which flush its
database). Each suite registers the four markers in its pytest configuration.
"""

from __future__ import annotations

import os

import pytest
from django.db import connection

SERVER_URLS = {
    "postgresql": "SIGNALKIT_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test",
    "mysql": "SIGNALKIT_DATABASE_URL=mysql://root@127.0.0.1:3306/test",
}
REDIS_URL = "SIGNALKIT_REDIS_URL=redis://127.0.0.1:6379/14"


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
