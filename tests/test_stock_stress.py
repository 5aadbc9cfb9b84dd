"""StockMovementMixin under a randomized concurrent workload, on every database.

32 threads, each with its own connection, run 40 random changes each on 4 products with
150 in stock: creating orders, changing quantities, moving orders to another product,
deleting them (fresh or stale copies, one by one or by queryset), ``bulk_create()`` and
webhook-style saves with a primary key of their own. Then every unit must be accounted
for: each product's stock is 150 minus the quantities of its orders that exist, and no
stock is below zero. A change may be refused (``InsufficientStock``) or meet a database
error (a serialization failure, a deadlock, "database is locked"): it is then rolled back
whole, which the ledger checks too.

The figures (operations, refusals, database errors surfaced by kind, units lost) are in
every assertion message and printed (``pytest -s`` shows them). The random seed is new
each run and printed; ``SIGNALKIT_STRESS_SEED=<seed>`` runs the same changes again (the
threads' interleaving is the database's).

PostgreSQL and MariaDB run it in this process (``transaction=True``) at each isolation
level; SQLite runs it in a child process on a database file, since the suite's in-memory
SQLite database is one shared cache, not concurrent writers: once as Django 5.1+ advises
for concurrent writers (``OPTIONS={"transaction_mode": "IMMEDIATE", "timeout": 30}``),
once with SQLite's default deferred transactions, which refuse more changes ("database is
locked") and must lose nothing either.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.db import IntegrityError, OperationalError, connection
from django.db.models import Sum

from signalkit.mixins import ConcurrentStockChange, InsufficientStock
from tests.shop.models import Order, Product
from tests.test_stock_concurrency import ISOLATION_LEVELS, TIMEOUT, set_isolation_level

REPO = Path(__file__).resolve().parent.parent
SEED_VARIABLE = "SIGNALKIT_STRESS_SEED"

THREADS = 32
OPERATIONS = 40  # per thread
PRODUCTS = 4
INITIAL_STOCK = 150
INITIAL_ORDERS = 24
WEBHOOK_KEYS = range(900_001, 900_011)  # primary keys that "webhooks" save orders with
CREATED = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)

# operation -> weight
OPERATION_WEIGHTS = {
    "create": 18,
    "change quantity": 18,
    "move to another product": 12,
    "delete": 14,
    "delete a queryset": 8,
    "bulk_create": 10,
    "save a webhook's order": 10,
    "save a stale copy": 10,
}


@dataclass
class Figures:
    """What one run did, and what the ledger says afterwards."""

    database: str
    seed: int
    operations: int = 0
    refusals: int = 0  # InsufficientStock
    errors: Counter[str] = field(default_factory=Counter)  # database errors, by kind
    units_lost: dict[int, int] = field(default_factory=dict)  # product pk -> units
    negative_stock: dict[int, int] = field(default_factory=dict)  # product pk -> stock
    orders_left: int = 0

    def line(self) -> str:
        errors = ", ".join(f"{n} {kind}" for kind, n in sorted(self.errors.items()))
        return (
            f"stock stress on {self.database}, seed {self.seed} ({SEED_VARIABLE}={self.seed} "
            f"to rerun): {self.operations} operations, {self.refusals} refused "
            f"(InsufficientStock), {sum(self.errors.values())} database errors surfaced"
            f"{f' ({errors})' if errors else ''}, {self.orders_left} orders left, "
            f"{sum(abs(units) for units in self.units_lost.values())} units lost"
            f"{f' {self.units_lost}' if self.units_lost else ''}, negative stock: "
            f"{self.negative_stock or 'none'}"
        )

    def to_json(self) -> str:
        return json.dumps(
            {
                **self.__dict__,
                "units_lost": list(self.units_lost.items()),
                "negative_stock": list(self.negative_stock.items()),
            }
        )

    @classmethod
    def from_json(cls, text: str) -> Figures:
        raw = json.loads(text)
        raw["errors"] = Counter(raw["errors"])
        raw["units_lost"] = dict(raw["units_lost"])
        raw["negative_stock"] = dict(raw["negative_stock"])
        return cls(**raw)


def seed() -> int:
    """The seed from ``SIGNALKIT_STRESS_SEED``, or a new one."""
    given = os.environ.get(SEED_VARIABLE, "").strip()
    return int(given) if given else random.SystemRandom().randrange(2**32)


def error_kind(exc: BaseException) -> str | None:
    """How a change that met a database refusal failed; None for anything else."""
    if isinstance(exc, ConcurrentStockChange):
        return "concurrent deletion, retries exhausted"
    if isinstance(exc, IntegrityError):
        return "integrity error"
    if not isinstance(exc, OperationalError):
        return None
    text = str(exc).lower()
    for words, kind in [
        ("deadlock", "deadlock"),
        ("could not serialize", "serialization failure"),
        ("lock wait timeout", "lock wait timeout"),
        ("database is locked", "database is locked"),
        ("record has changed", "record changed since read"),
    ]:
        if words in text:
            return kind
    return "operational error"


class Shop:
    """The shared state of one run: products, the order keys known so far, the figures."""

    def __init__(self, figures: Figures) -> None:
        self.figures = figures
        self.products = [
            Product.objects.create(name=f"Stressed {i}", price="1.00", quantity=INITIAL_STOCK).pk
            for i in range(PRODUCTS)
        ]
        self.keys: list[int] = []
        self.lock = threading.Lock()
        self.unexpected: list[BaseException] = []
        for i in range(INITIAL_ORDERS):
            self.know(Order.objects.create(product_id=self.products[i % PRODUCTS], quantity=1).pk)

    def know(self, *keys: int | None) -> None:
        with self.lock:
            self.keys += [key for key in keys if key is not None]

    def some_keys(self, rng: random.Random, count: int) -> list[int]:
        with self.lock:
            return rng.sample(self.keys, min(count, len(self.keys)))

    def count(self, outcome: str | None) -> None:
        with self.lock:
            self.figures.operations += 1
            if outcome == "refused":
                self.figures.refusals += 1
            elif outcome is not None:
                self.figures.errors[outcome] += 1


class Customer:
    """One thread's random changes; it keeps the orders it loaded, to save stale copies."""

    def __init__(self, shop: Shop, rng: random.Random) -> None:
        self.shop, self.rng = shop, rng
        self.loaded: list[Order] = []

    def run(self, operations: int) -> None:
        names, weights = zip(*OPERATION_WEIGHTS.items(), strict=True)
        for name in self.rng.choices(names, weights, k=operations):
            change = self.plan(name)
            try:
                change()
            except InsufficientStock:
                self.shop.count("refused")
            except Exception as exc:
                kind = error_kind(exc)
                if kind is None:
                    raise
                self.shop.count(kind)
            else:
                self.shop.count(None)

    def product(self) -> int:
        return self.rng.choice(self.shop.products)

    def quantity(self) -> int:
        return self.rng.randint(1, 5)

    def fresh(self) -> Order | None:
        [key] = self.shop.some_keys(self.rng, 1) or [None]
        order = Order.objects.filter(pk=key).first() if key is not None else None
        if order is not None:
            self.loaded = [*self.loaded[-7:], order]
        return order

    def stale(self) -> Order | None:
        return self.rng.choice(self.loaded) if self.loaded else self.fresh()

    def plan(self, name: str) -> Callable[[], object]:
        rng = self.rng
        if name == "create":
            return lambda: self.shop.know(
                Order.objects.create(product_id=self.product(), quantity=self.quantity()).pk
            )
        if name == "bulk_create":
            orders = [
                Order(product_id=self.product(), quantity=self.quantity())
                for _ in range(rng.randint(1, 3))
            ]
            return lambda: self.shop.know(*(o.pk for o in Order.objects.bulk_create(orders)))
        if name == "save a webhook's order":
            order = Order(
                pk=rng.choice(WEBHOOK_KEYS),
                product_id=self.product(),
                quantity=self.quantity(),
                created_at=CREATED,
            )
            return lambda: (order.save(), self.shop.know(order.pk))
        if name == "delete a queryset":
            if rng.random() < 0.5:
                product, quantity = self.product(), self.quantity()
                return Order.objects.filter(product_id=product, quantity=quantity).delete
            keys = self.shop.some_keys(rng, rng.randint(1, 4))
            return Order.objects.filter(pk__in=keys).delete
        return lambda: self.change(name)

    def change(self, name: str) -> None:
        order = self.stale() if name == "save a stale copy" else self.fresh()
        if order is None:
            return
        if name == "delete":
            order.delete()
            return
        if name == "move to another product":
            order.product_id = self.rng.choice(
                [pk for pk in self.shop.products if pk != order.product_id]
            )
        else:
            order.quantity = self.quantity()
        order.save()


