from __future__ import annotations

from django.core.validators import MinValueValidator
from django.db import models


class Order(models.Model):
    """An order for ``quantity`` units of one product.

    Confirm it with ``orders.confirmation.confirm_order``, which sends ``order_confirmed``;
    setting ``confirmed`` by hand sends nothing.
    """

    product = models.ForeignKey("products.Product", on_delete=models.PROTECT, related_name="orders")
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    confirmed = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-created_at", "-pk")

    def __str__(self) -> str:
        return f"Order #{self.pk}: {self.quantity} x {self.product}"
