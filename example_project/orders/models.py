from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models

from signalkit.mixins import StockMovementMixin


class Order(StockMovementMixin, models.Model):
    """An order for ``quantity`` units of one product, which it takes out of stock.

    signalkit's ``StockMovementMixin`` keeps ``Product.quantity`` in step: creating an
    order takes its quantity (or raises ``signalkit.InsufficientStock`` and saves nothing),
    changing the quantity or the product moves the difference, deleting an order puts its
    quantity back. Confirm it with ``orders.confirmation.confirm_order``, which sends
    ``order_confirmed``; setting ``confirmed`` by hand sends nothing.

    ``product`` is CASCADE: deleting a product takes it off sale with its orders (the
    admin lists them before you confirm). Giving their stock back is an UPDATE of a row
    about to be deleted, never an INSERT, so the product is not brought back (the
    tutorial's ``product.save()`` would re-insert it). A shop that must keep its order
    history would use PROTECT; the mixin works the same with either.
    """

    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="orders",
        help_text="Who ordered; empty for a guest. Deleting a customer deletes (and "
        "restocks) their orders.",
    )
    product = models.ForeignKey("products.Product", on_delete=models.CASCADE, related_name="orders")
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    confirmed = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-created_at", "-pk")

    class Stock:
        product_field = "product"
        quantity_field = "quantity"
        stock_field = "quantity"  # Product.quantity, shown as "stock"

    def __str__(self) -> str:
        return f"Order #{self.pk}: {self.quantity} x {self.product}"
