"""``python manage.py demo``: migrate, load the sample shop, create a superuser.

Idempotent: every object is looked up before it is created, so running it again changes
nothing (and never resets a password). All or nothing: the options are checked, the database
connected to and an existing ``--username`` that is not a superuser refused before anything
is written; the superuser and the sample data are then written in one transaction. Every
refusal is a ``CommandError``: one line naming the bad value, exit status 1.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, ClassVar, TypeVar

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured, ValidationError
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections, models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django_tasks_db.models import DBTaskResult

from example_project.blog.models import Comment, Post
from example_project.blog.signals import RECEIVER, WORKER_COMMAND
from example_project.orders.models import Order
from example_project.products.models import Product, Tag
from example_project.users.models import Profile
from signalkit.deferred import RUN_RECEIVER_PATH

M = TypeVar("M", bound=models.Model)

USERS = [
    # username, e-mail, location
    ("alice", "alice@example.com", "Lisbon"),
    ("bob", "bob@example.com", "Oslo"),
    ("carol", "carol@example.com", "Nairobi"),
]
SERVER_NAMES = {"postgresql": "PostgreSQL", "mysql": "MariaDB/MySQL"}
SAMPLE_USERNAMES = frozenset(username for username, _, _ in USERS)
TAGS = ["coffee", "tea", "kitchen", "gift"]
PRODUCTS = [
    # name, price, stock, tags
    ("Espresso beans 1 kg", "24.90", 40, ["coffee"]),
    ("Green tea 100 g", "8.50", 25, ["tea"]),
    ("Moka pot", "34.00", 10, ["coffee", "kitchen"]),
    ("Gift box", "49.00", 5, ["coffee", "tea", "gift"]),
]
ORDERS = [
    # customer, product, quantity: each order takes its quantity out of the product's stock
    ("alice", "Espresso beans 1 kg", 2),
    ("bob", "Moka pot", 1),
    ("carol", "Gift box", 3),
]


# The blog's comment e-mail is an as_task receiver: a worker process sends it.
WORKER_HINT = (
    "The blog's comment e-mails are sent by the task worker; start it in another terminal:\n"
    f"  {WORKER_COMMAND}"
)


class Command(BaseCommand):
    help = "Migrate, load the demo shop's sample data and create a superuser (idempotent)."
    # The system checks run in handle(), once the database answered: on Django 6.1 they
    # connect to every database (MySQL's field checks ask the server for its version), so
    # an unreachable server would otherwise end in a traceback before the command's own
    # one-line message.
    requires_system_checks: ClassVar[list[str]] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="admin", help="Superuser name (admin).")
        parser.add_argument("--password", default="admin", help="Its password (admin).")
        parser.add_argument("--email", default="admin@example.com", help="Its e-mail.")
        parser.add_argument(
            "--database", default=DEFAULT_DB_ALIAS, help="Database alias (default)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        using: str = options["database"]
        verbosity: int = options["verbosity"]
        password: str = options["password"]
        check_alias(using)
        username = clean_username(options["username"])
        email = clean_email(options["email"])
        if not password:
            raise CommandError("--password '' is empty: the admin login needs a password.")
        connect(using)
        self.check()
        refuse_a_user_that_is_not_a_superuser(using, username)

        self.stdout.write(f"Migrating the {using!r} database...")
        call_command(
            "migrate",
            database=using,
            interactive=False,
            verbosity=max(verbosity - 1, 0),
            stdout=self.stdout,
            stderr=self.stderr,
        )
        with transaction.atomic(using=using):
            # The superuser first: --username alice on a fresh database makes the sample
            # customer alice an admin, instead of refusing her once she exists.
            password_shown = ensure_superuser(using, username, password, email)
            load_sample_data(using)
        self.stdout.write(self.style.SUCCESS("The demo shop is ready:"))
        self.stdout.write(f"  {summary(using)}")
        self.stdout.write(
            "Log in to the admin:\n"
            "  python manage.py runserver\n"
            "  open http://127.0.0.1:8000/admin/\n"
            f"  user: {username}  password: {password_shown}\n"
            "The shop page (place and confirm orders; it shows the signals that fired): "
            "http://127.0.0.1:8000/\n"
            f"{WORKER_HINT}\n"
            f"{what_the_worker_prints(using)}"
        )


def what_the_worker_prints(using: str = DEFAULT_DB_ALIAS) -> str:
    """What the task worker will print and why: the comment e-mails waiting, the receiver."""
    waiting = sum(
        arguments.get("kwargs", {}).get("receiver") == RECEIVER
        for arguments in DBTaskResult.objects.using(using)
        .ready()
        .filter(task_path=RUN_RECEIVER_PATH)
        .values_list("args_kwargs", flat=True)
    )
    return (
        f"Comment e-mails waiting for it: {waiting}. It prints each one to its console, between\n"
        "its 'Task ... state=RUNNING' and 'state=SUCCESSFUL' lines (the console e-mail backend:\n"
        "nothing is really sent). Why an e-mail: saving a comment runs the post_save receiver\n"
        f"{RECEIVER}, marked @as_task, which queues the\n"
        "e-mail in the comment's transaction; the worker sends it once that transaction has\n"
        "committed. Add a comment in the admin (Blog > Comments) to see another."
    )


def check_alias(using: str) -> None:
    """Refuse a ``--database`` that is not in ``settings.DATABASES``."""
    if using not in settings.DATABASES:
        aliases = ", ".join(repr(alias) for alias in settings.DATABASES)
        raise CommandError(
            f"--database {using!r}: no such database in settings.DATABASES (configured: {aliases})."
        )


def clean_username(raw: str) -> str:
    """Return ``raw`` normalized as the user model does, or refuse it with the field's errors.

    Blank, too long for the column, or characters the username validator rejects.
    """
    user_model = get_user_model()
    field = user_model._meta.get_field(user_model.USERNAME_FIELD)
    normalize = getattr(user_model, "normalize_username", None)
    username = normalize(raw) if normalize is not None else raw
    try:
        field.clean(username, None)
    except ValidationError as exc:
        problems = " ".join(exc.messages)
        raise CommandError(f"--username {raw!r} is not a valid username: {problems}") from None
    return str(username)


def clean_email(raw: str) -> str:
    """Return ``raw`` if the user model's e-mail field accepts it (or has no such field)."""
    user_model = get_user_model()
    try:
        field = user_model._meta.get_field("email")
    except FieldDoesNotExist:
        return raw
    try:
        field.clean(raw, None)
    except ValidationError as exc:
        problems = " ".join(exc.messages)
        raise CommandError(f"--email {raw!r} is not a valid e-mail address: {problems}") from None
    return raw


