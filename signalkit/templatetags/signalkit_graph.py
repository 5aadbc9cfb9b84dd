"""``{% graph_url page %}``: the receivers page's link to its graph, with its filters."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import template
from django.urls import reverse

from signalkit.admin_graph import query_string

if TYPE_CHECKING:
    from signalkit.admin import ReceiversPage

register = template.Library()


@register.simple_tag(takes_context=True)
def graph_url(context: template.Context, page: ReceiversPage) -> str:
    """The graph page's URL, on the current admin site, with ``page``'s filters and search."""
    request = context.get("request")
    current_app = getattr(request, "current_app", None)
    return reverse("admin:signalkit_receiver_graph", current_app=current_app) + query_string(page)
