"""What a database driver says went wrong, read the same way for every supported backend."""

from __future__ import annotations

from django.db import DatabaseError

# PostgreSQL SQLSTATEs and MariaDB/MySQL error numbers.
UNIQUE_VIOLATION = frozenset({"23505", 1062})
TRANSACTION_CONFLICT = frozenset({"40001", "40P01", 1213})  # serialization, deadlock


def driver_code(error: DatabaseError) -> str | int | None:
    """The driver's code behind Django's ``error``: PostgreSQL's SQLSTATE (psycopg 3
    ``sqlstate``, psycopg2 ``pgcode``), MariaDB/MySQL's error number, else None (SQLite)."""
    cause = error.__cause__
    code = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    if code is not None:
        return str(code)
    args: tuple[object, ...] = getattr(cause, "args", ())
    return args[0] if args and type(args[0]) is int else None
