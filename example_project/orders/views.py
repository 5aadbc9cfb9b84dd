from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from example_project.orders import traces
from example_project.orders.confirmation import confirm_order
from example_project.orders.models import Order
from example_project.products.models import Product
from signalkit import trace_signals
from signalkit.mixins import InsufficientStock


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The shop page: products with their stock, orders with a confirm button, and the
    signals the last order placed or confirmed sent (shown once)."""
    context = {
        "products": Product.objects.all(),
        "orders": Order.objects.select_related("product", "customer"),
        "trace": traces.take(request),
    }
    return render(request, "orders/index.html", context)


@require_POST
def place(request: HttpRequest, product_pk: int) -> HttpResponseRedirect:
    """Order ``quantity`` (POST, default 1) of a product and go back to the shop.

    The order takes its quantity out of stock as it is created; when there is not enough,
    ``InsufficientStock`` is raised, no order is saved and the page says how many are left.
    A demo, so no login is required (a logged-in user becomes the customer).

    The order's creation is traced, and the shop page shows what fired: for a refused order
    too, whose trace shows the stock receiver that raised ``InsufficientStock``.
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
    with trace_signals() as trace:
        try:
            order = Order.objects.create(product=product, quantity=quantity, customer=customer)
        except InsufficientStock as exc:
            messages.error(
                request,
                f"Not enough {product}: you asked for {exc.requested}, {exc.available} left.",
            )
        else:
            messages.success(request, f"{order} placed.")
    traces.keep(request, trace, "placing an order")
    return redirect("orders:index")


@require_POST
def confirm(request: HttpRequest, pk: int) -> HttpResponseRedirect:
    """Confirm an order (POST only; a demo, so no login required) and go back to the shop,
    which shows what fired."""
    order = get_object_or_404(Order.objects.select_related("product"), pk=pk)
    with trace_signals() as trace:
        confirmed = confirm_order(order)
    traces.keep(request, trace, f"confirming order #{order.pk}")
    if confirmed:
        messages.success(request, f"{order} confirmed.")
    else:
        messages.info(request, f"{order} was already confirmed.")
    return redirect("orders:index")