def run_workload(
    database: str,
    run_seed: int,
    prepare_thread: Callable[[], None] = lambda: None,
    threads: int = THREADS,
    operations: int = OPERATIONS,
) -> Figures:
    """Run the workload on the default database in ``threads`` threads; check the ledger."""
    figures = Figures(database=database, seed=run_seed)
    shop = Shop(figures)
    barrier = threading.Barrier(threads, timeout=TIMEOUT)

    def customer(index: int) -> None:
        try:
            prepare_thread()
            barrier.wait()
            Customer(shop, random.Random(f"{run_seed}-{index}")).run(operations)
        except BaseException as exc:
            barrier.abort()
            shop.unexpected.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=customer, args=(i,), daemon=True) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(TIMEOUT)
    assert not any(worker.is_alive() for worker in workers), f"threads hung: {figures.line()}"
    if shop.unexpected:
        raise AssertionError(f"a change failed unexpectedly: {figures.line()}") from (
            shop.unexpected[0]
        )
    ordered = dict(Order.objects.values_list("product").annotate(units=Sum("quantity")).order_by())
    for pk, stock in Product.objects.filter(pk__in=shop.products).values_list("pk", "quantity"):
        lost = INITIAL_STOCK - ordered.get(pk, 0) - stock
        if lost:
            figures.units_lost[pk] = lost
        if stock < 0:
            figures.negative_stock[pk] = stock
    figures.orders_left = Order.objects.count()
    return figures


