"""Pick the database from ``SIGNALKIT_DATABASE_URL``, shared by the demo and the tests.

Unset: SQLite at the caller's default path. ``sqlite:////absolute/path.sqlite3``: SQLite
there. ``postgresql://user:password@host:port/name``: PostgreSQL (needs psycopg).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

ENV_VAR = "SIGNALKIT_DATABASE_URL"


def database_from_url(url: str | None, sqlite_name: str) -> dict[str, Any]:
    """Return a ``DATABASES["default"]`` dict for ``url``, or SQLite when it is empty."""
    if not url:
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": sqlite_name}
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": unquote(parts.path)}
    if parts.scheme not in {"postgres", "postgresql"}:
        raise ValueError(
            f"{ENV_VAR}={url!r}: use postgresql://user@host:port/name or "
            f"sqlite:////absolute/path.sqlite3, or unset it for the default SQLite file."
        )
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parts.path.lstrip("/")) or "postgres",
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
    }
