"""``python -m benchmarks [--quick] [name ...]``: see :mod:`benchmarks.runner`."""

from __future__ import annotations

from benchmarks.runner import main

raise SystemExit(main())
