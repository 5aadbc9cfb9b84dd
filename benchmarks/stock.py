"""Order creation: ``StockMovementMixin`` against the tutorial's stock receiver.

What is measured: creating orders one by one with ``Order.objects.create(product=...,
quantity=...)``, in autocommit mode as a view would, in two variants that differ only in
how the stock is kept:

- mixin: the order model uses :class:`signalkit.mixins.StockMovementMixin`: one
  transaction per order holding a guarded ``UPDATE product SET stock = stock - n WHERE
  id = p AND stock >= n`` and the ``INSERT``;
- tutorial: a plain order model and the tutorial's ``post_save`` receiver,
  ``product.stock -= order.quantity; product.save()``: the ``INSERT`` and an ``UPDATE`` of
  every product column, each its own autocommit transaction (and wrong under
  concurrency, which this benchmark does not exercise).

Why it is fair: both variants run in one process per database, on the same tables'
twins (``Product`` rows created alike for each variant, order tables with the same
columns), with the same plan of orders (product ``i % products``, quantity ``1 + i % 3``)
and the product instances loaded before each timed run (so neither variant reads a
product while timed). Before the timed runs, one run of each is captured to count the
queries per order, and after them the benchmark checks that both variants created every
order and took exactly the planned quantities out of stock; it aborts otherwise. Runs
alternate A B B A ... after untimed warm-ups, and the medians per order are compared.

The ratio is of wall-clock time, not of CPU time as the other benchmarks: the database's
work (a separate server for PostgreSQL, fsync for a SQLite file) is part of the cost and
CPU time of this process does not see it. CPU medians are printed beside it. SQLite runs
on a file in a temporary directory (journal and fsync as deployed, not ``:memory:``).
PostgreSQL runs when ``SIGNALKIT_DATABASE_URL`` names a PostgreSQL server
(``postgresql://user@host:port/name``), in a throwaway database
``signalkit_bench_stock_<pid>`` created and dropped by the benchmark; otherwise it is
skipped, saying so. The summary line is the worse of the databases measured.

Goal: an order with the mixin costs at most 1.2 times the tutorial's.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from benchmarks.result import BenchmarkError, Result, format_duration
from benchmarks.timing import run_child

NAME = "stock"
GOAL = 1.2
ENV_VAR = "SIGNALKIT_DATABASE_URL"

# Where ``benchmarks`` and ``example_project`` are importable from in the child process.
REPO = Path(__file__).resolve().parent.parent

# The child's name for an in-memory SQLite database.
MEMORY = ":memory:"

# Large enough that no run of either variant ever runs out.
INITIAL_STOCK = 1_000_000_000
VARIANTS = ("mixin", "tutorial")


@dataclass(frozen=True)
class Config:
    orders: int  # per timed run
    products: int
    runs: int
    warmups: int


FULL = Config(orders=200, products=10, runs=15, warmups=2)
QUICK = Config(orders=6, products=2, runs=1, warmups=0)


@dataclass(frozen=True)
class Variant:
    """What the child measured for one variant on one database (times per run, seconds)."""

    wall: list[float]
    cpu: list[float]
    queries_per_order: float
    one_order: list[str]  # the statements of one order, as Django logged them
    orders_created: int
    quantity_ordered: int
    stock_taken: int


@dataclass(frozen=True)
class Measurement:
    database: str  # "SQLite" or "PostgreSQL"
    orders_per_run: int
    variants: dict[str, Variant]

    def per_order(self, variant: str, kind: str = "wall") -> float:
        times = getattr(self.variants[variant], kind)
        return float(statistics.median(times)) / self.orders_per_run

    @property
    def ratio(self) -> float:
        return self.per_order("mixin") / self.per_order("tutorial")


def run(quick: bool) -> Result:
    """Measure on SQLite, and on PostgreSQL when a server is configured; compare."""
    config = QUICK if quick else FULL
    postgres = postgres_url()
    with tempfile.TemporaryDirectory(prefix="signalkit-bench-stock-") as tmp:
        root = Path(tmp)
        generate(root)
        measurements = [
            measure(root, config, "SQLite file", f"sqlite:///{root / 'bench.sqlite3'}"),
            measure(root, config, "SQLite in memory", MEMORY),
        ]
        if postgres is not None:
            measurements.append(measure(root, config, "PostgreSQL", postgres))
    for measurement in measurements:
        check_same_work(measurement)
    worst = max(measurements, key=lambda m: m.ratio)
    details = [line for m in measurements for line in _describe(m, config)]
    if postgres is None:
        details.append(
            f"PostgreSQL: skipped - set {ENV_VAR}=postgresql://user@host:port/name to "
            f"include it (a throwaway database is created and dropped)"
        )
    return Result(
        name=NAME,
        subject=worst.per_order("mixin"),
        baseline=worst.per_order("tutorial"),
        goal=GOAL,
        runs=config.runs,
        quick=quick,
        subject_label=f"mixin on {worst.database}",
        baseline_label=f"tutorial receiver on {worst.database}",
        statistic="median per order",
        details=tuple(details),
    )


def postgres_url() -> str | None:
    """``SIGNALKIT_DATABASE_URL`` when it names a PostgreSQL server, else None."""
    url = os.environ.get(ENV_VAR, "")
    return url if urlsplit(url).scheme in {"postgres", "postgresql"} else None


def check_same_work(measurement: Measurement) -> None:
    """Raise :class:`BenchmarkError` unless both variants created every order and took
    exactly the quantities ordered out of stock."""
    problems = []
    counts = {name: v.orders_created for name, v in measurement.variants.items()}
    if len(set(counts.values())) != 1:
        problems.append(f"the variants created different numbers of orders: {counts}")
    for name, variant in measurement.variants.items():
        if variant.stock_taken != variant.quantity_ordered:
            problems.append(
                f"{name}: {variant.quantity_ordered} units ordered but {variant.stock_taken} "
                f"taken out of stock"
            )
    if problems:
        raise BenchmarkError(
            f"on {measurement.database} the variants did not do the same work, so their "
            f"timings would not compare it:\n  " + "\n  ".join(problems)
        )


def _describe(m: Measurement, config: Config) -> list[str]:
    lines = [
        f"{m.database}: ratio {m.ratio:.3f} (goal <= {GOAL:g}) - mixin "
        f"{format_duration(m.per_order('mixin'))} vs tutorial "
        f"{format_duration(m.per_order('tutorial'))} per order, wall clock, median of "
        f"{config.runs} run{'s' if config.runs != 1 else ''} of {config.orders} orders; CPU: "
        f"{format_duration(m.per_order('mixin', 'cpu'))} vs "
        f"{format_duration(m.per_order('tutorial', 'cpu'))}, ratio "
        f"{m.per_order('mixin', 'cpu') / m.per_order('tutorial', 'cpu'):.3f}",
    ]
    for name in VARIANTS:
        variant = m.variants[name]
        transactions = (
            "in one transaction"
            if "BEGIN" in variant.one_order
            else "each in its own autocommit transaction"
        )
        lines.append(
            f"{m.database}, {name}: {variant.queries_per_order:g} queries per order, "
            f"{transactions} ({', '.join(variant.one_order)})"
        )
    return lines


# --- the generated app ------------------------------------------------------------------------


def generate(root: Path) -> None:
    """Write the ``bench_stock`` app: products, the two order models, the tutorial receiver."""
    app = root / "bench_stock"
    app.mkdir(parents=True, exist_ok=True)
    (app / "__init__.py").write_text("", encoding="utf-8")
    (app / "models.py").write_text(MODELS_PY, encoding="utf-8")
    (app / "signals.py").write_text(SIGNALS_PY, encoding="utf-8")


MODELS_PY = """\
from django.db import models

