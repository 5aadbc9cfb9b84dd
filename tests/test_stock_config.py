"""StockMovementMixin's configuration: the ``Stock`` class, system checks, the constraint
helper, and models the test shop does not have (allow_negative, to_field, multi-table
inheritance).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps
from django.core.checks import Error as CheckError
from django.core.checks import Warning as CheckWarning
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import connection, models
from django.test.utils import isolate_apps

from signalkit.mixins import InsufficientStock, StockMovementMixin, non_negative_stock_constraint
from signalkit.mixins.stock import _STOCK_CONFIGS, check_stock_models, disconnect_stock_model
from tests.shop.models import Order, Product

GOOD_STOCK = {"product_field": "product", "quantity_field": "quantity", "stock_field": "quantity"}


def make_order_model(stock: dict[str, Any] | None, **fields: models.Field[Any, Any]) -> type:
    """Define an order model using the mixin in an isolated registry; return it."""
    attrs: dict[str, Any] = {
        "__module__": __name__,
        "Meta": type("Meta", (), {"app_label": "shop"}),
        "product": models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+"),
        "quantity": models.PositiveIntegerField(),
        **fields,
    }
    if stock is not None:
        attrs["Stock"] = type("Stock", (), stock)
    with isolate_apps("tests.shop"):
        model = type("BadOrder", (StockMovementMixin, models.Model), attrs)
    disconnect_stock_model(model)
    return model


# --- the Stock class, checked when the model class is created ---------------------------------


@pytest.mark.parametrize(
    ("stock", "message"),
    [
        (None, "shop.BadOrder uses StockMovementMixin but has no inner `class Stock`"),
        (
            {**GOOD_STOCK, "stock_fields": "quantity"},
            "shop.BadOrder.Stock has unknown setting(s) 'stock_fields'; the settings are "
            "product_field, quantity_field, stock_field, allow_negative.",
        ),
        (
            {"product_field": "product", "quantity_field": "quantity"},
            "shop.BadOrder.Stock does not set stock_field;",
        ),
        (
            {**GOOD_STOCK, "product_field": "item"},
            "shop.BadOrder.Stock.product_field is 'item', which is not a field of "
            "shop.BadOrder (its fields: id, note, product, quantity).",
        ),
        (
            {**GOOD_STOCK, "product_field": "note"},
            "shop.BadOrder.Stock.product_field is 'note', a CharField; it must name a ForeignKey",
        ),
        (
            {**GOOD_STOCK, "quantity_field": "note"},
            "shop.BadOrder.Stock.quantity_field is 'note', a CharField; it must name a "
            "numeric field",
        ),
        (
            {**GOOD_STOCK, "quantity_field": "product"},
            "shop.BadOrder.Stock.quantity_field is 'product', a ForeignKey;",
        ),
        (
            {**GOOD_STOCK, "stock_field": 3},
            "shop.BadOrder.Stock.stock_field is 3; it must be a field name (a string).",
        ),
        (
            {**GOOD_STOCK, "allow_negative": "yes"},
            "shop.BadOrder.Stock.allow_negative is 'yes'; it must be True or False.",
        ),
    ],
)
def test_a_bad_stock_class_is_refused_naming_the_model_and_the_value(
    stock: dict[str, Any] | None, message: str
) -> None:
    with pytest.raises(ImproperlyConfigured) as excinfo:
        make_order_model(stock, note=models.CharField(max_length=10))

    assert message in str(excinfo.value)


def test_a_good_stock_class_connects_the_receivers_for_the_model() -> None:
    from django.db.models.signals import post_delete, pre_delete, pre_save

    with isolate_apps("tests.shop"):

        class GoodOrder(StockMovementMixin, models.Model):  # noqa: DJ008
            product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
            quantity = models.PositiveIntegerField()

            class Meta:
                app_label = "shop"

            class Stock:
                product_field = "product"
                quantity_field = "quantity"
                stock_field = "quantity"

    try:
        assert all(s.has_listeners(GoodOrder) for s in (pre_save, pre_delete, post_delete))
        assert _STOCK_CONFIGS[GoodOrder].allow_negative is False
    finally:
        disconnect_stock_model(GoodOrder)

    assert not pre_save.has_listeners(GoodOrder)


def test_a_stock_class_may_inherit_its_settings() -> None:
    with isolate_apps("tests.shop"):

        class Base(StockMovementMixin, models.Model):
            product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
            quantity = models.PositiveIntegerField()

            class Meta:
                abstract = True

            class Stock:
                product_field = "product"
                quantity_field = "quantity"
                stock_field = "quantity"

        class Line(Base):  # noqa: DJ008
            class Meta:
                app_label = "shop"

            class Stock(Base.Stock):
                allow_negative = True

    try:
        assert _STOCK_CONFIGS[Line].allow_negative is True
        assert _STOCK_CONFIGS[Line].stock_field == "quantity"
    finally:
        disconnect_stock_model(Line)


# --- system checks --------------------------------------------------------------------------


def test_the_test_shop_passes_the_stock_checks() -> None:
    assert check_stock_models() == []


def test_a_stock_field_that_is_not_a_field_of_the_product_is_error_e001(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_STOCK_CONFIGS[Order], "stock_field", "stok")

    [error] = check_stock_models()

    assert isinstance(error, CheckError)
    assert error.id == "signalkit.E001"
    assert error.obj is Order
    assert error.msg == (
        "shop.Order.Stock.stock_field is 'stok', which is not a field of shop.Product."
    )
    assert error.hint == (
        "Name the numeric field that holds the stock; shop.Product has: price, quantity."
    )


def test_a_stock_field_that_is_not_numeric_is_error_e001(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_STOCK_CONFIGS[Order], "stock_field", "name")

    [error] = check_stock_models()

    assert "is 'name', which is a CharField, not a numeric field of shop.Product" in (error.msg)


def test_manage_py_check_fails_on_error_e001(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_STOCK_CONFIGS[Order], "stock_field", "stok")

    with pytest.raises(SystemCheckError, match=r"signalkit\.E001"):
        call_command("check")


def test_check_for_other_apps_leaves_the_orders_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_STOCK_CONFIGS[Order], "stock_field", "stok")

    assert check_stock_models([apps.get_app_config("auth")]) == []  # the customers' app
    assert len(check_stock_models([apps.get_app_config("shop")])) == 1


@pytest.fixture
def plain_default_manager(monkeypatch: pytest.MonkeyPatch) -> None:
    """shop.Order's default manager replaced by a plain Manager named "plain"."""
    manager: models.Manager[Order] = models.Manager()
    manager.model, manager.name = Order, "plain"
    monkeypatch.setattr(Order._meta, "default_manager", manager)


