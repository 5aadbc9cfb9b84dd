"""A package on the way to the configured module that itself fails to import."""

from __future__ import annotations

import signalkit_tests_dependency_that_is_not_installed  # noqa: F401
