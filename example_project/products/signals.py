"""The products' receivers: a guarded pre_save, m2m_changed in both directions, and a
sales counter on the orders app's custom ``order_confirmed`` signal.

The stock itself is not kept here: ``orders.Order`` uses signalkit's
``StockMovementMixin``, whose receivers signalkit connects.

signalkit imports this module at start-up; nothing in the app imports it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db.models import F
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save
from django.dispatch import receiver
from django.utils import timezone

from example_project.orders.models import Order
from example_project.orders.signals import order_confirmed
from example_project.products.models import Product, Tag

# Where the pre_clear / pre_delete receivers leave the products they are about to affect.
_AFFECTED = "_products_affected_by_tag_change"


@receiver(pre_save, sender=Product)
def stamp_price_change(
    sender: type[Product],
    instance: Product,
    raw: bool,
    using: str,
    update_fields: frozenset[str] | None,
    **kwargs: Any,
) -> None:
    """Set ``price_updated_at`` when the price is about to change.

    The old price is read from the database (one query), so it works whoever changed the
    attribute. A new product counts as a change: its price is set now. ``save(update_fields=
    [...])`` without ``"price"`` is skipped without a query; with ``"price"``, list
    ``"price_updated_at"`` too or the new stamp is not written. Raw saves (``loaddata``)
    keep the fixture's value.
    """
    if raw or (update_fields is not None and "price" not in update_fields):
        return
    new_price = Product._meta.get_field("price").to_python(instance.price)
    if not instance._state.adding:
        stored = (
            sender._base_manager.using(using)
            .filter(pk=instance.pk)
            .values_list("price", flat=True)
            .first()
        )
        if stored is not None and stored == new_price:
            return
    instance.price_updated_at = timezone.now()


@receiver(pre_save, sender=Product)
def refresh_tag_names_on_save(
    sender: type[Product],
    instance: Product,
    raw: bool,
    using: str,
    update_fields: frozenset[str] | None,
    **kwargs: Any,
) -> None:
    """Recompute ``tag_names`` before an existing product is written.

    ``tag.product_set.add(product)`` updates the row but not the ``product`` object you
    hold; without this, saving that object would write its stale ``tag_names`` back.
    """
    if raw or instance._state.adding:
        return
    if update_fields is not None and "tag_names" not in update_fields:
        return
    instance.tag_names = _tag_names([instance.pk], using).get(instance.pk, "")


@receiver(m2m_changed, sender=Product.tags.through)
def refresh_tag_names_on_m2m_change(
    sender: type[Any],
    instance: Product | Tag,
    action: str,
    reverse: bool,
    pk_set: set[Any] | None,
    using: str,
    **kwargs: Any,
) -> None:
    """Keep ``Product.tag_names`` in step with ``Product.tags``, from either side.

    ``product.tags.add/remove/clear/set`` (``reverse`` False): ``instance`` is the product.
    ``tag.product_set.add/remove/clear/set`` (``reverse`` True): ``instance`` is the tag
    and ``pk_set`` holds product pks, except on ``post_clear`` where it is None; so
    ``pre_clear`` notes which products the tag had.
    """
    if not reverse:
        if action in {"post_add", "post_remove", "post_clear"}:
            assert isinstance(instance, Product)
            instance.tag_names = _refresh([instance.pk], using)[instance.pk]
        return
    assert isinstance(instance, Tag)
    if action == "pre_clear":
        setattr(instance, _AFFECTED, _product_pks(instance, using))
    elif action == "post_clear":
        _refresh(getattr(instance, _AFFECTED, []), using)
        _forget(instance)
    elif action in {"post_add", "post_remove"} and pk_set:
        _refresh(pk_set, using)


@receiver(post_save, sender=Tag)
def refresh_tag_names_on_rename(
    sender: type[Tag], instance: Tag, created: bool, raw: bool, using: str, **kwargs: Any
) -> None:
    """A renamed tag changes the ``tag_names`` of its products (m2m_changed is not sent)."""
    if raw or created:
        return
    _refresh(_product_pks(instance, using), using)


@receiver(pre_delete, sender=Tag)
def note_products_of_deleted_tag(
    sender: type[Tag], instance: Tag, using: str, **kwargs: Any
) -> None:
    """Deleting a tag deletes its m2m rows without m2m_changed: note the products first."""
    setattr(instance, _AFFECTED, _product_pks(instance, using))


@receiver(post_delete, sender=Tag)
def refresh_tag_names_on_delete(
    sender: type[Tag], instance: Tag, using: str, **kwargs: Any
) -> None:
    """Drop a deleted tag from the ``tag_names`` of the products noted by pre_delete."""
    _refresh(getattr(instance, _AFFECTED, []), using)
    _forget(instance)


@receiver(order_confirmed)
def count_units_sold(sender: type[Order], order: Order, **kwargs: Any) -> None:
    """Add a confirmed order's quantity to its product's ``units_sold``.

    One ``UPDATE ... SET units_sold = units_sold + n``: the database adds, so two
    confirmations at once both count (the tutorial's ``product.units_sold += n;
    product.save()`` would lose one and write every other field back). The order's
    stock was already taken when it was placed.
    """
    Product._base_manager.db_manager(order._state.db).filter(pk=order.product_id).update(
        units_sold=F("units_sold") + order.quantity
    )


def _product_pks(tag: Tag, using: str) -> list[Any]:
    through = Product.tags.through
    return list(through.objects.using(using).filter(tag=tag).values_list("product_id", flat=True))


def _tag_names(product_pks: Iterable[Any], using: str) -> dict[Any, str]:
    """``{product pk: "a, b"}`` for the products that have tags, in one query."""
    names: defaultdict[Any, list[str]] = defaultdict(list)
    rows = (
        Product.tags.through.objects.using(using)
        .filter(product_id__in=list(product_pks))
        .values_list("product_id", "tag__name")
    )
    for product_pk, name in rows:
        names[product_pk].append(name)
    # Sorted in Python: the databases' collations would order names differently.
    return {pk: ", ".join(sorted(tag_names)) for pk, tag_names in names.items()}


def _refresh(product_pks: Iterable[Any], using: str) -> dict[Any, str]:
    """Write the current ``tag_names`` of these products; return them by pk.

    ``update()`` rather than ``save()``: no pre_save/post_save for a derived column.
    """
    pks = list(product_pks)
    current = _tag_names(pks, using)
    for pk in pks:
        Product._base_manager.using(using).filter(pk=pk).update(tag_names=current.get(pk, ""))
    return {pk: current.get(pk, "") for pk in pks}


def _forget(tag: Tag) -> None:
    if hasattr(tag, _AFFECTED):
        delattr(tag, _AFFECTED)