@pytest.mark.usefixtures("plain_default_manager")
def test_a_default_manager_that_skips_the_stock_is_warning_w006() -> None:
    [warning] = check_stock_models()

    assert isinstance(warning, CheckWarning)
    assert warning.id == "signalkit.W006"
    assert warning.msg.startswith(
        "shop.Order's default manager 'plain' does not make StockMovementQuerySets, so "
        "Order.plain.bulk_create() and update()"
    )
    assert "objects = StockMovementManager()" in (warning.hint or "")


@pytest.mark.usefixtures("plain_default_manager")
def test_manage_py_check_reports_warning_w006() -> None:
    with pytest.raises(SystemCheckError, match=r"signalkit\.W006"):
        call_command("check", fail_level="WARNING")


# --- the constraint helper -------------------------------------------------------------------


@pytest.mark.django_db
def test_the_constraint_keeps_the_stock_at_zero_or_above() -> None:
    constraint = non_negative_stock_constraint("quantity", name="stock_ok")

    constraint.validate(Product, Product(quantity=0))
    with pytest.raises(ValidationError):
        constraint.validate(Product, Product(quantity=-1))


def test_the_constraint_is_named_after_the_model_and_the_field() -> None:
    names = [c.name for c in Product._meta.constraints]

    assert names == ["shop_product_quantity_non_negative"]


@pytest.mark.django_db
def test_the_constraint_takes_a_violation_message() -> None:
    constraint = non_negative_stock_constraint(
        "quantity", name="stock_ok", violation_error_message="Stock cannot go below zero."
    )

    with pytest.raises(ValidationError, match=r"Stock cannot go below zero\."):
        constraint.validate(Product, Product(quantity=-1))


@pytest.mark.django_db
def test_the_migration_creates_the_named_constraint_in_the_database() -> None:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "shop_product")

    assert constraints["shop_product_quantity_non_negative"]["check"]


# --- models the test shop does not have: real tables made for the test ------------------------


@pytest.fixture
def shelf_models() -> Iterator[dict[str, type[models.Model]]]:
    """Shelf (stock in an IntegerField, keyed by ``code``), Line (allow_negative, a
    ForeignKey with ``to_field="code"``), RushLine (a multi-table child of Line), Crate (a
    multi-table child of Shelf) and Packing (lines whose stock is in Crate's parent)."""
    with isolate_apps("tests.shop"):

        class Shelf(models.Model):  # noqa: DJ008
            code = models.CharField(max_length=10, unique=True)
            stock = models.IntegerField(default=0)

            class Meta:
                app_label = "shop"
                db_table = "signalkit_test_shelf"

        class Line(StockMovementMixin, models.Model):  # noqa: DJ008
            shelf = models.ForeignKey(Shelf, on_delete=models.CASCADE, to_field="code")
            amount = models.IntegerField()

            class Meta:
                app_label = "shop"
                db_table = "signalkit_test_line"

            class Stock:
                product_field = "shelf"
                quantity_field = "amount"
                stock_field = "stock"
                allow_negative = True

        class RushLine(Line):  # noqa: DJ008
            priority = models.IntegerField(default=1)

            class Meta:
                app_label = "shop"
                db_table = "signalkit_test_rushline"

        class Crate(Shelf):  # noqa: DJ008
            label = models.CharField(max_length=10, default="")

            class Meta:
                app_label = "shop"
                db_table = "signalkit_test_crate"

        class Packing(StockMovementMixin, models.Model):  # noqa: DJ008
            crate = models.ForeignKey(Crate, on_delete=models.CASCADE)
            amount = models.IntegerField()

            class Meta:
                app_label = "shop"
                db_table = "signalkit_test_packing"

            class Stock:
                product_field = "crate"
                quantity_field = "amount"
                stock_field = "stock"  # a column of the parent table, signalkit_test_shelf

    tracked = (Line, RushLine, Packing)
    created: list[type[models.Model]] = []
    try:
        with connection.schema_editor() as editor:
            for model in (Shelf, Line, RushLine, Crate, Packing):
                editor.create_model(model)
                created.append(model)
        yield {
            "Shelf": Shelf,
            "Line": Line,
            "RushLine": RushLine,
            "Crate": Crate,
            "Packing": Packing,
        }
    finally:
        with connection.schema_editor() as editor:
            for model in reversed(created):
                editor.delete_model(model)
        for model in tracked:
            disconnect_stock_model(model)


