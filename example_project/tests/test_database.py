"""SIGNALKIT_DATABASE_URL: every form the demo and the tests accept, and clear errors."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from example_project.database import database_from_url


def test_an_unset_or_blank_url_means_sqlite_at_the_default_path() -> None:
    assert database_from_url(None, "db.sqlite3")["NAME"] == "db.sqlite3"
    assert database_from_url("  ", "db.sqlite3")["ENGINE"] == "django.db.backends.sqlite3"


def test_a_sqlite_url_names_an_absolute_file() -> None:
    assert database_from_url("sqlite:////tmp/shop.sqlite3", "x")["NAME"] == "/tmp/shop.sqlite3"


def test_a_postgresql_url_gives_every_connection_setting() -> None:
    database = database_from_url("postgresql://ann:s%40cret@db.local:5433/shop", "x")

    assert database == {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "shop",
        "USER": "ann",
        "PASSWORD": "s@cret",
        "HOST": "db.local",
        "PORT": "5433",
    }


def test_a_mysql_url_selects_mysqlclient_with_full_unicode() -> None:
    database = database_from_url("mysql://root@127.0.0.1:3306/test", "x")

    assert database["ENGINE"] == "django.db.backends.mysql"
    assert (database["NAME"], database["USER"], database["PORT"]) == ("test", "root", "3306")
    assert database["OPTIONS"] == {"charset": "utf8mb4"}


def test_mariadb_is_another_name_for_the_mysql_scheme() -> None:
    assert database_from_url("mariadb://root@h/test", "x")["ENGINE"] == "django.db.backends.mysql"


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("postgresql://postgres@127.0.0.1:99999/test", "Port out of range"),
        ("postgresql://postgres@127.0.0.1:abc/test", "Port could not be cast"),
        ("postgresql://postgres@[::1/test", "Invalid IPv6 URL"),
        ("oracle://scott@db/orcl", "unknown scheme 'oracle'"),
        ("/tmp/shop.sqlite3", "unknown scheme '(none)'"),
        ("sqlite://", "no file path after sqlite://"),
        ("mysql://root@127.0.0.1:3306", "no database name"),
    ],
)
def test_a_malformed_url_names_the_variable_the_value_and_the_problem(
    url: str, problem: str
) -> None:
    with pytest.raises(ImproperlyConfigured) as raised:
        database_from_url(url, "x")

    message = str(raised.value)
    assert message.startswith(f"SIGNALKIT_DATABASE_URL={url!r}: ")
    assert problem in message
    assert "mysql://user@host:port/name" in message