def assert_nothing_lost(figures: Figures) -> None:
    print(figures.line())
    assert figures.operations == THREADS * OPERATIONS, figures.line()
    assert figures.units_lost == {}, figures.line()
    assert figures.negative_stock == {}, figures.line()


# --- PostgreSQL and MariaDB: threads in this process ------------------------------------------


@pytest.mark.server_database
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("isolation", ISOLATION_LEVELS)
def test_random_concurrent_changes_lose_no_unit_on_a_database_server(isolation: str) -> None:
    database = f"{connection.display_name} {isolation}"

    figures = run_workload(database, seed(), prepare_thread=lambda: set_isolation_level(isolation))

    assert_nothing_lost(figures)


# --- SQLite: a database file, in a child process ----------------------------------------------

CHILD = """
import sys

import django
from django.conf import settings

from tests import settings as base

path, transaction_mode, seed = sys.argv[1:]
options = {name: getattr(base, name) for name in dir(base) if name.isupper()}
options["DATABASES"] = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": path,
        "OPTIONS": {"transaction_mode": transaction_mode, "timeout": 30},
    }
}
settings.configure(**options)
django.setup()

from django.core.management import call_command

from tests.test_stock_stress import run_workload

call_command("migrate", run_syncdb=True, verbosity=0)
database = f"SQLite file, {transaction_mode} transactions"
print(run_workload(database, int(seed)).to_json())
"""


@pytest.mark.parametrize("transaction_mode", ["IMMEDIATE", "DEFERRED"])
def test_random_concurrent_changes_lose_no_unit_on_an_sqlite_file(
    tmp_path: Path, transaction_mode: str
) -> None:
    run_seed = seed()
    database = tmp_path / "stress.sqlite3"

    completed = subprocess.run(
        [sys.executable, "-c", CHILD, str(database), transaction_mode, str(run_seed)],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )

    assert completed.returncode == 0, f"seed {run_seed}:\n{completed.stderr}"
    assert_nothing_lost(Figures.from_json(completed.stdout.strip().splitlines()[-1]))
