"""StockMovementMixin under real concurrency: threads, each with its own database
connection, committing for real (``transaction=True``), on PostgreSQL and MariaDB.

Also the tools the other concurrency tests use: :func:`in_threads` (threads that start
together), :class:`Race` (a thread paused inside a receiver connected after signalkit's,
while another runs into it) and :func:`ledger_errors` (units lost or made up).

Skipped unless the suite runs on a database server (see tests/conftest.py).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest
from django.db import IntegrityError, OperationalError, connection
from django.db.models import Sum
from django.dispatch import Signal

from signalkit.mixins import InsufficientStock
from tests.factories import OrderFactory, ProductFactory
from tests.shop.models import Order, Product
from tests.test_stock import stock

pytestmark = [pytest.mark.server_database, pytest.mark.django_db(transaction=True)]

T = TypeVar("T")
TIMEOUT = 120  # seconds; a deadlock the database failed to detect must not hang the suite
STEP_TIMEOUT = 30  # seconds one step of a forced interleaving may take before the test fails

ISOLATION_LEVELS = ("read committed", "repeatable read", "serializable")

# What a database may answer a change that lost a race with (a serialization failure, a
# deadlock, a lock wait timeout, "database is locked", a duplicate key; signalkit's
# ConcurrentStockChange is an OperationalError too): the change is rolled back.
REFUSALS = (OperationalError, IntegrityError)


def in_threads(count: int, work: Callable[[int, threading.Barrier], T]) -> list[T]:
    """Run ``work(index, barrier)`` in ``count`` threads at once; return the results.

    Every thread starts at a shared barrier (which ``work`` may reuse to stay in step)
    and closes its own database connection when it is done. The first exception raised
    in a thread is raised here.
    """
    barrier = threading.Barrier(count, timeout=TIMEOUT)

    def run(index: int) -> T:
        try:
            barrier.wait()
            return work(index, barrier)
        except BaseException:
            barrier.abort()  # the others stop waiting for this one
            raise
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=count) as pool:
        futures = [pool.submit(run, index) for index in range(count)]
        return [future.result(timeout=TIMEOUT) for future in futures]


def ledger_errors(initial: Mapping[int, int]) -> dict[int, int]:
    """``{product pk: units lost}`` for each product whose stock is not its initial stock
    minus the quantities of its orders that exist (negative: units made up); ``{}`` when
    every unit is accounted for."""
    ordered = dict(
        Order.objects.filter(product__in=list(initial))
        .values_list("product")
        .annotate(units=Sum("quantity"))
        .order_by()
    )
    stocks = dict(Product.objects.filter(pk__in=list(initial)).values_list("pk", "quantity"))
    errors = {pk: initial[pk] - ordered.get(pk, 0) - stocks[pk] for pk in initial}
    return {pk: units for pk, units in errors.items() if units}


# --- forcing an interleaving ------------------------------------------------------------------


def set_isolation_level(level: str) -> None:
    """Run this thread's next transactions at ``level`` ("read committed", ...)."""
    mariadb = connection.vendor == "mysql"
    statement = (
        "SET SESSION TRANSACTION ISOLATION LEVEL {}"
        if mariadb
        else "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL {}"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement.format(level.upper()))
        cursor.execute("SELECT @@session.tx_isolation" if mariadb else "SHOW transaction_isolation")
        (current,) = cursor.fetchone()
    assert current.replace("-", " ").lower() == level, current


def backend_id() -> int:
    """This thread's connection as the server knows it (a PID or a connection id)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT CONNECTION_ID()" if connection.vendor == "mysql" else "SELECT pg_backend_pid()"
        )
        (backend,) = cursor.fetchone()
    return int(backend)


def waits_for_a_lock(backend: int) -> bool:
    """Whether that connection is waiting for a lock another transaction holds.

    MariaDB lists a wait in ``INNODB_TRX``, except a locking read of one row by its
    primary key, which it runs while planning the query (state "Statistics"), before the
    transaction is listed: a statement of these tests still running after half a second
    waits for a lock too.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "mysql":
            cursor.execute(
                "SELECT COUNT(*) FROM information_schema.INNODB_TRX "
                "WHERE trx_mysql_thread_id = %s AND trx_state = 'LOCK WAIT' "
                "UNION ALL SELECT COUNT(*) FROM information_schema.PROCESSLIST "
                "WHERE id = %s AND command = 'Query' AND time_ms > 500",
                [backend, backend],
            )
        else:
            cursor.execute(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE pid = %s AND wait_event_type = 'Lock'",
                [backend],
            )
        return any(waiting for (waiting,) in cursor.fetchall())


class Worker:
    """One change run in a thread of its own, on a connection of its own."""

    def __init__(self, work: Callable[[], object], isolation: str, name: str) -> None:
        self.work, self.isolation, self.name = work, isolation, name
        self.error: BaseException | None = None
        self.backend: int | None = None
        self.connected = threading.Event()
        self.paused = threading.Event()
        self._resume = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        try:
            set_isolation_level(self.isolation)
            self.backend = backend_id()
            self.connected.set()
            self.work()
        except BaseException as exc:
            self.error = exc
        finally:
            connection.close()
            self.connected.set()

    @property
    def finished(self) -> bool:
        return not self._thread.is_alive()

    def pause_here(self, **kwargs: Any) -> None:
        """A receiver: in this worker's thread, the first time, wait until resumed."""
        if threading.current_thread() is not self._thread or self.paused.is_set():
            return
        self.paused.set()
        if not self._resume.wait(STEP_TIMEOUT):
            raise TimeoutError(f"{self.name} was never resumed")

    def resume(self) -> None:
        self._resume.set()

    def finish(self) -> BaseException | None:
        """Wait for the change to end; return what it raised (None: it went through)."""
        self.resume()
        self._thread.join(STEP_TIMEOUT)
        assert self.finished, f"{self.name} did not finish in {STEP_TIMEOUT} s"
        return self.error