from signalkit.mixins import StockMovementMixin


class Product(models.Model):
    name = models.CharField(max_length=200)
    price = models.DecimalField(max_digits=10, decimal_places=2)
    stock = models.IntegerField()


class MixinOrder(StockMovementMixin, models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Stock:
        product_field = "product"
        quantity_field = "quantity"
        stock_field = "stock"


class TutorialOrder(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
"""

SIGNALS_PY = """\
from django.db.models.signals import post_save
from django.dispatch import receiver

from bench_stock.models import TutorialOrder


@receiver(post_save, sender=TutorialOrder)
def decrement_stock(sender, instance, created, raw, **kwargs):
    if raw or not created:
        return
    product = instance.product
    product.stock -= instance.quantity
    product.save()
"""


# --- the child process ------------------------------------------------------------------------


def measure(root: Path, config: Config, label: str, url: str) -> Measurement:
    """Run :func:`child` in a fresh interpreter against ``url``; parse its report."""
    raw, stdout = run_child(
        "benchmarks.stock",
        label,
        url,
        str(config.orders),
        str(config.products),
        str(config.runs),
        str(config.warmups),
        cwd=root,
        path=[root],
    )
    try:
        return Measurement(
            database=str(raw["database"]),
            orders_per_run=int(raw["orders_per_run"]),
            variants={
                name: Variant(
                    wall=[float(t) for t in raw[name]["wall"]],
                    cpu=[float(t) for t in raw[name]["cpu"]],
                    queries_per_order=float(raw[name]["queries_per_order"]),
                    one_order=[str(s) for s in raw[name]["one_order"]],
                    orders_created=int(raw[name]["orders_created"]),
                    quantity_ordered=int(raw[name]["quantity_ordered"]),
                    stock_taken=int(raw[name]["stock_taken"]),
                )
                for name in VARIANTS
            },
        )
    except (IndexError, ValueError, KeyError, TypeError) as exc:
        raise BenchmarkError(
            f"the stock benchmark child for {_redacted(url)} printed no report: {stdout!r}"
        ) from exc


def _redacted(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@")
    return url


def child(argv: Sequence[str]) -> None:
    """In the child: configure Django on a fresh database, time both variants, print JSON."""
    label, url = argv[0], argv[1]
    orders, products, runs, warmups = (int(arg) for arg in argv[2:])
    import django
    from django.conf import settings

    from example_project.database import database_from_url

    database = database_from_url(None if url == MEMORY else url, sqlite_name=MEMORY)
    if database["ENGINE"].endswith("sqlite3"):
        database["TEST"] = {"NAME": database["NAME"]}  # a file, or the shared in-memory one
    else:
        database["TEST"] = {"NAME": f"signalkit_bench_stock_{os.getpid()}"}
    settings.configure(
        INSTALLED_APPS=["django.contrib.contenttypes", "signalkit", "bench_stock"],
        DATABASES={"default": database},
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        USE_TZ=True,
    )
    django.setup()
    from django.db import connection

    original_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        report = {"database": label, **_time_variants(orders, products, runs, warmups)}
    finally:
        connection.creation.destroy_test_db(original_name, verbosity=0)
    print(json.dumps(report))


def _time_variants(orders: int, products: int, runs: int, warmups: int) -> dict[str, object]:
    import time

    from bench_stock.models import MixinOrder, Product, TutorialOrder  # type: ignore[import-not-found]
    from django.db import connection
    from django.db.models import Sum
    from django.test.utils import CaptureQueriesContext

    from benchmarks.timing import interleaved

    order_models = {"mixin": MixinOrder, "tutorial": TutorialOrder}
    product_pks = {
        name: [
            Product.objects.create(name=f"{name} {i}", price="9.90", stock=INITIAL_STOCK).pk
            for i in range(products)
        ]
        for name in VARIANTS
    }
    plan = [(i % products, 1 + i % 3) for i in range(orders)]

    def place_orders(name: str, captured: list[str] | None = None) -> tuple[float, float]:
        loaded = Product.objects.in_bulk(product_pks[name])
        stocked = [loaded[pk] for pk in product_pks[name]]
        model = order_models[name]
        # Queries are logged only for the untimed run that counts them.
        queries = CaptureQueriesContext(connection) if captured is not None else None
        with nullcontext() if queries is None else queries:
            cpu, wall = time.process_time(), time.perf_counter()
            for index, quantity in plan:
                model.objects.create(product=stocked[index], quantity=quantity)
            timed = time.perf_counter() - wall, time.process_time() - cpu
        if captured is not None and queries is not None:
            captured += [query["sql"] for query in queries.captured_queries]
        return timed

    statements: dict[str, list[str]] = {}
    queries: dict[str, float] = {}
    for name in VARIANTS:
        logged: list[str] = []
        place_orders(name, logged)
        queries[name] = len([sql for sql in logged if _is_query(sql)]) / orders
        statements[name] = [_statement(sql) for sql in logged[: len(logged) // orders]]

    mixin_runs, tutorial_runs = interleaved(
        lambda: place_orders("mixin"),
        lambda: place_orders("tutorial"),
        runs=runs,
        warmups=warmups,
    )
    placed = 1 + warmups + runs  # the captured run, the warm-ups, the timed runs
    report: dict[str, object] = {"orders_per_run": orders}
    for name, timed in (("mixin", mixin_runs), ("tutorial", tutorial_runs)):
        stock = Product.objects.filter(pk__in=product_pks[name]).aggregate(s=Sum("stock"))["s"]
        report[name] = {
            "wall": [wall for wall, _ in timed],
            "cpu": [cpu for _, cpu in timed],
            "queries_per_order": queries[name],
            "one_order": statements[name],
            "orders_created": order_models[name].objects.count(),
            "quantity_ordered": placed * sum(quantity for _, quantity in plan),
            "stock_taken": products * INITIAL_STOCK - stock,
        }
    return report


def _is_query(sql: str) -> bool:
    return sql.split(None, 1)[0].upper() in {"SELECT", "INSERT", "UPDATE", "DELETE"}


def _statement(sql: str) -> str:
    """``'UPDATE bench_stock_product'``, ``'BEGIN'``: the verb and the table, if any."""
    words = sql.replace('"', "").split()
    verb = words[0].upper()
    if verb == "UPDATE":
        return f"UPDATE {words[1]}"
    for keyword in ("INTO", "FROM"):
        if keyword in words:
            return f"{verb} {words[words.index(keyword) + 1]}"
    return verb
