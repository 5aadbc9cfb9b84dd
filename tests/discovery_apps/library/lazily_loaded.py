"""Put in ``sys.modules`` through ``importlib.util.LazyLoader``: any attribute access runs it."""

from __future__ import annotations

raise AssertionError("a lazily loaded module was executed by reading it")
