from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from example_project.products.models import Product, Tag
from example_project.tests.factories import ProductFactory, TagFactory

pytestmark = pytest.mark.django_db

LONG_AGO = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def product_stamped_long_ago(**kwargs: object) -> Product:
    """A product whose stored ``price_updated_at`` is LONG_AGO."""
    product = ProductFactory(**kwargs)
    Product.objects.filter(pk=product.pk).update(price_updated_at=LONG_AGO)
    product.refresh_from_db()
    return product


# price_updated_at (pre_save)


def test_a_new_product_counts_as_a_price_change() -> None:
    product = ProductFactory()

    assert product.price_updated_at is not None


def test_changing_the_price_records_when_it_changed() -> None:
    product = product_stamped_long_ago(price=Decimal("10.00"))

    product.price = Decimal("12.50")
    product.save()

    product.refresh_from_db()
    assert product.price_updated_at > LONG_AGO


def test_changing_another_field_leaves_price_updated_at_alone() -> None:
    product = product_stamped_long_ago()

    product.name = "Renamed"
    product.quantity = 3
    product.save()

    product.refresh_from_db()
    assert product.price_updated_at == LONG_AGO


def test_the_same_price_written_differently_is_not_a_change() -> None:
    product = product_stamped_long_ago(price=Decimal("10.00"))

    product.price = "10"  # as a form or a script might assign it
    product.save()

    product.refresh_from_db()
    assert product.price_updated_at == LONG_AGO


def test_saving_other_update_fields_does_not_look_up_the_price() -> None:
    product = product_stamped_long_ago()

    product.name = "Renamed"
    with CaptureQueriesContext(connection) as queries:
        product.save(update_fields=["name"])

    assert len(queries) == 1  # the UPDATE itself


def test_saving_the_price_with_update_fields_records_the_change() -> None:
    product = product_stamped_long_ago(price=Decimal("10.00"))

    product.price = Decimal("11.00")
    product.save(update_fields=["price", "price_updated_at"])

    product.refresh_from_db()
    assert product.price_updated_at > LONG_AGO


def test_loading_a_product_fixture_keeps_its_price_updated_at(tmp_path: Path) -> None:
    fixture = tmp_path / "product.json"
    fields = {"name": "Fixture", "price": "1.00", "price_updated_at": "2000-01-01T00:00:00Z"}
    fixture.write_text(json.dumps([{"model": "products.product", "pk": 4242, "fields": fields}]))

    call_command("loaddata", str(fixture), verbosity=0)

    assert Product.objects.get(pk=4242).price_updated_at == LONG_AGO


# tag_names (m2m_changed and friends)


def tag_names(product: Product) -> str:
    return Product.objects.values_list("tag_names", flat=True).get(pk=product.pk)


def test_adding_tags_to_a_product_updates_its_tag_names() -> None:
    product = ProductFactory()

    product.tags.add(TagFactory(name="tea"), TagFactory(name="coffee"))

    assert product.tag_names == "coffee, tea"
    assert tag_names(product) == "coffee, tea"


def test_adding_a_product_to_a_tag_updates_the_products_tag_names() -> None:
    first, second = ProductFactory(), ProductFactory(tags=[TagFactory(name="coffee")])

    TagFactory(name="gift").product_set.add(first, second)

    assert tag_names(first) == "gift"
    assert tag_names(second) == "coffee, gift"


def test_removing_a_tag_from_a_product_updates_its_tag_names() -> None:
    tea = TagFactory(name="tea")
    product = ProductFactory(tags=[tea, TagFactory(name="coffee")])

    product.tags.remove(tea)

    assert product.tag_names == "coffee"
    assert tag_names(product) == "coffee"


def test_removing_a_product_from_a_tag_updates_the_products_tag_names() -> None:
    tea = TagFactory(name="tea")
    product = ProductFactory(tags=[tea, TagFactory(name="coffee")])

    tea.product_set.remove(product)

    assert tag_names(product) == "coffee"


def test_clearing_a_products_tags_empties_its_tag_names() -> None:
    product = ProductFactory(tags=[TagFactory(name="tea"), TagFactory(name="coffee")])

    product.tags.clear()

    assert product.tag_names == ""
    assert tag_names(product) == ""


def test_clearing_a_tags_products_updates_each_products_tag_names() -> None:
    tea = TagFactory(name="tea")
    first = ProductFactory(tags=[tea])
    second = ProductFactory(tags=[tea, TagFactory(name="coffee")])
    untouched = ProductFactory(tags=[TagFactory(name="gift")])

    tea.product_set.clear()

    assert tag_names(first) == ""
    assert tag_names(second) == "coffee"
    assert tag_names(untouched) == "gift"


def test_setting_a_products_tags_updates_its_tag_names() -> None:
    product = ProductFactory(tags=[TagFactory(name="tea")])

    product.tags.set([TagFactory(name="coffee"), TagFactory(name="gift")])

    assert tag_names(product) == "coffee, gift"


def test_renaming_a_tag_updates_its_products_tag_names() -> None:
    tea = TagFactory(name="tea")
    product = ProductFactory(tags=[tea])

    tea.name = "green tea"
    tea.save()

    assert tag_names(product) == "green tea"


def test_deleting_a_tag_removes_it_from_its_products_tag_names() -> None:
    tea = TagFactory(name="tea")
    product = ProductFactory(tags=[tea, TagFactory(name="coffee")])

    Tag.objects.filter(pk=tea.pk).delete()

    assert tag_names(product) == "coffee"


def test_saving_a_stale_product_keeps_its_tag_names() -> None:
    product = ProductFactory()
    TagFactory(name="tea").product_set.add(product)  # product.tag_names is now stale

    product.name = "Renamed"
    product.save()

    assert tag_names(product) == "tea"
