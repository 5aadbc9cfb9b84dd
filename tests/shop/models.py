"""The test shop's models.

``Order`` keeps ``Product.quantity`` (the stock) with ``StockMovementMixin``; ``Profile``
is created with each user by ``AutoProfileMixin``; ``Post`` and ``Comment`` give the
muting tests a cascade and factories that reach other factories.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models

from signalkit.mixins import AutoProfileMixin, StockMovementMixin, non_negative_stock_constraint


class Product(models.Model):
    """Something to order; ``quantity`` is the stock, never below zero in the database."""

    name = models.CharField(max_length=200)
    price = models.DecimalField(max_digits=10, decimal_places=2)
    quantity = models.PositiveIntegerField("stock", default=0)

    class Meta:
        ordering = ("name", "pk")
        constraints = (non_negative_stock_constraint("quantity"),)

    def __str__(self) -> str:
        return self.name


class Order(StockMovementMixin, models.Model):
    """``quantity`` units of ``product``, taken out of its stock; a guest's if no customer.

    Both foreign keys CASCADE: deleting a customer or a product deletes (and restocks)
    their orders.
    """

    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="orders",
    )
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="orders")
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    confirmed = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-created_at", "-pk")

    class Stock:
        product_field = "product"
        quantity_field = "quantity"
        stock_field = "quantity"

    def __str__(self) -> str:
        return f"Order #{self.pk}: {self.quantity} x {self.product}"


class Profile(AutoProfileMixin, models.Model):
    """A user's profile, created with the user; migration 0002 backfills earlier users."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    bio = models.TextField(blank=True)
    location = models.CharField(max_length=100, blank=True)

    def __str__(self) -> str:
        return f"Profile of {self.user}"


class Post(models.Model):
    title = models.CharField(max_length=200)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="posts"
    )

    def __str__(self) -> str:
        return self.title


class Comment(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="comments")
    body = models.TextField()

    def __str__(self) -> str:
        return f"Comment on {self.post}"