def shelf_stock(shelf: models.Model) -> int:
    shelf.refresh_from_db()
    value: int = shelf.stock  # type: ignore[attr-defined]
    return value


@pytest.mark.django_db(transaction=True)
def test_allow_negative_lets_the_stock_go_below_zero(
    shelf_models: dict[str, type[models.Model]],
) -> None:
    shelf = shelf_models["Shelf"].objects.create(code="A1", stock=2)

    shelf_models["Line"].objects.create(shelf=shelf, amount=5)

    assert shelf_stock(shelf) == -3


@pytest.mark.django_db(transaction=True)
def test_a_foreign_key_to_another_field_moves_the_stock_of_the_row_it_names(
    shelf_models: dict[str, type[models.Model]],
) -> None:
    Shelf, Line = shelf_models["Shelf"], shelf_models["Line"]
    first = Shelf.objects.create(code="B2", stock=10)
    second = Shelf.objects.create(code="A1", stock=10)
    line = Line.objects.create(shelf=first, amount=4)

    line.shelf = second  # type: ignore[attr-defined]
    line.save()

    assert (shelf_stock(first), shelf_stock(second)) == (10, 6)


@pytest.mark.django_db(transaction=True)
def test_a_multi_table_child_takes_and_gives_back_its_stock_once(
    shelf_models: dict[str, type[models.Model]],
) -> None:
    Shelf, Line, RushLine = shelf_models["Shelf"], shelf_models["Line"], shelf_models["RushLine"]
    shelf = Shelf.objects.create(code="A1", stock=10)

    rush = RushLine.objects.create(shelf=shelf, amount=3)
    assert shelf_stock(shelf) == 7
    rush.amount = 4  # type: ignore[attr-defined]
    rush.save()
    assert shelf_stock(shelf) == 6
    rush.delete()
    assert shelf_stock(shelf) == 10
    RushLine.objects.create(shelf=shelf, amount=2)
    Line.objects.all().delete()  # the parent rows, cascading to the child

    assert shelf_stock(shelf) == 10
    assert not RushLine.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_insufficient_stock_without_allow_negative_on_a_real_table(
    shelf_models: dict[str, type[models.Model]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    Shelf, Line = shelf_models["Shelf"], shelf_models["Line"]
    shelf = Shelf.objects.create(code="A1", stock=2)
    monkeypatch.setattr(_STOCK_CONFIGS[Line], "allow_negative", False)
    monkeypatch.setattr(_STOCK_CONFIGS[Line], "_target", None)

    with pytest.raises(InsufficientStock, match="requested 5, available 2"):
        Line.objects.create(shelf=shelf, amount=5)

    assert not Line.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_stock_kept_in_a_parent_table_of_the_product_moves_too(
    shelf_models: dict[str, type[models.Model]],
) -> None:
    Crate, Packing = shelf_models["Crate"], shelf_models["Packing"]
    first = Crate.objects.create(code="C1", stock=10)
    second = Crate.objects.create(code="C2", stock=1)
    packing = Packing.objects.create(crate=first, amount=4)

    packing.amount = 6  # type: ignore[attr-defined]
    packing.save()
    packing.crate = second  # type: ignore[attr-defined]
    with pytest.raises(InsufficientStock):
        packing.save()
    Packing.objects.all().delete()

    assert (shelf_stock(first), shelf_stock(second)) == (10, 1)


@pytest.mark.django_db
def test_the_orm_statements_move_stock_like_the_prepared_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from signalkit.mixins import stock as stock_module
    from tests.factories import OrderFactory, ProductFactory
    from tests.test_stock import stock

    monkeypatch.setattr(stock_module, "_statements", lambda target, using: None)
    old, new = ProductFactory(quantity=10), ProductFactory(quantity=3)
    order = OrderFactory(product=old, quantity=2)
    order.quantity = 5
    order.save()
    order.product = new
    with pytest.raises(InsufficientStock):
        order.save()
    order.quantity = 3
    order.save()
    assert (stock(old), stock(new)) == (10, 0)

    order.delete()

    assert (stock(old), stock(new)) == (10, 3)
