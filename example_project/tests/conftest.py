"""The demo shop's suite: its own settings, and the library suite's service markers."""

from __future__ import annotations

import os

import pytest

from tests.services import skip_tests_needing_another_server

SETTINGS = "example_project.tests.settings"


def pytest_configure() -> None:
    """Refuse to run the demo's tests with any settings but their own, saying how to run them."""
    chosen = os.environ.get("DJANGO_SETTINGS_MODULE")
    if chosen != SETTINGS:
        raise pytest.UsageError(
            f"the demo shop's tests run with DJANGO_SETTINGS_MODULE={SETTINGS}, not {chosen}: "
            "run `pytest example_project/tests` (or a module in it) from the repository root, "
            "which reads example_project/tests/pytest.ini, with no DJANGO_SETTINGS_MODULE in "
            "the environment and no --ds; `pytest` alone runs them in child processes"
        )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    skip_tests_needing_another_server(items)
