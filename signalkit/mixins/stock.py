"""Stock that never loses an update: :class:`StockMovementMixin` for order-line-like models.

The tutorial receiver (``product.quantity -= order.quantity; product.save()``) reads the
stock, subtracts in Python and writes it back: two orders at once both read 10 and both
write 9 (a lost update), nothing stops the stock going below zero, and quantity changes,
deletions and fixture loads are ignored or counted twice. With the mixin, every stock
change is one guarded statement the database applies atomically::

    UPDATE product SET stock = stock - 3 WHERE id = 7 AND stock >= 3

and zero rows updated means "not enough stock": :class:`InsufficientStock` is raised and
the order row is not written. It is the statement ``Product.objects.filter(pk=7,
stock__gte=3).update(stock=F("stock") - 3)`` sends, no read-modify-write; signalkit writes
it once per stocked model, since building it through the ORM for every order took longer
than the database took to run it. Example::

    from signalkit.mixins import StockMovementMixin, non_negative_stock_constraint

    class Product(models.Model):
        stock = models.IntegerField(default=0)

        class Meta:
            constraints = [non_negative_stock_constraint("stock")]

    class OrderLine(StockMovementMixin, models.Model):
        product = models.ForeignKey(Product, on_delete=models.CASCADE)
        quantity = models.PositiveIntegerField()

        class Stock:
            product_field = "product"    # the ForeignKey to the stocked model
            quantity_field = "quantity"  # a numeric field of this model
            stock_field = "stock"        # a numeric field of the stocked model
            allow_negative = False       # optional: True drops the "stock >= n" guard

    OrderLine.objects.create(product=moka_pot, quantity=3)   # stock - 3, or InsufficientStock

The mixin connects its own ``pre_save``, ``pre_delete`` and ``post_delete`` receivers for
each concrete or proxy subclass, and its default manager makes :class:`StockMovementQuerySet`
objects, whose bulk writes move the stock too. This module holds the configuration reader,
the guarded statements, the receivers and the row-write override that keeps them in step.
What moves the stock, transactions, and what concurrent writers get on each database and
isolation level: the manual's :doc:`/stock` page.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from itertools import chain
from typing import Any, ClassVar, Self, TypeVar

from django.apps import AppConfig, apps
from django.core.checks import CheckMessage, Tags, register
from django.core.checks import Error as CheckError
from django.core.checks import Warning as CheckWarning
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db import (
    DatabaseError,
    IntegrityError,
    OperationalError,
    connections,
    models,
    router,
    transaction,
)
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import F, Q
from django.db.models.signals import class_prepared, post_delete, pre_delete, pre_save
from django.db.transaction import TransactionManagementError

from signalkit.checks import CHECK_IDS
from signalkit.mixins._dispatch_uid import mixin_dispatch_uid
from signalkit.mixins._errors import UNIQUE_VIOLATION, driver_code

_M = TypeVar("_M", bound=models.Model)
_T = TypeVar("_T")

logger = logging.getLogger(__name__)

STOCK_SETTINGS = ("product_field", "quantity_field", "stock_field", "allow_negative")
NUMERIC_FIELDS = (models.IntegerField, models.DecimalField, models.FloatField)

# --- errors -----------------------------------------------------------------------------------


class InsufficientStock(Exception):
    """Raised when a stock change would take more than the product has; nothing is written.

    ``product`` is the stocked model instance (as read after the failed update),
    ``requested`` the amount the change needed and ``available`` the stock at that moment.
    Example::

        try:
            Order.objects.create(product=moka_pot, quantity=5)
        except InsufficientStock as exc:
            messages.error(request, f"Only {exc.available} left of {exc.product}.")
    """

    def __init__(self, product: models.Model, requested: Any, available: Any) -> None:
        self.product = product
        self.requested = requested
        self.available = available
        super().__init__(
            f"Not enough stock of {product} ({product._meta.label} pk={product.pk}): "
            f"requested {requested}, available {available}."
        )

    def __reduce__(self) -> tuple[type[InsufficientStock], tuple[Any, Any, Any]]:
        return (type(self), (self.product, self.requested, self.available))


class UntrackedStockChange(Exception):
    """A bulk write would change a stock-tracked field without moving the stock.

    ``QuerySet.update()`` and ``bulk_update()`` send no signals, and ``bulk_create()`` with
    ``ignore_conflicts`` or ``update_conflicts`` cannot tell which rows it wrote. Save the
    objects one by one, or mark the queryset when you move the stock yourself::

        Order.objects.filter(pk__in=pks).bypass_stock().update(quantity=0)
    """


class ConcurrentStockChange(OperationalError):
    """A deletion removed a row it had not read: the whole deletion was rolled back.

    A deletion reads and locks the rows it deletes, to give their stock back. A row that
    did not exist at that moment cannot be locked; if another transaction inserts it
    with the same primary key (saving a stale copy of a deleted order, a webhook
    delivered again) and commits before the deletion's ``DELETE`` runs, that ``DELETE``
    removes it at READ COMMITTED, and its stock, never read, would be lost. The deletion
    raises this instead, and its transaction (or savepoint) is rolled back: nothing was
    deleted, no stock moved.

    ``instance.delete()`` and ``queryset.delete()`` of the mixin's models run again by
    themselves (up to three times) when it happens; a cascade from another model
    (``customer.delete()``) raises it to the caller, to be retried like the serialization
    failures it subclasses with (``django.db.OperationalError``)::

        for _ in range(3):
            try:
                customer.delete()
                break
            except ConcurrentStockChange:
                continue
    """


def non_negative_stock_constraint(
    field_name: str = "stock",
    *,
    name: str | None = None,
    violation_error_message: str | None = None,
) -> models.CheckConstraint:
    """A ``CheckConstraint`` that keeps ``field_name`` at zero or above.

    The default name, ``<app_label>_<model>_<field>_non_negative``, is filled in by Django
    for the model's ``Meta.constraints``; a migration needs it spelled out::

        class Meta:
            constraints = [non_negative_stock_constraint("stock")]

        # in the migration
        migrations.AddConstraint(
            model_name="product",
            constraint=non_negative_stock_constraint(
                "stock", name="shop_product_stock_non_negative"
            ),
        )
    """
    condition = Q(**{f"{field_name}__gte": 0})
    options: dict[str, Any] = {
        "name": name or f"%(app_label)s_%(class)s_{field_name}_non_negative",
    }
    if violation_error_message is not None:
        options["violation_error_message"] = violation_error_message
    return models.CheckConstraint(condition=condition, **options)


# --- configuration ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Target:
    """Where stock lives: the stocked model, the field the order's key points at, the stock."""

    model: type[models.Model]
    key: str
    stock: str
    allow_negative: bool