class Race:
    """Changes in threads, one of them paused at a chosen point (see :meth:`run`)."""

    def __init__(self, isolation: str) -> None:
        self.isolation = isolation
        self.workers: list[Worker] = []
        self._receivers: list[tuple[Signal, str]] = []

    def run(self, work: Callable[[], object], *, pause_in: Signal | None = None) -> Worker:
        """Start ``work`` in a new thread; return once it is at a known point.

        With ``pause_in`` (``pre_save``, ``post_delete``, ...): paused in a receiver of
        that signal for orders, connected after signalkit's, until :meth:`Worker.resume`.
        Without: waiting for a lock another transaction holds, or finished.
        """
        worker = Worker(work, self.isolation, f"change {len(self.workers) + 1}")
        self.workers.append(worker)
        if pause_in is not None:
            uid = f"tests.stock-race.{id(worker)}"
            pause_in.connect(worker.pause_here, sender=Order, weak=False, dispatch_uid=uid)
            self._receivers.append((pause_in, uid))
        worker.start()
        deadline = time.monotonic() + STEP_TIMEOUT
        while time.monotonic() < deadline:
            if worker.finished:
                assert pause_in is None, f"{worker.name} never reached {pause_in}: {worker.error!r}"
                return worker
            if pause_in is not None and worker.paused.is_set():
                return worker
            if pause_in is None and worker.backend is not None and waits_for_a_lock(worker.backend):
                return worker
            time.sleep(0.01)
        raise AssertionError(f"{worker.name} neither paused, waited for a lock nor finished")

    def __enter__(self) -> Race:
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            for worker in self.workers:
                worker.finish()
        finally:
            for signal, uid in self._receivers:
                signal.disconnect(sender=Order, dispatch_uid=uid)


def refused(worker: Worker) -> bool:
    """Whether the worker's change was refused by the database (and rolled back); any
    other exception fails the test, raised here."""
    if worker.error is None:
        return False
    if isinstance(worker.error, REFUSALS):
        return True
    raise worker.error


# --- many threads -----------------------------------------------------------------------------


def test_eight_threads_ordering_at_once_sell_exactly_the_stock_and_no_more() -> None:
    product = ProductFactory(quantity=300)

    def place_fifty_orders(index: int, barrier: threading.Barrier) -> tuple[int, int]:
        placed = refused = 0
        for _ in range(50):
            try:
                Order.objects.create(product_id=product.pk, quantity=1)
            except InsufficientStock:
                refused += 1
            else:
                placed += 1
        return placed, refused

    results = in_threads(8, place_fifty_orders)

    assert sum(placed for placed, _ in results) == 300
    assert sum(refused for _, refused in results) == 100  # every other order was refused
    assert stock(product) == 0
    assert Order.objects.count() == 300  # a refused order left no row
    assert Order.objects.aggregate(sold=Sum("quantity"))["sold"] == 300


def test_concurrent_quantity_changes_of_many_orders_keep_the_stock_exact() -> None:
    product = ProductFactory(quantity=1000)
    orders = [OrderFactory(product=product, quantity=1) for _ in range(4)]

    def grow_and_shrink(index: int, barrier: threading.Barrier) -> None:
        order = Order.objects.get(pk=orders[index].pk)
        for quantity in [5, 2, 9, 3] * 10:
            order.quantity = quantity
            order.save()

    in_threads(4, grow_and_shrink)

    assert stock(product) == 1000 - 4 * 3


def test_concurrent_product_swaps_finish_without_deadlock_and_move_every_unit() -> None:
    first, second = ProductFactory(quantity=1000), ProductFactory(quantity=1000)
    # Half the orders start on each product, so every round moves orders both ways at once:
    # A to B in some threads while B to A in others, the classic lock-order deadlock.
    orders = [OrderFactory(product=(first, second)[i % 2], quantity=1 + i) for i in range(6)]

    def swap_back_and_forth(index: int, barrier: threading.Barrier) -> None:
        order = Order.objects.get(pk=orders[index].pk)
        for _ in range(20):
            barrier.wait()  # every thread swaps at the same moment
            order.product_id = second.pk if order.product_id == first.pk else first.pk
            order.save()

    in_threads(len(orders), swap_back_and_forth)

    on_first = Order.objects.filter(product=first).aggregate(n=Sum("quantity"))["n"] or 0
    on_second = Order.objects.filter(product=second).aggregate(n=Sum("quantity"))["n"] or 0
    assert (stock(first), stock(second)) == (1000 - on_first, 1000 - on_second)
    assert on_first + on_second == sum(range(1, 7))


def test_deleting_the_same_order_from_two_threads_gives_its_stock_back_once() -> None:
    product = ProductFactory(quantity=10)
    order = OrderFactory(product=product, quantity=4)
    twins = [Order.objects.get(pk=order.pk) for _ in range(2)]

    def delete(index: int, barrier: threading.Barrier) -> None:
        twins[index].delete()

    in_threads(2, delete)

    assert not Order.objects.exists()
    assert Product.objects.get(pk=product.pk).quantity == 10
