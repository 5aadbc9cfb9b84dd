"""Pick the database from ``SIGNALKIT_DATABASE_URL``, shared by the demo and the tests.

Unset or empty: SQLite at the caller's default path. Otherwise one of:

- ``sqlite:////absolute/path.sqlite3``: SQLite there;
- ``postgresql://user:password@host:port/name``: PostgreSQL (needs psycopg);
- ``mysql://user:password@host:port/name`` (``mariadb://`` too): MariaDB or MySQL with
  InnoDB (needs mysqlclient: ``pip install mysqlclient``).

A malformed value raises :class:`DatabaseUrlError` (an ``ImproperlyConfigured``) naming the
variable, the value and what is wrong with it, before Django tries to connect anywhere.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import SplitResult, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

ENV_VAR = "SIGNALKIT_DATABASE_URL"

FORMS = (
    "postgresql://user@host:port/name, mysql://user@host:port/name or "
    "sqlite:////absolute/path.sqlite3, or unset it for the default SQLite file"
)

SERVER_ENGINES = {
    "postgres": "django.db.backends.postgresql",
    "postgresql": "django.db.backends.postgresql",
    "mysql": "django.db.backends.mysql",
    "mariadb": "django.db.backends.mysql",
}


class DatabaseUrlError(ImproperlyConfigured):
    """``SIGNALKIT_DATABASE_URL`` is malformed; the message names the value and the problem."""


def database_from_url(url: str | None, sqlite_name: str) -> dict[str, Any]:
    """Return a ``DATABASES["default"]`` dict for ``url``, or SQLite when it is empty."""
    if not url or not url.strip():
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": sqlite_name}
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise _bad(url, str(exc)) from None
    if parts.scheme == "sqlite":
        path = unquote(parts.path)
        if path.startswith("//"):  # sqlite:////abs/path: the fourth slash starts the path
            path = path[1:]
        if not path or path == "/":
            raise _bad(url, "no file path after sqlite://")
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": path}
    engine = SERVER_ENGINES.get(parts.scheme)
    if engine is None:
        scheme = parts.scheme or "(none)"
        raise _bad(url, f"unknown scheme {scheme!r}")
    return {
        "ENGINE": engine,
        "NAME": _database_name(url, parts),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(port or ""),
        **_engine_options(engine),
    }


def _database_name(url: str, parts: SplitResult) -> str:
    name = unquote(parts.path.lstrip("/"))
    if name:
        return name
    if parts.scheme.startswith("postgres"):
        return "postgres"
    raise _bad(url, "no database name (add /name after the host)")


def _engine_options(engine: str) -> dict[str, Any]:
    if engine == "django.db.backends.mysql":
        # utf8mb4 for every character a user can type. The isolation level is Django's default
        # for MySQL, READ COMMITTED (not InnoDB's REPEATABLE READ); the concurrency tests set
        # each level themselves, and the stock and profile guarantees hold at every level.
        return {"OPTIONS": {"charset": "utf8mb4"}, "TEST": {"CHARSET": "utf8mb4"}}
    return {}


def _bad(url: str, problem: str) -> DatabaseUrlError:
    return DatabaseUrlError(f"{ENV_VAR}={url!r}: {problem}. Use {FORMS}.")
