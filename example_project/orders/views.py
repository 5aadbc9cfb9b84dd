from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from example_project.orders.confirmation import confirm_order
from example_project.orders.models import Order
from example_project.products.models import Product


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The shop page: products with their stock, orders with a confirm button."""
    context = {
        "products": Product.objects.all(),
        "orders": Order.objects.select_related("product"),
    }
    return render(request, "orders/index.html", context)


@require_POST
def confirm(request: HttpRequest, pk: int) -> HttpResponseRedirect:
    """Confirm an order (POST only; a demo, so no login required) and go back to the shop."""
    order = get_object_or_404(Order.objects.select_related("product"), pk=pk)
    if confirm_order(order):
        messages.success(request, f"{order} confirmed.")
    else:
        messages.info(request, f"{order} was already confirmed.")
    return redirect("orders:index")
