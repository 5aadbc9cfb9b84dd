"""The admin's "Signal graph" page: the receivers page's receivers as a sender → signal →
receiver graph, drawn as inline SVG (:mod:`signalkit.graph_svg`).

``ReceiverAdmin.graph_view`` renders :class:`GraphPage` at ``graph/`` under the receivers
page (URL name ``admin:signalkit_receiver_graph``), with the same permission and methods.
The page's query string is the receivers page's: :meth:`GraphPage.build` hands it to
:meth:`signalkit.admin.ReceiversPage.build`, which reads the filters and the search, and
draws the receivers that page would list, on all its pages (the project's only, until
``scope=all`` unfolds the others). Node links lead to the receivers page, filtered
by that sender, signal or receiver.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.http import QueryDict
from django.utils.safestring import SafeString

from signalkit import graph, graph_svg, presentation

if TYPE_CHECKING:
    from signalkit.admin import ReceiversPage
    from signalkit.registry import Registry

__all__ = ["GraphPage", "query_string"]


def query_string(page: ReceiversPage) -> str:
    """``?app=...&q=...``: the filters and search ``page`` applied (valid values only, so its
    length never depends on the URL's), or ``""`` when none; for the links between the two
    pages."""
    kept = [*page.hidden_parameters, ("q", page.query)]
    return (
        f"?{urlencode([(name, value) for name, value in kept if value])}" if page.filtered else ""
    )


@dataclass(frozen=True)
class GraphPage:
    """The graph of what the receivers page shows for the same GET parameters."""

    svg: SafeString
    errors: list[str]
    filtered: bool
    query_string: str  # the filters and search in force, for the link back to the list
    senders: int
    signals: int
    receivers: int
    connections: int
    problems: int
    deferred: int

    @classmethod
    def build(cls, registry: Registry, params: QueryDict, receivers_url: str) -> GraphPage:
        """``receivers_url``: the receivers page's URL, for the nodes' links."""
        from signalkit.admin import ReceiversPage

        page = ReceiversPage.build(registry, params)
        shown = {id(receiver) for receiver in page.listed}
        drawn = graph.build(registry.select(lambda receiver: id(receiver) in shown))

        def href(node: graph.Node) -> str:
            if node.kind == "sender":
                parameters = {"sender": node.key}
            elif node.kind == "signal":
                parameters = {"signal": node.key, "sender": node.sender or "any"}
            else:
                parameters = {"q": node.key}
            return f"{receivers_url}?{urlencode(parameters)}"

        svg = graph_svg.render_svg(graph_svg.layout(drawn), href) if drawn.nodes else None
        return cls(
            svg=svg or SafeString(""),
            errors=page.errors,
            filtered=page.filtered,
            query_string=query_string(page),
            senders=len(drawn.senders),
            signals=len({node.key for node in drawn.signals}),
            receivers=len(drawn.receivers),
            connections=len(shown),
            problems=sum(1 for node in drawn.nodes if node.problem),
            deferred=sum(1 for node in drawn.receivers if node.deferred),
        )

    @property
    def summary(self) -> str:
        """What is drawn, in one line."""
        return (
            f"{presentation.count(self.receivers, 'receiver')} "
            f"({presentation.count(self.connections, 'connection')}) on "
            f"{presentation.count(self.signals, 'signal')} from "
            f"{presentation.count(self.senders, 'sender')}."
        )
