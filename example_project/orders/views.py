from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from example_project.orders.confirmation import confirm_order
from example_project.orders.models import Order
from example_project.products.models import Product
from signalkit.mixins import InsufficientStock


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The shop page: products with their stock, orders with a confirm button."""
    context = {
        "products": Product.objects.all(),
        "orders": Order.objects.select_related("product"),
    }
    return render(request, "orders/index.html", context)


@require_POST
def place(request: HttpRequest, product_pk: int) -> HttpResponseRedirect:
    """Order ``quantity`` (POST, default 1) of a product and go back to the shop.

    The order takes its quantity out of stock as it is created; when there is not enough,
    ``InsufficientStock`` is raised, no order is saved and the page says how many are left.
    A demo, so no login is required (a logged-in user becomes the customer).
    """
    product = get_object_or_404(Product, pk=product_pk)
    try:
        quantity = int(request.POST.get("quantity", "1"))
    except ValueError:
        quantity = 0
    if quantity < 1:
        messages.error(request, "Order at least one.")
        return redirect("orders:index")
    customer = request.user if request.user.is_authenticated else None
    try:
        order = Order.objects.create(product=product, quantity=quantity, customer=customer)
    except InsufficientStock as exc:
        messages.error(
            request, f"Not enough {product}: you asked for {exc.requested}, {exc.available} left."
        )
    else:
        messages.success(request, f"{order} placed.")
    return redirect("orders:index")


@require_POST
def confirm(request: HttpRequest, pk: int) -> HttpResponseRedirect:
    """Confirm an order (POST only; a demo, so no login required) and go back to the shop."""
    order = get_object_or_404(Order.objects.select_related("product"), pk=pk)
    if confirm_order(order):
        messages.success(request, f"{order} confirmed.")
    else:
        messages.info(request, f"{order} was already confirmed.")
    return redirect("orders:index")
