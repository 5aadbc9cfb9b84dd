"""Fail unless ``signalkit`` is imported from an installed ``django-signalkit`` wheel."""

from __future__ import annotations

import sys
from importlib.metadata import distribution
from pathlib import Path

import signalkit

location = Path(signalkit.__file__).resolve()
dist = distribution("django-signalkit")
if "site-packages" not in location.parts:
    sys.exit(f"signalkit was imported from {location}, not from an installed wheel")
if dist.version != signalkit.__version__:
    sys.exit(f"metadata says {dist.version}, signalkit.__version__ {signalkit.__version__}")
for name in ["py.typed", "templates", "static", "migrations"]:
    if not (location.parent / name).exists():
        sys.exit(f"the wheel has no signalkit/{name}")
print(f"django-signalkit {dist.version} from {location.parent}")
