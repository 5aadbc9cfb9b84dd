"""The ``demo`` management command, in the test database and as a real process."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from contextlib import closing
from io import StringIO
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django_tasks_db.models import DBTaskResult

from example_project.blog.models import Comment, Post
from example_project.demo.management.commands import demo
from example_project.orders.models import Order
from example_project.products.models import Product, Tag
from example_project.users.models import Profile
from tests.processes import run_manage
from tests.test_docs import DOCS, own_options, read

DEMO_MODELS = [get_user_model(), Profile, Tag, Product, Order, Post, Comment]


def run_demo(*args: str) -> str:
    stdout = StringIO()
    call_command("demo", *args, stdout=stdout, stderr=StringIO())
    return stdout.getvalue()


NOTHING = {model._meta.label: 0 for model in DEMO_MODELS}


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


def worker_paragraph(output: str) -> list[str]:
    """The lines of the demo's output from the task worker's hint to the end."""
    lines = output.splitlines()
    [start] = [i for i, line in enumerate(lines) if "sent by the task worker" in line]
    return lines[start:]


@pytest.mark.django_db
def test_demo_ends_by_saying_how_to_start_the_task_worker() -> None:
    output = run_demo()

    hint, command, *_ = worker_paragraph(output)
    assert hint == (
        "The blog's comment e-mails are sent by the task worker; start it in another terminal:"
    )
    assert command == "  python manage.py db_worker"


@pytest.mark.django_db
def test_demo_ends_by_explaining_the_email_the_worker_will_print() -> None:
    output = run_demo()

    _, _, *explanation = worker_paragraph(output)
    assert " ".join(" ".join(explanation).split()) == (
        "Comment e-mails waiting for it: 1. It prints each one to its console, between its "
        "'Task ... state=RUNNING' and 'state=SUCCESSFUL' lines (the console e-mail backend: "
        "nothing is really sent). Why an e-mail: saving a comment runs the post_save receiver "
        "example_project.blog.signals.notify_post_author, marked @as_task, which queues the "
        "e-mail in the comment's transaction; the worker sends it once that transaction has "
        "committed. Add a comment in the admin (Blog > Comments) to see another."
    )


@pytest.mark.django_db
def test_demo_run_again_counts_the_sample_comments_email_once() -> None:
    run_demo()

    output = run_demo()

    assert "Comment e-mails waiting for it: 1." in output


@pytest.mark.django_db
def test_demo_counts_no_email_waiting_once_the_worker_has_sent_it() -> None:
    run_demo()
    DBTaskResult.objects.update(status="SUCCESSFUL")  # what the worker does after sending

    output = run_demo()

    assert "Comment e-mails waiting for it: 0." in output


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
    assert "python manage.py changepassword admin" in output


@pytest.mark.django_db
def test_demo_refuses_an_existing_user_that_is_not_a_superuser_and_writes_nothing() -> None:
    get_user_model().objects.create_user("dave", "dave@example.com", "pw")

    with pytest.raises(CommandError, match=r"--username 'dave': that user already exists"):
        run_demo("--username", "dave")

    assert counts() == {**NOTHING, "auth.User": 1, "users.Profile": 1}  # dave and his profile
    assert not get_user_model().objects.get(username="dave").is_superuser


@pytest.mark.django_db
def test_demo_rolls_back_when_the_user_appears_after_the_first_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def another_process_creates_dave(using: str, username: str) -> None:
        get_user_model().objects.create_user("dave", "dave@example.com", "pw")

    monkeypatch.setattr(demo, "refuse_a_user_that_is_not_a_superuser", another_process_creates_dave)

    with pytest.raises(CommandError, match=r"--username 'dave': that user already exists"):
        run_demo("--username", "dave")

    assert counts() == {**NOTHING, "auth.User": 1, "users.Profile": 1}


@pytest.mark.django_db
def test_demo_can_make_a_sample_customer_the_admin_of_a_fresh_database() -> None:
    run_demo("--username", "alice", "--password", "s3cret")

    alice = get_user_model().objects.get(username="alice")
    assert alice.is_superuser
    assert alice.check_password("s3cret")
    assert Order.objects.filter(customer=alice).exists()


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--database", "bogus"], "--database 'bogus': no such database"),
        (["--username", ""], "--username '' is not a valid username: This field cannot be"),
        (["--username", "x" * 151], f"--username '{'x' * 151}' is not a valid username: Ensure"),
        (["--username", "bad!name"], "--username 'bad!name' is not a valid username: Enter"),
        (["--email", "nope"], "--email 'nope' is not a valid e-mail address"),
        (["--password", ""], "--password '' is empty"),
    ],
)
@pytest.mark.django_db
def test_demo_refuses_bad_options_naming_the_value_and_writes_nothing(
    args: list[str], error: str
) -> None:
    with pytest.raises(CommandError) as raised:
        run_demo(*args)

    assert str(raised.value).startswith(error)
    assert counts() == NOTHING


# The whole process, as a user runs it: manage.py with example_project.settings on a fresh
# SQLite file. One database for the module keeps it to three short subprocesses.


def manage(database: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return manage_url(f"sqlite:///{database}", *args)


def manage_url(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return run_manage(*args, url=url)


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


# Refused runs, as a user sees them: exit status 1, one line naming the bad value, no
# traceback, and nothing written.


def refusal(result: subprocess.CompletedProcess[str]) -> str:
    """The one line a refused run printed, after checking it is all it printed."""
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--database", "bogus"], "--database 'bogus'"),
        (["--username", ""], "--username ''"),
        (["--username", "x" * 151], f"--username '{'x' * 151}'"),
        (["--username", "bad!name"], "--username 'bad!name'"),
    ],
)
def test_manage_py_demo_refuses_a_bad_option_before_creating_the_database(
    tmp_path: Path, args: list[str], named: str
) -> None:
    database = tmp_path / "demo.sqlite3"

    line = refusal(manage(database, "demo", *args))

    assert line.startswith(f"CommandError: {named}")
    assert not database.exists()


def superusers(database: Path) -> list[tuple[str, int]]:
    with closing(sqlite3.connect(database)) as db:
        return db.execute("SELECT username, is_superuser FROM auth_user ORDER BY id").fetchall()


def test_manage_py_demo_refuses_an_existing_user_that_is_not_a_superuser(
    demo_database: tuple[Path, str],
) -> None:
    database, _ = demo_database
    before = (table_counts(database), superusers(database))

    line = refusal(manage(database, "demo", "--username", "alice"))

    assert line.startswith("CommandError: --username 'alice': that user already exists")
    assert "createsuperuser" in line
    assert (table_counts(database), superusers(database)) == before


def server_url(scheme: str, host_port: str, name: str) -> str:
    user = "postgres" if scheme == "postgresql" else "root"
    return f"{scheme}://{user}@{host_port}/{name}"


@pytest.mark.parametrize(
    ("scheme", "driver", "server"),
    [
        ("postgresql", "psycopg", "PostgreSQL server at 127.0.0.1:1"),
        ("mysql", "MySQLdb", "MariaDB/MySQL server at 127.0.0.1:1"),
    ],
)
def test_manage_py_demo_names_a_database_server_it_cannot_reach(
    tmp_path: Path, scheme: str, driver: str, server: str
) -> None:
    pytest.importorskip(driver, reason=f"the {scheme} driver {driver} is not installed")

    result = manage_url(server_url(scheme, "127.0.0.1:1", "sk_demo"), "demo")

    line = refusal(result)
    assert line.startswith(
        f"CommandError: Cannot connect to the 'default' database 'sk_demo' on the {server}"
    )
    assert "Check that the server is running" in line


MISSING_DATABASE = "sk_demo_no_such_database"


@pytest.mark.parametrize(
    "create",
    [
        pytest.param("createdb", marks=pytest.mark.postgresql, id="postgresql"),
        pytest.param("CREATE DATABASE", marks=pytest.mark.mariadb, id="mariadb"),
    ],
)
def test_manage_py_demo_says_how_to_create_a_missing_database(create: str) -> None:
    suite_url = urlsplit(os.environ["SIGNALKIT_DATABASE_URL"])
    url = suite_url._replace(path=f"/{MISSING_DATABASE}").geturl()

    line = refusal(manage_url(url, "demo"))

    assert line.startswith(
        f"CommandError: The 'default' database '{MISSING_DATABASE}' does not exist"
    )
    assert create in line


def test_every_option_of_demo_is_in_the_commands_reference() -> None:
    section = read(DOCS / "commands.md").split("## `demo`", 1)[1].split("\n## ", 1)[0]
    options = own_options("demo")

    assert options
    assert sorted(option for option in options if f"`{option}" not in section) == []
