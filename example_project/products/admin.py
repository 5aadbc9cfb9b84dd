from __future__ import annotations

from django.contrib import admin

from example_project.products.models import Product, Tag


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ("name",)


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("name", "price", "quantity", "units_sold", "tag_names", "price_updated_at")
    list_filter = ("tags",)
    search_fields = ("name", "description")
    filter_horizontal = ("tags",)
    readonly_fields = ("units_sold", "tag_names", "price_updated_at")
