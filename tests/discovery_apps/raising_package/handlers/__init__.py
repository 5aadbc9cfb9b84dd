"""A package on the way to the configured module that raises while it is imported."""

from __future__ import annotations

raise RuntimeError("the handlers package of raising_package is broken")