class _StockConfig:
    """One model's validated ``Stock`` configuration, with its fields resolved."""

    def __init__(self, model: type[models.Model]) -> None:
        label = model._meta.label
        settings = _read_stock_class(model)
        product = _own_field(model, "product_field", settings["product_field"])
        if not isinstance(product, models.ForeignKey):
            raise ImproperlyConfigured(
                f"{label}.Stock.product_field is {settings['product_field']!r}, a "
                f"{type(product).__name__}; it must name a ForeignKey (or OneToOneField) to "
                f"the model that holds the stock."
            )
        quantity = _own_field(model, "quantity_field", settings["quantity_field"])
        if not isinstance(quantity, NUMERIC_FIELDS) or isinstance(quantity, models.ForeignKey):
            raise ImproperlyConfigured(
                f"{label}.Stock.quantity_field is {settings['quantity_field']!r}, a "
                f"{type(quantity).__name__}; it must name a numeric field "
                f"(IntegerField, DecimalField, FloatField or a subclass) of {label}."
            )
        self.label = label
        self.product: models.ForeignKey[Any, Any] = product
        self.quantity: models.Field[Any, Any] = quantity
        self.stock_field: str = settings["stock_field"]
        self.allow_negative: bool = settings["allow_negative"]
        self.product_names = frozenset({product.name, product.attname})
        self.quantity_names = frozenset({quantity.name, quantity.attname})
        self.tracked = self.product_names | self.quantity_names
        # The model whose table holds the product and quantity columns: with multi-table
        # inheritance a child's deletion also deletes (and signals) its parent row, and only
        # that row gives the stock back.
        self.owner: type[models.Model] = product.model._meta.concrete_model or product.model
        self._target: _Target | None = None

    @property
    def target(self) -> _Target:
        if self._target is None:
            remote = self.product.remote_field.model
            if not isinstance(remote, type):
                raise ImproperlyConfigured(
                    f"{self.label}.Stock.product_field {self.product.name!r} points to "
                    f"{remote!r}, which is not an installed model."
                )
            self._target = _Target(
                model=remote,
                key=self.product.target_field.attname,
                stock=self.stock_field,
                allow_negative=self.allow_negative,
            )
        return self._target

    def key_of(self, instance: models.Model) -> Any:
        return getattr(instance, self.product.attname)

    def owner_pk_of(self, instance: models.Model) -> Any:
        """The primary key of the instance's row in the owner's table.

        It is the instance's own ``pk`` along the chain of parent links (an unsaved
        multi-table child may hold it in its link field only); another parent of a
        multiple-inheritance child has a key of its own.
        """
        meta = instance._meta
        while meta.concrete_model is not self.owner:
            link = meta.pk.remote_field if meta.pk is not None else None
            if link is None or not getattr(link, "parent_link", False):
                owner_pk = self.owner._meta.pk
                assert owner_pk is not None
                return getattr(instance, owner_pk.attname)
            meta = link.model._meta
        return instance.pk

    def quantity_of(self, instance: models.Model) -> Any:
        value = getattr(instance, self.quantity.attname)
        if hasattr(value, "resolve_expression"):
            raise TypeError(
                f"{self.label}.{self.quantity.name} is {value!r}, an expression: the stock "
                f"mixin needs a number to move the stock (it reads the stored value itself). "
                f"Assign the new quantity, e.g. order.{self.quantity.name} += 1."
            )
        return 0 if value is None else self.quantity.to_python(value)

    def stored_rows(self, queryset: models.QuerySet[Any], using: str) -> dict[Any, tuple[Any, Any]]:
        """``{pk: (product key, quantity)}`` of these rows as stored, locked until commit.

        Locked in primary-key order (``SELECT ... FOR UPDATE`` where the database has it),
        so a concurrent change of the same rows waits for this transaction.
        """
        rows = queryset.using(using).order_by("pk")
        if connections[using].features.has_select_for_update:
            rows = rows.select_for_update()
        return {
            pk: (key, quantity)
            for pk, key, quantity in rows.values_list(
                "pk", self.product.attname, self.quantity.attname
            )
        }


