"""The ``demo`` management command, in the test database and as a real process."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from example_project.blog.models import Comment, Post
from example_project.orders.models import Order
from example_project.products.models import Product, Tag
from example_project.users.models import Profile

REPO_ROOT = Path(__file__).resolve().parent.parent
DEMO_MODELS = [get_user_model(), Profile, Tag, Product, Order, Post, Comment]


def run_demo(*args: str) -> str:
    stdout = StringIO()
    call_command("demo", *args, stdout=stdout, stderr=StringIO())
    return stdout.getvalue()


def counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in DEMO_MODELS}


@pytest.mark.django_db
def test_demo_loads_every_kind_of_sample_object() -> None:
    run_demo()

    assert all(count > 0 for count in counts().values()), counts()


@pytest.mark.django_db
def test_running_demo_twice_duplicates_nothing() -> None:
    run_demo()
    first = counts()

    run_demo()

    assert counts() == first


@pytest.mark.django_db
def test_demo_orders_take_their_quantities_out_of_stock_once() -> None:
    run_demo()
    run_demo()

    stock = dict(Product.objects.values_list("name", "quantity"))
    assert stock == {
        "Espresso beans 1 kg": 38,
        "Green tea 100 g": 25,
        "Moka pot": 9,
        "Gift box": 2,
    }
    assert all(order.customer is not None for order in Order.objects.all())


@pytest.mark.django_db
def test_demo_creates_the_admin_superuser() -> None:
    run_demo()

    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser
    assert admin.check_password("admin")


@pytest.mark.django_db
def test_demo_prints_how_to_log_in() -> None:
    output = run_demo()

    assert "python manage.py runserver" in output
    assert "http://127.0.0.1:8000/admin/" in output
    assert "user: admin  password: admin" in output


@pytest.mark.django_db
def test_demo_superuser_name_and_password_can_be_chosen() -> None:
    output = run_demo("--username", "boss", "--password", "s3cret")

    assert get_user_model().objects.get(username="boss").check_password("s3cret")
    assert "user: boss  password: s3cret" in output


@pytest.mark.django_db
def test_demo_never_resets_an_existing_superusers_password() -> None:
    get_user_model().objects.create_superuser("admin", "admin@example.com", "mine")

    output = run_demo()

    assert get_user_model().objects.get(username="admin").check_password("mine")
    assert "password: admin" not in output


@pytest.mark.django_db
def test_demo_warns_when_the_chosen_user_is_not_a_superuser() -> None:
    get_user_model().objects.create_user("admin", "admin@example.com", "admin")
    stderr = StringIO()

    call_command("demo", stdout=StringIO(), stderr=stderr)

    assert "'admin' exists but is not a superuser" in stderr.getvalue()


# The whole process, as a user runs it: manage.py with example_project.settings on a fresh
# SQLite file. One database for the module keeps it to three short subprocesses.


def manage(database: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["SIGNALKIT_DATABASE_URL"] = f"sqlite:///{database}"
    return subprocess.run(
        [sys.executable, "-W", "error::DeprecationWarning", "manage.py", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def demo_database(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A demo database made by ``manage.py demo`` in a subprocess, and its output."""
    database = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    result = manage(database, "demo")
    assert result.returncode == 0, result.stderr
    return database, result.stdout


def table_counts(database: Path) -> dict[str, int]:
    tables = ["auth_user", "users_profile", "products_tag", "products_product"]
    tables += ["products_product_tags", "orders_order", "blog_post", "blog_comment"]
    with closing(sqlite3.connect(database)) as db:
        return {
            table: db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] for table in tables
        }


def test_manage_py_demo_builds_a_database_and_prints_how_to_log_in(
    demo_database: tuple[Path, str],
) -> None:
    database, output = demo_database

    assert database.exists()
    assert "http://127.0.0.1:8000/admin/" in output
    assert all(count > 0 for count in table_counts(database).values())


def test_manage_py_demo_again_changes_nothing(demo_database: tuple[Path, str]) -> None:
    database, _ = demo_database
    before = table_counts(database)

    result = manage(database, "demo")

    assert result.returncode == 0, result.stderr
    assert table_counts(database) == before


def test_manage_py_check_passes_on_the_demo_settings(demo_database: tuple[Path, str]) -> None:
    database, _ = demo_database

    result = manage(database, "check")

    assert result.returncode == 0, result.stderr
