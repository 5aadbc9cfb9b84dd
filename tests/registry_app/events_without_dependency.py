"""Named only in SIGNALKIT_EXTRA_SIGNALS: an ImportError raised inside, not a missing module."""

from __future__ import annotations

import signalkit_tests_dependency_that_is_not_installed  # noqa: F401