def connect(using: str) -> None:
    """Open the connection, or say in one line which database failed and what to do."""
    try:
        connection = connections[using]
    except ImproperlyConfigured as exc:  # e.g. the database driver is not installed
        raise CommandError(f"The {using!r} database: {_one_line(str(exc))}") from None
    try:
        connection.ensure_connection()
    except OperationalError as exc:
        raise CommandError(_connection_failure(using, connection, exc)) from None


def refuse_a_user_that_is_not_a_superuser(using: str, username: str) -> None:
    """Before migrating: refuse when ``username`` exists and is not a superuser.

    The user table may not exist yet, or miss a column a pending migration adds: only the
    primary key and ``is_superuser`` are read.
    """
    user_model = get_user_model()
    if user_model._meta.db_table not in connections[using].introspection.table_names():
        return
    flags = ["is_superuser"] if _has_field(user_model, "is_superuser") else []
    found = (
        user_model._default_manager.db_manager(using)
        .filter(**{user_model.USERNAME_FIELD: username})
        .values("pk", *flags)
        .first()
    )
    if found is not None and not found.get("is_superuser", False):
        raise _not_a_superuser(username)


def ensure_superuser(using: str, username: str, password: str, email: str) -> str:
    """Create the superuser unless it exists; return the password to show.

    An existing superuser is kept as it is, password included; an existing user that is not
    one is refused (the caller's transaction rolls back): the demo never changes a user.
    """
    user_model = get_user_model()
    manager = user_model._default_manager.db_manager(using)
    user = manager.filter(**{user_model.USERNAME_FIELD: username}).first()
    if user is None:
        manager.create_superuser(
            **{user_model.USERNAME_FIELD: username, "email": email, "password": password}
        )
        return password
    if not getattr(user, "is_superuser", False):  # created since the check before migrating
        raise _not_a_superuser(username)
    # hashers.check_password, not user.check_password: that one saves a rehashed password.
    if check_password(password, user.password):
        return password
    return f"(unchanged: the superuser already existed; python manage.py changepassword {username})"


def load_sample_data(using: str = DEFAULT_DB_ALIAS) -> None:
    """Create what is missing of the sample users, tags, products, orders and blog post."""
    user_model = get_user_model()
    users = {}
    for username, email, location in USERS:
        manager = user_model._default_manager.db_manager(using)
        user = manager.filter(**{user_model.USERNAME_FIELD: username}).first()
        if user is None:  # password=None: an unusable password, these users never log in
            fields: dict[str, Any] = {user_model.USERNAME_FIELD: username, "email": email}
            user = manager.create_user(**fields, password=None)
        # AutoProfileMixin created the profile with the user; for_user() covers users that
        # predate the users app.
        profile = Profile.for_user(user, using=using)
        if not profile.location:
            profile.location = location
            profile.bio = f"{username.title()} is a regular at the demo shop."
            profile.save(using=using)
        users[username] = user

    tags = {name: Tag.objects.using(using).get_or_create(name=name)[0] for name in TAGS}

    products = {}
    for name, price, stock, tag_names in PRODUCTS:
        product, _ = _first_or_create(
            Product.objects.using(using).all(),
            {"name": name},
            price=Decimal(price),
            quantity=stock,
            description=f"{name}, from the signalkit demo shop.",
        )
        product.tags.add(*(tags[tag] for tag in tag_names))  # existing links are skipped
        products[name] = product

    for username, product_name, quantity in ORDERS:
        _first_or_create(
            Order.objects.using(using).all(),
            {"product": products[product_name], "quantity": quantity},
            customer=users[username],
        )

    post, _ = _first_or_create(
        Post.objects.using(using).all(),
        {"title": "Why our stock never goes negative"},
        author=users["alice"],
        body="Every order takes its quantity out of stock with one guarded UPDATE, so two "
        "orders at once can never sell the last unit twice. Try it on the shop page.",
    )
    # Creating the comment enqueues the e-mail to alice, in this transaction; the task worker
    # (python manage.py db_worker) sends it to the console backend.
    _first_or_create(
        Comment.objects.using(using).all(),
        {"post": post, "email": "bob@example.com"},
        author_name="Bob",
        body="Does the stock update lose confirmations under load?",
    )