def _read_stock_class(model: type[models.Model]) -> dict[str, Any]:
    label = model._meta.label
    stock = getattr(model, "Stock", None)
    if not isinstance(stock, type):
        raise ImproperlyConfigured(
            f"{label} uses StockMovementMixin but has no inner `class Stock`; add one "
            f'naming its fields, e.g. product_field = "product", quantity_field = '
            f'"quantity", stock_field = "stock".'
        )
    given = {name: getattr(stock, name) for name in dir(stock) if not name.startswith("_")}
    unknown = sorted(set(given) - set(STOCK_SETTINGS))
    if unknown:
        raise ImproperlyConfigured(
            f"{label}.Stock has unknown setting(s) {', '.join(map(repr, unknown))}; the "
            f"settings are {', '.join(STOCK_SETTINGS)}."
        )
    given.setdefault("allow_negative", False)
    missing = [name for name in STOCK_SETTINGS if name not in given]
    if missing:
        raise ImproperlyConfigured(
            f"{label}.Stock does not set {', '.join(missing)}; product_field, "
            f"quantity_field and stock_field are required."
        )
    for name in ("product_field", "quantity_field", "stock_field"):
        value = given[name]
        if not isinstance(value, str) or not value.isidentifier():
            raise ImproperlyConfigured(
                f"{label}.Stock.{name} is {value!r}; it must be a field name (a string)."
            )
    if not isinstance(given["allow_negative"], bool):
        raise ImproperlyConfigured(
            f"{label}.Stock.allow_negative is {given['allow_negative']!r}; it must be True "
            f"or False."
        )
    return given


def _own_field(model: type[models.Model], setting: str, name: str) -> Any:
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        fields = ", ".join(f.name for f in model._meta.concrete_fields)
        raise ImproperlyConfigured(
            f"{model._meta.label}.Stock.{setting} is {name!r}, which is not a field of "
            f"{model._meta.label} (its fields: {fields})."
        ) from None


# Stock models (concrete and proxy subclasses of the mixin) -> their configuration.
_STOCK_CONFIGS: weakref.WeakKeyDictionary[type[models.Model], _StockConfig] = (
    weakref.WeakKeyDictionary()
)


def _stock_config(model: type[models.Model]) -> _StockConfig | None:
    return _STOCK_CONFIGS.get(model)


# --- moving stock -----------------------------------------------------------------------------


def _apply(target: _Target, moves: dict[Any, Any], using: str) -> None:
    """Apply ``{product key: amount to take}`` (negative: give back), in key order.

    Taking is ``UPDATE ... SET stock = stock - n WHERE key = k AND stock >= n``: one
    statement, atomic in the database; zero rows updated raises InsufficientStock. Giving
    back never fails, and updates nothing when the product is gone (it is not re-created).
    The key order is what makes concurrent multi-product moves deadlock-free.
    """
    for key in sorted(moves):
        amount = moves[key]
        if amount < 0:
            _update(target, key, -amount, using, take=False)
        elif amount and not _update(target, key, amount, using, take=True):
            _raise_insufficient(target, key, amount, using)


def _update(target: _Target, key: Any, amount: Any, using: str, *, take: bool) -> int:
    """Run one stock UPDATE; return the number of rows it changed (0 or 1)."""
    statements = _statements(target, using)
    if statements is None:  # the ORM joins the tables
        rows = target.model._base_manager.db_manager(using).filter(**{target.key: key})
        if not take:
            return rows.update(**{target.stock: F(target.stock) + amount})
        if not target.allow_negative:
            rows = rows.filter(**{f"{target.stock}__gte": amount})
        return rows.update(**{target.stock: F(target.stock) - amount})
    connection = connections[using]
    key_field = target.model._meta.get_field(target.key)
    assert isinstance(key_field, models.Field)
    params = [amount, key_field.get_db_prep_value(key, connection, prepared=False)]
    if take and not target.allow_negative:
        params.append(amount)
    with transaction.mark_for_rollback_on_error(using), connection.cursor() as cursor:
        cursor.execute(statements[0] if take else statements[1], params)
        return int(cursor.rowcount)


# (stocked model, database alias) -> its "take" and "give back" UPDATE statements.
_STATEMENTS: dict[tuple[_Target, str], tuple[str, str] | None] = {}


def _statements(target: _Target, using: str) -> tuple[str, str] | None:
    """The SQL of ``filter(key=k[, stock__gte=n]).update(stock=F("stock") -/+ n)``.

    Written once per stocked model and database from the model's metadata: the ORM takes
    about ten times longer to build that statement than the database to run it. With
    multi-table inheritance the statement goes to the table that holds the stock, keyed by
    its primary key (equal to the product's). None when the key is another field of
    another table than the stock's: the ORM builds those, as two statements.
    """
    cache_key = (target, using)
    if cache_key in _STATEMENTS:
        return _STATEMENTS[cache_key]
    meta = target.model._meta
    stock, key = meta.get_field(target.stock), meta.get_field(target.key)
    assert isinstance(stock, models.Field)
    assert isinstance(key, models.Field)
    owner = stock.model._meta
    statements = None
    if key.model._meta.db_table == owner.db_table or (
        key.primary_key and stock.model in meta.get_parent_list()
    ):
        key_field = key if key.model._meta.db_table == owner.db_table else owner.pk
        assert key_field is not None
        assert stock.column is not None
        assert key_field.column is not None
        quote = connections[using].ops.quote_name
        table, column = quote(owner.db_table), quote(stock.column)
        where = quote(key_field.column)
        take = f"UPDATE {table} SET {column} = {column} - %s WHERE {where} = %s"
        if not target.allow_negative:
            take += f" AND {column} >= %s"
        statements = (take, f"UPDATE {table} SET {column} = {column} + %s WHERE {where} = %s")
    _STATEMENTS[cache_key] = statements
    return statements


