from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from example_project.orders.confirmation import confirm_order
from example_project.orders.models import Order


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("__str__", "product", "quantity", "confirmed", "created_at")
    list_filter = ("confirmed",)
    list_select_related = ("product",)
    raw_id_fields = ("product",)
    # Only confirm_order sends order_confirmed: the checkbox would not.
    readonly_fields = ("confirmed", "created_at")
    actions = ("confirm_selected",)

    @admin.action(description="Confirm selected orders (sends order_confirmed)")
    def confirm_selected(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        confirmed = sum(confirm_order(order) for order in queryset.select_related("product"))
        self.message_user(request, f"{confirmed} order(s) confirmed.", messages.SUCCESS)
