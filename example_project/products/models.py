from __future__ import annotations

from django.core.validators import MinValueValidator
from django.db import models

from signalkit.mixins import non_negative_stock_constraint


class Tag(models.Model):
    name = models.CharField(max_length=50, unique=True)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    """Something the shop sells; ``quantity`` is the stock.

    Orders take from and give back to ``quantity`` with guarded UPDATEs (signalkit's
    ``StockMovementMixin`` on ``orders.Order``); the check constraint stops any other
    writer from taking it below zero. ``price_updated_at``, ``tag_names`` and
    ``units_sold`` are maintained by ``products.signals``.
    """

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    price = models.DecimalField(max_digits=10, decimal_places=2, validators=[MinValueValidator(0)])
    quantity = models.PositiveIntegerField("stock", default=0)
    units_sold = models.PositiveIntegerField(
        default=0, editable=False, help_text="Units of confirmed orders; kept up to date."
    )
    tags = models.ManyToManyField(Tag, blank=True)
    price_updated_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When the price was last set."
    )
    tag_names = models.TextField(
        blank=True, editable=False, help_text="The tags' names, sorted; kept up to date."
    )

    class Meta:
        ordering = ("name", "pk")
        constraints = (non_negative_stock_constraint("quantity"),)

    def __str__(self) -> str:
        return self.name