def _raise_insufficient(target: _Target, key: Any, amount: Any, using: str) -> None:
    model = target.model
    product = model._base_manager.db_manager(using).filter(**{target.key: key}).first()
    if product is None:
        raise model.DoesNotExist(
            f"{model._meta.label} with {target.key}={key!r} does not exist, so its stock "
            f"cannot supply {amount}."
        )
    raise InsufficientStock(product, amount, getattr(product, target.stock))


def _forget_stock(config: _StockConfig, instances: Iterable[models.Model], keys: Any) -> None:
    """Make the products cached on these instances read their stock afresh.

    The stock attribute is dropped from the cached product, so the next read loads the
    stored value (a deferred field), and a later ``product.save()`` leaves the stock
    column alone instead of writing a stale number back.
    """
    target = config.target
    for instance in instances:
        if not config.product.is_cached(instance):
            continue
        product = config.product.get_cached_value(instance)
        if product is not None and getattr(product, target.key) in keys:
            product.__dict__.pop(target.stock, None)


# --- saving: the row write follows what the locked read found ---------------------------------

# How many times save() and delete() run a change that lost a race they can settle by running
# again (an INSERT that met a key another transaction inserted meanwhile, a DELETE that met a
# row another transaction re-inserted meanwhile): the first try and two more.
ATTEMPTS = 3


@dataclass(eq=False)
class _Save:
    """One save of a tracked instance, from its ``pre_save`` receiver to its row write.

    The receiver reads the stored row (locked until the transaction ends) and moves the
    stock for it; :meth:`StockMovementMixin._save_table` then makes Django's write match
    that read: a locked row is what Django's ``UPDATE`` finds, and no row means the write
    must be an ``INSERT`` (which fails on a key inserted meanwhile, rather than updating
    a row whose quantity was never read).
    """

    instance: models.Model
    force_update: bool = False
    started: bool = False  # save_base() took it over
    looked: bool = False  # the receiver read the stored row
    stored: tuple[Any, Any] | None = None  # what it found: (product key, quantity)
    config: _StockConfig | None = None
    owner_pk: Any = None
    forced_insert: bool = False  # Django would have tried an UPDATE first
    snapshot: dict[str, Any] | None = None  # the instance's attributes before the save

    def lost_insert_race(self, error: IntegrityError) -> bool:
        """Whether the INSERT forced for lack of a stored row met a key taken meanwhile."""
        return self.forced_insert and _duplicate_key(error)

    def restore(self) -> None:
        """Put the instance's attributes back as they were before the failed attempt
        (``auto_now_add`` and other ``pre_save()`` values set for the INSERT included)."""
        if self.snapshot is not None:
            self.instance.__dict__.clear()
            self.instance.__dict__.update(self.snapshot)


def _duplicate_key(error: IntegrityError) -> bool:
    """Whether the database refused a row because a unique key of it is taken (as told
    by PostgreSQL's SQLSTATE, MySQL's error number or SQLite's message)."""
    code = driver_code(error)
    if code is not None:
        return code in UNIQUE_VIOLATION
    return "UNIQUE constraint failed" in str(error.__cause__)


# The save in progress in this thread or task (saves nest: a receiver may save another row).
_SAVE: ContextVar[_Save | None] = ContextVar("signalkit_stock_save", default=None)


def _save_of(instance: models.Model) -> _Save | None:
    save = _SAVE.get()
    return save if save is not None and save.instance is instance else None


def _require_transaction(using: str, model: type[models.Model]) -> None:
    connection = connections[using]
    if not connection.in_atomic_block and connection.get_autocommit():
        raise TransactionManagementError(
            f"{model._meta.label}'s stock moves must run in the same transaction as the "
            f"row they belong to: call save() (which opens one) rather than save_base(), "
            f"or wrap the call in transaction.atomic()."
        )


def _inserts(instance: models.Model) -> bool:
    """Whether ``save()`` is about to INSERT without looking for a stored row first."""
    if instance.pk is None:
        return True
    if not instance._state.adding:
        return False
    pk = instance._meta.pk
    assert pk is not None
    return pk.has_default() or getattr(pk, "db_default", models.NOT_PROVIDED) is not (
        models.NOT_PROVIDED
    )


def _moves(*changes: tuple[Any, Any]) -> dict[Any, Any]:
    """Sum ``(product key, amount)`` changes per product, leaving out missing products."""
    moves: defaultdict[Any, Any] = defaultdict(int)
    for key, amount in changes:
        if key is not None and amount:
            moves[key] += amount
    return moves


# --- receivers (connected per model by track_stock_model) ------------------------------------


def move_stock_before_save(
    sender: type[models.Model],
    instance: models.Model,
    raw: bool,
    using: str,
    update_fields: Collection[str] | None,
    **kwargs: Any,
) -> None:
    """Take, give back or move the stock of the row about to be written.

    A save sure to insert (no primary key yet, or a new instance whose key has a default)
    takes the quantity, reading nothing. Otherwise the stored row is read and row-locked
    until the transaction ends: its product and quantity give the difference to move,
    and the save's write then matches what was read (see :class:`_Save`); no stored row:
    the quantity is taken, and the row is inserted. Fields left out of ``update_fields``
    keep their stored value. Raw saves move nothing.
    """
    config = _stock_config(sender)
    if config is None or raw:
        return
    if update_fields is not None and config.tracked.isdisjoint(update_fields):
        return
    _require_transaction(using, sender)
    key, quantity = config.key_of(instance), config.quantity_of(instance)
    stored = None
    if not _inserts(instance):
        owner_pk = config.owner_pk_of(instance)
        rows = config.stored_rows(config.owner._base_manager.filter(pk=owner_pk), using)
        stored = next(iter(rows.values()), None)
        save = _save_of(instance)
        if save is not None:
            save.looked, save.stored = True, stored
            save.config, save.owner_pk = config, owner_pk
            if stored is None and (update_fields is not None or save.force_update):
                return  # its UPDATE finds no row: the save raises, nothing to move
    if stored is None:
        moves = _moves((key, quantity))
    else:
        if update_fields is not None:
            if config.product_names.isdisjoint(update_fields):
                key = stored[0]
            if config.quantity_names.isdisjoint(update_fields):
                quantity = stored[1]
        moves = _moves((stored[0], -stored[1]), (key, quantity))
    if any(moves.values()):
        _apply(config.target, moves, using)
        _forget_stock(config, [instance], moves)


