"""A signals module whose own dependency is not installed: an error, not "no module"."""

from __future__ import annotations

import signalkit_tests_dependency_that_is_not_installed  # noqa: F401
