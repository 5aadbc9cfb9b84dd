from __future__ import annotations

import pytest
from django.db import connection


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Skip ``@pytest.mark.postgresql`` tests, saying why, unless the suite runs on it."""
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(
        reason="needs PostgreSQL: set SIGNALKIT_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test"
    )
    for item in items:
        if "postgresql" in item.keywords:
            item.add_marker(skip)
