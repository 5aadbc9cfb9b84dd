"""``python manage.py demo``: migrate, load the sample shop, create a superuser.

Idempotent: every object is looked up before it is created, so running it again changes
nothing (and never resets a password).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, TypeVar

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import DEFAULT_DB_ALIAS, models, transaction

from example_project.blog.models import Comment, Post
from example_project.orders.models import Order
from example_project.products.models import Product, Tag
from example_project.users.models import Profile

M = TypeVar("M", bound=models.Model)

USERS = [
    # username, e-mail, location
    ("alice", "alice@example.com", "Lisbon"),
    ("bob", "bob@example.com", "Oslo"),
    ("carol", "carol@example.com", "Nairobi"),
]
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


class Command(BaseCommand):
    help = "Migrate, load the demo shop's sample data and create a superuser (idempotent)."

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
            load_sample_data(using)
            password_shown = self.ensure_superuser(
                using, options["username"], options["password"], options["email"]
            )
        self.stdout.write(self.style.SUCCESS("The demo shop is ready:"))
        self.stdout.write(f"  {summary(using)}")
        self.stdout.write(
            "Log in to the admin:\n"
            "  python manage.py runserver\n"
            "  open http://127.0.0.1:8000/admin/\n"
            f"  user: {options['username']}  password: {password_shown}\n"
            "The shop page (place and confirm orders there): http://127.0.0.1:8000/"
        )

    def ensure_superuser(self, using: str, username: str, password: str, email: str) -> str:
        """Create the superuser unless it exists; return the password to show."""
        user_model = get_user_model()
        user = (
            user_model._default_manager.db_manager(using)
            .filter(**{user_model.USERNAME_FIELD: username})
            .first()
        )
        if user is None:
            user_model._default_manager.db_manager(using).create_superuser(
                **{user_model.USERNAME_FIELD: username, "email": email, "password": password}
            )
            return password
        if not getattr(user, "is_superuser", False):
            self.stderr.write(
                f"{username!r} exists but is not a superuser: pick another --username."
            )
        if user.check_password(password):
            return password
        return "(unchanged: the user already existed)"


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
    # Creating the comment e-mails alice once the transaction commits (console backend).
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