def summary(using: str = DEFAULT_DB_ALIAS) -> str:
    """One line counting the demo's objects."""
    counts = {
        "users": get_user_model()._default_manager.using(using).count(),
        "profiles": Profile.objects.using(using).count(),
        "tags": Tag.objects.using(using).count(),
        "products": Product.objects.using(using).count(),
        "orders": Order.objects.using(using).count(),
        "posts": Post.objects.using(using).count(),
        "comments": Comment.objects.using(using).count(),
    }
    return ", ".join(f"{name}: {count}" for name, count in counts.items())


def _first_or_create(
    queryset: models.QuerySet[M], lookup: dict[str, Any], **defaults: Any
) -> tuple[M, bool]:
    """Like ``get_or_create``, but a duplicate made in the admin is not an error."""
    found = queryset.filter(**lookup).first()
    if found is not None:
        return found, False
    return queryset.create(**lookup, **defaults), True


def _not_a_superuser(username: str) -> CommandError:
    sample = " (one of the demo's sample customers)" if username in SAMPLE_USERNAMES else ""
    return CommandError(
        f"--username {username!r}: that user already exists{sample} and is not a superuser; "
        "nothing was changed. Pick another --username, or make an admin yourself with "
        "python manage.py createsuperuser."
    )


def _has_field(model: type[models.Model], name: str) -> bool:
    try:
        model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return True


def _connection_failure(using: str, connection: BaseDatabaseWrapper, exc: Exception) -> str:
    """One line: which database, what went wrong, what to do."""
    db = connection.settings_dict
    name = str(db["NAME"])
    if connection.vendor == "sqlite":
        return (
            f"Cannot open the {using!r} database, the SQLite file {name}: {_reason(exc)} "
            "Check that its directory exists and is writable, or set SIGNALKIT_DATABASE_URL."
        )
    # Not connection.display_name: on MySQL that asks the server for its version.
    server = f"{SERVER_NAMES.get(connection.vendor, connection.vendor)} server at "
    server += str(db["HOST"] or "localhost")
    if db["PORT"]:
        server += f":{db['PORT']}"
    if _is_missing_database(connection, exc):
        return (
            f"The {using!r} database {name!r} does not exist on the {server}: create it "
            f"({_create_database_command(connection)}) or point SIGNALKIT_DATABASE_URL at "
            "an existing one."
        )
    user = f" as {db['USER']!r}" if db["USER"] else ""
    return (
        f"Cannot connect to the {using!r} database {name!r} on the {server}{user}: "
        f"{_reason(exc)} Check that the server is running and accepts this user, or point "
        "SIGNALKIT_DATABASE_URL at another database."
    )


def _reason(exc: Exception) -> str:
    """The driver's message on one line, ending with a full stop."""
    cause = exc.__cause__ or exc
    args = cause.args
    if len(args) == 2 and isinstance(args[0], int):  # MySQLdb: (code, message)
        reason = f"{args[1]} (error {args[0]})"
    else:
        # psycopg repeats the host and port the line names already.
        reason = re.sub(r"^connection failed: connection to server at .*? failed: ", "", str(cause))
        reason = "; ".join(line.strip() for line in reason.splitlines() if line.strip())
    reason = _one_line(reason)
    return reason if reason.endswith((".", "?", "!")) else f"{reason}."


def _is_missing_database(connection: BaseDatabaseWrapper, exc: Exception) -> bool:
    cause = exc.__cause__ or exc
    if connection.vendor == "mysql":
        return bool(cause.args) and cause.args[0] == 1049  # ER_BAD_DB_ERROR
    name = connection.settings_dict["NAME"]
    return f'database "{name}" does not exist' in str(cause)


def _create_database_command(connection: BaseDatabaseWrapper) -> str:
    db = connection.settings_dict
    if connection.vendor == "mysql":
        options = {"-h": db["HOST"], "-P": db["PORT"], "-u": db["USER"]}
        create = f"-e 'CREATE DATABASE `{db['NAME']}`'"
        return " ".join(["mariadb", *_options(options), create])
    options = {"-h": db["HOST"], "-p": db["PORT"], "-U": db["USER"]}
    return " ".join(["createdb", *_options(options), str(db["NAME"])])


def _options(options: dict[str, Any]) -> list[str]:
    return [f"{flag} {value}" for flag, value in options.items() if value]


def _one_line(text: str) -> str:
    return " ".join(text.split())
