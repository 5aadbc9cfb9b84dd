from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from example_project.orders.confirmation import confirm_order
from example_project.orders.models import Order
from example_project.products.models import Product


class OrderAdminForm(forms.ModelForm):
    """Say on the form when the stock cannot cover an order, rather than fail on save.

    A courtesy check only: the guarded UPDATE in ``save()`` is what guarantees the stock,
    and it still raises ``InsufficientStock`` if another order took the units meanwhile.
    """

    class Meta:
        model = Order
        fields = ("customer", "product", "quantity")

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        product, quantity = cleaned.get("product"), cleaned.get("quantity")
        if product is None or quantity is None:
            return cleaned
        needed = quantity
        if self.instance.pk is not None:
            stored = Order.objects.filter(pk=self.instance.pk).values_list("product_id", "quantity")
            for product_id, stored_quantity in stored:
                if product_id == product.pk:
                    needed -= stored_quantity
        available = Product.objects.values_list("quantity", flat=True).get(pk=product.pk)
        if needed > available:
            self.add_error(
                "quantity", f"Only {available} more of {product} in stock (this needs {needed})."
            )
        return cleaned


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    form = OrderAdminForm
    list_display = ("__str__", "customer", "product", "quantity", "confirmed", "created_at")
    list_filter = ("confirmed",)
    list_select_related = ("customer", "product")
    raw_id_fields = ("customer", "product")
    # Only confirm_order sends order_confirmed: the checkbox would not.
    readonly_fields = ("confirmed", "created_at")
    actions = ("confirm_selected",)

    @admin.action(description="Confirm selected orders (sends order_confirmed)")
    def confirm_selected(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        confirmed = sum(confirm_order(order) for order in queryset.select_related("product"))
        self.message_user(request, f"{confirmed} order(s) confirmed.", messages.SUCCESS)
