from __future__ import annotations

raise RuntimeError("the signals module of broken_signals is broken")
