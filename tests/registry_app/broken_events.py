"""Named only in SIGNALKIT_EXTRA_SIGNALS by the tests: raises something else than ImportError."""

from __future__ import annotations

raise RuntimeError("the events module is broken")