@dataclass(eq=False)
class _Deletion:
    """One deletion (one Django Collector run) of tracked rows, keyed by its atomic block.

    The ``pre_delete`` receivers note each row's stored product and quantity, read and
    locked; while the Collector runs, :meth:`count_deletes` (a database execute wrapper)
    counts what its ``DELETE`` statements really remove from each owner table, and raises
    :class:`ConcurrentStockChange` if that is more than the rows noted; the last
    ``post_delete`` gives the stock back, one UPDATE per product, and removes the wrapper.
    """

    using: str
    block: weakref.ref[Any]
    moves: defaultdict[_Target, list[tuple[Any, Any]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    cached: list[tuple[_StockConfig, models.Model]] = field(default_factory=list)
    seen: set[tuple[type[models.Model], Any]] = field(default_factory=set)
    pending: int = 0  # owner rows noted whose post_delete has not come yet
    locked: Counter[type[models.Model]] = field(default_factory=Counter)
    deleted: Counter[type[models.Model]] = field(default_factory=Counter)
    statements: dict[str, type[models.Model]] = field(default_factory=dict)

    def note(self, config: _StockConfig, instance: models.Model, stored: Any) -> None:
        owner = config.owner
        self.pending += 1
        if (owner, instance.pk) in self.seen:  # the same row as a proxy and as its model
            return
        self.seen.add((owner, instance.pk))
        if owner not in self.locked:
            self.statements[_delete_statement(owner, connections[self.using])] = owner
            self.locked[owner] = 0
        if stored is not None:
            key, quantity = stored
            self.locked[owner] += 1
            self.moves[config.target].append((key, -quantity))
            self.cached.append((config, instance))

    def count_deletes(
        self,
        execute: Callable[[str, Any, bool, dict[str, Any]], Any],
        sql: str,
        params: Any,
        many: bool,
        context: dict[str, Any],
    ) -> Any:
        connection: BaseDatabaseWrapper = context["connection"]
        block = self.block()
        if block is None or not any(b is block for b in connection.atomic_blocks):
            self.uninstall(connection)  # the deletion failed before its last post_delete
            return execute(sql, params, many, context)
        result = execute(sql, params, many, context)
        if many or connection.atomic_blocks[-1] is not block or not sql.startswith("DELETE"):
            return result
        for statement, owner in self.statements.items():
            if sql.startswith(statement):
                self.deleted[owner] += max(context["cursor"].rowcount, 0)
                unread = self.deleted[owner] - self.locked[owner]
                if unread > 0:
                    raise ConcurrentStockChange(
                        f"Deleting {owner._meta.label} rows removed {unread} row(s) that "
                        f"another transaction inserted after this deletion had read and "
                        f"locked its rows, so their stock could not be given back; the "
                        f"deletion was rolled back. Run it again."
                    )
        return result

    def install(self) -> None:
        # First in the list, not last: connection.execute_wrapper() pops the last one when
        # its block ends, which would be this one if the deletion failed before removing it.
        connections[self.using].execute_wrappers.insert(0, self.count_deletes)

    def uninstall(self, connection: BaseDatabaseWrapper) -> None:
        wrappers = connection.execute_wrappers
        for index, wrapper in enumerate(wrappers):
            if wrapper == self.count_deletes:
                del wrappers[index]
                return

    def apply(self) -> None:
        for target in sorted(self.moves, key=lambda t: (t.model._meta.label, t.stock)):
            _apply(target, _moves(*self.moves[target]), self.using)
        for config, instance in self.cached:
            _forget_stock(config, [instance], {key for key, _ in self.moves[config.target]})


def _delete_statement(owner: type[models.Model], connection: BaseDatabaseWrapper) -> str:
    """How the Collector's ``DELETE`` of ``owner`` rows by primary key starts, e.g.
    ``DELETE FROM "orders_order" WHERE "orders_order"."id" IN (``."""
    quote = connection.ops.quote_name
    table = quote(owner._meta.db_table)
    pk = owner._meta.pk
    assert pk is not None
    assert pk.column is not None
    return f"DELETE FROM {table} WHERE {table}.{quote(pk.column)} IN ("


# Deletions in progress, keyed by the innermost atomic block: Django's Collector sends every
# pre_delete, deletes, then sends post_delete, all inside one atomic block of its own. Keyed
# by that block, the entry goes away with it whatever happens, even when the delete fails.
_RESTOCKS: weakref.WeakKeyDictionary[Any, _Deletion] = weakref.WeakKeyDictionary()
_RESTOCKS_LOCK = threading.Lock()

# Rows a StockMovementQuerySet.delete() read and locked in one query, for its pre_delete
# receivers: {(database alias, owner model): {pk: (product key, quantity)}}.
_PREFETCHED: ContextVar[dict[tuple[str, type[models.Model]], dict[Any, tuple[Any, Any]]]] = (
    ContextVar("signalkit_stock_prefetched", default={})  # noqa: B039 (never mutated)
)


def _collector_block(using: str) -> Any:
    blocks = getattr(connections[using], "atomic_blocks", None)
    return blocks[-1] if blocks else None


def note_restock_before_delete(
    sender: type[models.Model], instance: models.Model, using: str, **kwargs: Any
) -> None:
    """Read (and lock) the stored product and quantity of a row about to be deleted.

    The stored values count, not the instance's: a stale instance gives back what the row
    holds, and a row another transaction deleted first gives back nothing (and the
    deletion makes sure its ``DELETE`` removes no row it did not read: see
    :class:`ConcurrentStockChange`). The amounts are given back by
    :func:`restock_after_delete`, one UPDATE per product.
    """
    config = _stock_config(sender)
    if config is None or sender._meta.concrete_model is not config.owner:
        return
    _require_transaction(using, sender)
    prefetched = _PREFETCHED.get().get((using, config.owner))
    if prefetched is not None and instance.pk in prefetched:
        stored: tuple[Any, Any] | None = prefetched[instance.pk]
    else:
        rows = config.stored_rows(sender._base_manager.filter(pk=instance.pk), using)
        stored = next(iter(rows.values()), None)
    block = _collector_block(using)
    if block is None:  # not inside Django's Collector: give it back at once
        if stored is not None:
            moves = _moves((stored[0], -stored[1]))
            _apply(config.target, moves, using)
            _forget_stock(config, [instance], moves)
        return
    with _RESTOCKS_LOCK:
        deletion = _RESTOCKS.get(block)
        if deletion is None:
            deletion = _RESTOCKS[block] = _Deletion(using, weakref.ref(block))
            deletion.install()
    deletion.note(config, instance, stored)


def restock_after_delete(
    sender: type[models.Model], instance: models.Model, using: str, **kwargs: Any
) -> None:
    """After the deletion's last row: give back what its pre_delete receivers noted, one
    UPDATE per product."""
    config = _stock_config(sender)
    if config is None or sender._meta.concrete_model is not config.owner:
        return
    block = _collector_block(using)
    if block is None:
        return
    with _RESTOCKS_LOCK:
        deletion = _RESTOCKS.get(block)
        if deletion is None:
            return
        deletion.pending -= 1
        if deletion.pending > 0:
            return
        del _RESTOCKS[block]
    deletion.uninstall(connections[using])
    deletion.apply()


def _retrying(using: str, change: Callable[[], _T], what: str) -> _T:
    """Run ``change()`` in a transaction (a savepoint inside yours); when it raises
    :class:`ConcurrentStockChange`, roll it back and run it again, up to ``ATTEMPTS``
    times in all."""
    attempt = 1
    while True:
        try:
            with transaction.atomic(using=using):
                return change()
        except ConcurrentStockChange:
            if attempt == ATTEMPTS:
                raise
            attempt += 1
            logger.info("%s met a row inserted concurrently; running it again.", what)


_RECEIVERS = (
    (pre_save, move_stock_before_save),
    (pre_delete, note_restock_before_delete),
    (post_delete, restock_after_delete),
)


def track_stock_model(sender: type[models.Model], **kwargs: Any) -> None:
    """On ``class_prepared``: validate a mixin subclass's ``Stock`` and connect its receivers.

    Each receiver is connected with ``sender=`` the model, so models without the mixin
    never pay for it (and keep Django's fast delete path). Raises ImproperlyConfigured
    naming the model and the bad value.
    """
    if not issubclass(sender, StockMovementMixin) or sender._meta.abstract:
        return
    if sender._meta.swapped:
        return
    _STOCK_CONFIGS[sender] = _StockConfig(sender)
    for signal, receiver in _RECEIVERS:
        signal.connect(receiver, sender=sender, dispatch_uid=_dispatch_uid(sender))


def disconnect_stock_model(model: type[models.Model]) -> None:
    """Undo :func:`track_stock_model` for ``model`` (for models made up in tests)."""
    for signal, _ in _RECEIVERS:
        signal.disconnect(sender=model, dispatch_uid=_dispatch_uid(model))
    _STOCK_CONFIGS.pop(model, None)


def _dispatch_uid(model: type[models.Model]) -> str:
    # One uid per model; each of the three signals keeps its own receivers.
    return mixin_dispatch_uid("StockMovementMixin", model)


# --- the queryset, the manager, the mixin -----------------------------------------------------


class StockMovementQuerySet(models.QuerySet[_M]):
    """The mixin's queryset: bulk writes that move the stock, or refuse to skip it.

    - ``bulk_create(objs)`` takes the stock first, one guarded UPDATE per product (in key
      order), then inserts, all in one transaction: InsufficientStock inserts nothing.
    - ``update(...)`` and ``bulk_update(objs, fields)`` of the product or quantity field
      raise :class:`UntrackedStockChange` (they send no signals); so does ``bulk_create``
      with ``ignore_conflicts`` or ``update_conflicts``.
    - ``bypass_stock()`` returns a queryset on which those writes go through untouched,
      for code that moves the stock itself.
    - ``delete()`` reads and locks the rows in one query, so that the deletion's receivers
      need none per row.

    Subclass it for a custom manager: ``objects = MyQuerySet.as_manager()``.
    """

    _stock_bypassed = False

    def bypass_stock(self) -> StockMovementQuerySet[_M]:
        """This queryset, with update()/bulk_update()/bulk_create() moving no stock."""
        clone = self.all()
        clone._stock_bypassed = True
        return clone

    def _clone(self) -> Self:
        # Django's private copy, behind every chained call: the flag goes along.
        clone: Self = super()._clone()  # type: ignore[misc]
        clone._stock_bypassed = self._stock_bypassed
        return clone

    def _guard(self, fields: Iterable[str], call: str) -> _StockConfig | None:
        config = _stock_config(self.model)
        if config is None or self._stock_bypassed:
            return None
        touched = sorted(set(fields) & config.tracked)
        if touched:
            raise UntrackedStockChange(
                f"{call} would change {', '.join(touched)} of {config.label} without "
                f"moving any stock (it sends no signals). Save each object instead, or "
                f"call .bypass_stock() first if you move the stock yourself."
            )
        return config

    def update(self, **kwargs: Any) -> int:
        self._guard(kwargs, f"{self.model.__name__}.objects.update()")
        return super().update(**kwargs)

    def bulk_update(
        self, objs: Iterable[_M], fields: Iterable[str], batch_size: int | None = None
    ) -> int:
        fields = list(fields)
        self._guard(fields, f"{self.model.__name__}.objects.bulk_update()")
        return super().bulk_update(objs, fields, batch_size=batch_size)

    def bulk_create(
        self,
        objs: Iterable[_M],
        batch_size: int | None = None,
        ignore_conflicts: bool = False,
        update_conflicts: bool = False,
        update_fields: Collection[str] | None = None,
        unique_fields: Collection[str] | None = None,
    ) -> list[_M]:
        options: dict[str, Any] = {
            "batch_size": batch_size,
            "ignore_conflicts": ignore_conflicts,
            "update_conflicts": update_conflicts,
            "update_fields": update_fields,
            "unique_fields": unique_fields,
        }
        config = _stock_config(self.model)
        if config is None or self._stock_bypassed:
            return super().bulk_create(objs, **options)
        if ignore_conflicts or update_conflicts:
            flag = "ignore_conflicts" if ignore_conflicts else "update_conflicts"
            raise UntrackedStockChange(
                f"{self.model.__name__}.objects.bulk_create({flag}=True) cannot tell which "
                f"{config.label} rows it inserts or overwrites, so it cannot move their "
                f"stock. Insert them without {flag}, or call .bypass_stock() first if you "
                f"move the stock yourself."
            )
        objs = list(objs)
        moves = _moves(*((config.key_of(obj), config.quantity_of(obj)) for obj in objs))
        self._for_write = True
        using = self.db
        with transaction.atomic(using=using):
            _apply(config.target, moves, using)
            created = super().bulk_create(objs, **options)
        _forget_stock(config, objs, moves)
        return created

    def delete(self) -> tuple[int, dict[str, int]]:
        config = _stock_config(self.model)
        if config is None or self.query.is_sliced or self.query.combinator:
            return super().delete()  # Django raises for these
        deleting = self.all()
        deleting._for_write = True
        using = deleting.db

        def delete() -> tuple[int, dict[str, int]]:
            rows = config.stored_rows(
                self.model._base_manager.filter(pk__in=self.values("pk")), using
            )
            token = _PREFETCHED.set({**_PREFETCHED.get(), (using, config.owner): rows})
            try:
                return super(StockMovementQuerySet, self).delete()
            finally:
                _PREFETCHED.reset(token)

        return _retrying(using, delete, f"Deleting {self.model._meta.label} rows")


class StockMovementManager(models.Manager[_M]):
    """The mixin's default manager (``objects``): its querysets are StockMovementQuerySets."""

    _queryset_class = StockMovementQuerySet

    def get_queryset(self) -> StockMovementQuerySet[_M]:
        queryset = super().get_queryset()
        assert isinstance(queryset, StockMovementQuerySet)
        return queryset

    def bypass_stock(self) -> StockMovementQuerySet[_M]:
        """``Order.objects.bypass_stock().update(quantity=0)``: see the queryset."""
        return self.get_queryset().bypass_stock()


class StockMovementMixin(models.Model):
    """Keep a stocked model's stock in step with this order-line-like model (:doc:`/stock`).

    Configure it with an inner ``class Stock`` (``product_field``, ``quantity_field``,
    ``stock_field``, optional ``allow_negative``); signalkit validates it when the model
    class is created and connects the receivers for it and for its proxies::

        class Order(StockMovementMixin, models.Model):
            product = models.ForeignKey(Product, on_delete=models.CASCADE)
            quantity = models.PositiveIntegerField()

            class Stock:
                product_field = "product"
                quantity_field = "quantity"
                stock_field = "stock"

    A custom default manager should come from :class:`StockMovementQuerySet` (system check
    ``signalkit.W006`` says when it does not).
    """

    objects: ClassVar[StockMovementManager[Any]] = StockMovementManager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save in a transaction of its own (a savepoint when one is open).

        The stock UPDATE (in ``pre_save``) and the row's INSERT or UPDATE then commit or
        roll back together; Django's own ``save()`` opens no transaction for a model
        without parents, so in autocommit mode a failing INSERT would otherwise leave the
        stock taken.

        A primary key set by hand keeps Django's meaning, "update that row, or insert it":
        when no row had that key as the save read it, and another transaction inserts it
        before this one does (a webhook delivered twice), the ``INSERT`` fails on the
        duplicate key, is rolled back with its stock, and the save runs again: an update
        of the row now stored, moving only the difference (or an insert, if that row is
        gone again). Its attributes are first put back as they were, and its ``pre_save``
        receivers run again. After three attempts, or for any other IntegrityError, the
        error is raised; ``force_insert=True`` keeps Django's IntegrityError.
        """
        using = kwargs.get("using") or (args[2] if len(args) > 2 else None)
        using = using or router.db_for_write(type(self), instance=self)
        snapshot = None if self.pk is None else dict(self.__dict__)
        attempt = 1
        while True:
            save = _Save(self, snapshot=snapshot)
            token = _SAVE.set(save)
            try:
                with transaction.atomic(using=using):
                    super().save(*args, **kwargs)
                return
            except IntegrityError as error:
                if attempt == ATTEMPTS or not save.lost_insert_race(error):
                    raise
                attempt += 1
                save.restore()
                logger.info(
                    "%s pk=%r was inserted by another transaction while this one inserted "
                    "it; saving it again, as an update.",
                    self._meta.label,
                    save.owner_pk,
                )
            finally:
                _SAVE.reset(token)

    def save_base(
        self,
        raw: bool = False,
        force_insert: bool | tuple[models.base.ModelBase, ...] = False,
        force_update: bool = False,
        using: str | None = None,
        update_fields: Iterable[str] | None = None,
    ) -> None:
        """Django's ``save_base()``, with the save in progress known to the receivers."""
        save = _SAVE.get()
        token = None
        if save is None or save.instance is not self or save.started:
            save = _Save(self)
            token = _SAVE.set(save)
        save.started, save.force_update = True, bool(force_update)
        try:
            super().save_base(raw, force_insert, force_update, using, update_fields)
        finally:
            if token is not None:
                _SAVE.reset(token)

    def _save_table(
        self,
        raw: bool = False,
        cls: type[models.Model] | None = None,
        force_insert: Any = False,
        force_update: bool = False,
        using: str | None = None,
        update_fields: Iterable[str] | None = None,
        **kwargs: Any,
    ) -> bool:
        """Django's write of one table; an ``INSERT`` when the stock receiver found no row.

        Django would try an ``UPDATE`` first, and at READ COMMITTED that ``UPDATE`` finds a
        row another transaction committed after the receiver looked: the stock moved for a
        new row would then be moved for a row whose quantity was never read. A forced
        update, or one of ``update_fields``, raises Django's own DatabaseError instead.
        """
        save = _save_of(self)
        if (
            save is not None
            and save.looked
            and save.stored is None
            and save.config is not None
            and cls is save.config.owner
            and not raw
        ):
            if force_update:
                raise DatabaseError("Forced update did not affect any rows.")
            if update_fields:
                raise DatabaseError("Save with update_fields did not affect any rows.")
            if not force_insert:
                force_insert = save.forced_insert = True
        updated: bool = super()._save_table(  # type: ignore[misc]
            raw, cls, force_insert, force_update, using, update_fields, **kwargs
        )
        return updated

    def delete(self, using: Any = None, keep_parents: bool = False) -> tuple[int, dict[str, int]]:
        """Django's ``delete()``, run again when it met a row inserted concurrently (see
        :class:`ConcurrentStockChange`)."""
        using = using or router.db_for_write(type(self), instance=self)
        return _retrying(
            using,
            lambda: super(StockMovementMixin, self).delete(using=using, keep_parents=keep_parents),
            f"Deleting {self._meta.label} pk={self.pk!r}",
        )


class_prepared.connect(track_stock_model, dispatch_uid="signalkit.mixins.stock.track_stock_model")


# --- system checks: registered here, so only projects that use the mixin run them ---------------


@register(Tags.models)
def check_stock_models(
    app_configs: Iterable[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """``signalkit.E001``: a ``Stock.stock_field`` that is not a numeric field of the
    stocked model. ``signalkit.W006``: a default manager whose querysets are not
    StockMovementQuerySets, so its ``bulk_create()`` and ``update()`` skip the stock.
    """
    if app_configs is None:
        candidates: Iterable[type[models.Model]] = apps.get_models()
    else:
        candidates = chain.from_iterable(app_config.get_models() for app_config in app_configs)
    messages: list[CheckMessage] = []
    for model in candidates:
        config = _stock_config(model)
        if config is not None:
            messages += _check_stock_field(model, config)
            messages += _check_manager(model)
    return messages


def _check_stock_field(model: type[models.Model], config: _StockConfig) -> list[CheckMessage]:
    remote = config.product.remote_field.model
    if not isinstance(remote, type) or model._meta.proxy:
        return []  # Django reports an unresolved ForeignKey (fields.E300); proxies share it
    try:
        stock = remote._meta.get_field(config.stock_field)
    except FieldDoesNotExist:
        stock = None
    if isinstance(stock, NUMERIC_FIELDS) and not isinstance(stock, models.ForeignKey):
        return []
    numeric = [
        f.name
        for f in remote._meta.concrete_fields
        if isinstance(f, NUMERIC_FIELDS) and not f.primary_key and not f.is_relation
    ]
    what = "not a field" if stock is None else f"a {type(stock).__name__}, not a numeric field"
    return [
        CheckError(
            f"{config.label}.Stock.stock_field is {config.stock_field!r}, which is "
            f"{what} of {remote._meta.label}.",
            hint=f"Name the numeric field that holds the stock; {remote._meta.label} has: "
            f"{', '.join(numeric) or 'none'}.",
            obj=model,
            id=CHECK_IDS["stock_field"],
        )
    ]


def _check_manager(model: type[models.Model]) -> list[CheckMessage]:
    manager = model._default_manager
    if isinstance(manager.get_queryset(), StockMovementQuerySet):
        return []
    return [
        CheckWarning(
            f"{model._meta.label}'s default manager {manager.name!r} does not make "
            f"StockMovementQuerySets, so {model.__name__}.{manager.name}.bulk_create() and "
            f"update() change orders without moving the stock.",
            hint="Use objects = StockMovementManager(), or build the manager from a "
            "StockMovementQuerySet subclass (MyQuerySet.as_manager()).",
            obj=model,
            id=CHECK_IDS["stock_manager"],
        )
    ]
