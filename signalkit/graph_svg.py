"""The signal graph (:mod:`signalkit.graph`) laid out and drawn as inline SVG, in Python.

    >>> drawing = layout(graph.build(registry))
    >>> svg = render_svg(drawing)        # SafeString: every name in it is escaped

Three columns, left to right: senders, signal nodes, receivers in a box per app. The
layout is layered and deterministic: signal nodes in blocks per sender, receivers ordered by
the mean position of their signals (the barycentre heuristic, one sweep down, one up and
one down again), senders placed level with the middle of their signals. No system binary,
no JavaScript and no network: the admin's graph page draws it as it is, its colours taken
from the admin's CSS variables (``signalkit/admin/graph.css``), so dark mode follows.

Labels use the admin's monospace font, whose width is known closely enough to size the
boxes here (``CHAR_WIDTH``); a label longer than its column allows ends with "…", the whole
name being in the node's tooltip.
"""

from __future__ import annotations

import html
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.utils.safestring import SafeString

from signalkit.graph import ANY_SENDER, Edge, Graph, Group, Node, printable

__all__ = ["Box", "Curve", "GroupBox", "Layout", "layout", "render_svg"]

FONT_SIZE = 12  # px, node labels
FLAGS_FONT_SIZE = 11  # px, the flags line under a label
# Width of one character of a monospace font, in ems: 0.6 for DejaVu Sans Mono, Menlo and
# Courier, 0.55 for Consolas; a little more, so a label never outgrows its box.
CHAR_WIDTH = 0.62
PADDING_X = 8  # px, between a box's border and its text
LINE_HEIGHT = 16  # px
NODE_HEIGHT = 26  # px, a box of one line; a line of flags adds FLAGS_HEIGHT
FLAGS_HEIGHT = 14
NODE_GAP = 8  # px, between two boxes of a column
GROUP_PADDING = 8  # px, around the receivers of an app
GROUP_HEADER = 22  # px, the app's label at the top of its box
GROUP_GAP = 14  # px, between two app boxes
MARGIN = 12  # px, around the drawing
COLUMN_TITLE = 26  # px, the column titles above the nodes
EDGE_SPACE = 120  # px, between two columns, for the edges
MAX_LABEL = {"sender": 36, "signal": 32, "receiver": 44}  # characters
MIN_LABEL = 10  # characters: a column is never narrower than this
COLUMN_TITLES = ("Senders", "Signals", "Receivers, by app")


@dataclass(frozen=True)
class Box:
    """Where a node is drawn: its top left corner, width and height (px)."""

    node: Node
    x: float
    y: float
    width: float
    height: float
    label: str  # the label as drawn (cut with "…" when too long)

    @property
    def right(self) -> float:
        return self.x + self.width

    @property
    def bottom(self) -> float:
        return self.y + self.height


@dataclass(frozen=True)
class GroupBox:
    """The box around the receivers of one app."""

    group: Group
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Curve:
    """An edge drawn from ``start`` (on its source's right side) to ``end`` (on its
    target's left side), a cubic Bézier curve."""

    edge: Edge
    start: tuple[float, float]
    end: tuple[float, float]

    @property
    def path(self) -> str:
        (x1, y1), (x2, y2) = self.start, self.end
        bend = (x2 - x1) / 2
        return (
            f"M{_n(x1)},{_n(y1)} C{_n(x1 + bend)},{_n(y1)} {_n(x2 - bend)},{_n(y2)} "
            f"{_n(x2)},{_n(y2)}"
        )


@dataclass(frozen=True)
class Layout:
    """Every box, app box and edge curve of a graph, and the drawing's size (px)."""

    graph: Graph
    boxes: dict[str, Box]  # by node id
    groups: list[GroupBox]
    curves: list[Curve]
    columns: list[float]  # the x of each column's left side
    width: float
    height: float


def layout(graph: Graph) -> Layout:
    """Place the graph's nodes in three columns, ordered to cross few edges."""
    senders, signals, groups = _order(graph)
    widths = [_column_width(senders), _column_width(signals), _column_width(graph.receivers)]
    receivers_width = widths[2]
    columns = [float(MARGIN)]
    columns.append(columns[0] + widths[0] + EDGE_SPACE)
    columns.append(columns[1] + widths[1] + EDGE_SPACE)
    top = float(MARGIN + COLUMN_TITLE)

    boxes: dict[str, Box] = {}
    group_boxes = []
    y = top
    inner_x = columns[2] + GROUP_PADDING
    for group, members in groups:
        start = y
        y += GROUP_HEADER
        for node in members:
            boxes[node.id] = _box(node, inner_x, y, receivers_width)
            y += _height(node) + NODE_GAP
        y += GROUP_PADDING - NODE_GAP
        group_boxes.append(
            GroupBox(group, columns[2], start, receivers_width + 2 * GROUP_PADDING, y - start)
        )
        y += GROUP_GAP
    receivers_bottom = y - GROUP_GAP if groups else top

    # Receivers shorter than the signals stacked: centred beside them.
    signals_height = sum(_height(node) + NODE_GAP for node in signals) - NODE_GAP
    shift = (signals_height - (receivers_bottom - top)) / 2
    if shift > 0:
        for node in graph.receivers:
            boxes[node.id] = _moved(boxes[node.id], shift)
        group_boxes = [GroupBox(g.group, g.x, g.y + shift, g.width, g.height) for g in group_boxes]

    # Signals level with the middle of their receivers, senders with the middle of their
    # signals: as close as they can be without overlapping, in their order.
    for column, nodes, width in ((1, signals, widths[1]), (0, senders, widths[0])):
        targets: dict[str, list[Box]] = defaultdict(list)
        for edge in graph.edges:
            if edge.source in {node.id for node in nodes} and edge.target in boxes:
                targets[edge.source].append(boxes[edge.target])
        wanted = [
            _mean([box.y + box.height / 2 for box in targets[node.id]], top) - _height(node) / 2
            for node in nodes
        ]
        placed = _spread(wanted, [_height(node) for node in nodes], top)
        for node, y in zip(nodes, placed, strict=True):
            boxes[node.id] = _box(node, columns[column], y, width)
    bottom = max([top, *[box.bottom for box in boxes.values()]])

    width = columns[2] + receivers_width + 2 * GROUP_PADDING + MARGIN
    return Layout(
        graph=graph,
        boxes=boxes,
        groups=group_boxes,
        curves=_curves(graph, boxes),
        columns=columns,
        width=max(width, 2 * MARGIN),
        height=bottom + MARGIN,
    )


def _order(graph: Graph) -> tuple[list[Node], list[Node], list[tuple[Group, list[Node]]]]:
    """Senders, signal nodes and the app groups of receivers, in the order to draw them.

    Signal nodes come in blocks per sender (each has one); receivers are ordered by the
    barycentre of their signals within their app, and the apps by their receivers'
    barycentres; then signal nodes (within their sender's block) and senders are ordered by
    their receivers' barycentre, and the receivers once more.
    """
    senders = list(graph.senders)
    signals = list(graph.signals)
    sender_of = {
        edge.target: edge.source for edge in graph.edges if graph.node(edge.source).kind == "sender"
    }
    receivers_of: dict[str, list[str]] = defaultdict(list)
    signals_of: dict[str, list[str]] = defaultdict(list)
    for edge in graph.edges:
        if graph.node(edge.target).kind == "receiver":
            receivers_of[edge.source].append(edge.target)
            signals_of[edge.target].append(edge.source)
    initial = {node.id: number for number, node in enumerate(graph.nodes)}

    def by_sender(signal_weight: dict[str, float]) -> list[Node]:
        rank = {node.id: number for number, node in enumerate(senders)}
        return sorted(
            signals,
            key=lambda n: (rank[sender_of[n.id]], signal_weight.get(n.id, 0), initial[n.id]),
        )

    def place_receivers(signal_order: list[Node]) -> list[tuple[Group, list[Node]]]:
        position = {node.id: number for number, node in enumerate(signal_order)}
        weight = {
            node.id: _mean([position[s] for s in signals_of[node.id]], initial[node.id])
            for node in graph.receivers
        }
        placed = []
        for group in graph.groups:
            members = sorted(
                (graph.node(n) for n in group.nodes), key=lambda n: (weight[n.id], initial[n.id])
            )
            placed.append((group, members))
        order = {group.id: number for number, group in enumerate(graph.groups)}
        placed.sort(key=lambda item: (_mean([weight[n.id] for n in item[1]], 0), order[item[0].id]))
        return placed

    signals = by_sender({})
    groups = place_receivers(signals)
    position: dict[str, int] = {}
    for _, members in groups:
        for node in members:
            position[node.id] = len(position)
    signal_weight = {
        node.id: _mean([position[r] for r in receivers_of[node.id]], 0) for node in signals
    }
    sender_weight = {
        node.id: _mean([signal_weight[s.id] for s in signals if sender_of[s.id] == node.id], 0)
        for node in senders
    }
    senders.sort(key=lambda n: (sender_weight[n.id], initial[n.id]))
    signals = by_sender(signal_weight)
    return senders, signals, place_receivers(signals)


def _spread(wanted: list[float], heights: list[float], top: float) -> list[float]:
    """The tops closest to ``wanted`` (least squares) that keep the boxes in this order,
    ``NODE_GAP`` apart and below ``top``: pool-adjacent-violators on the wanted tops less
    the room the boxes above need."""
    room = [0.0]
    for height in heights[:-1]:
        room.append(room[-1] + height + NODE_GAP)
    blocks: list[list[float]] = []  # [sum, count] of pooled values, non-decreasing means
    for value, before in zip(wanted, room, strict=True):
        blocks.append([value - before, 1])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            total, count = blocks.pop()
            blocks[-1][0] += total
            blocks[-1][1] += count
    levels = [max(total / count, top) for total, count in blocks for _ in range(int(count))]
    return [level + before for level, before in zip(levels, room, strict=True)]


def _mean(values: Sequence[float], default: float) -> float:
    return sum(values) / len(values) if values else default


def _curves(graph: Graph, boxes: dict[str, Box]) -> list[Curve]:
    """Each edge from its source's right side to its target's left side; the edges of one
    side spread over its height, in the order of their other ends (so they do not cross
    there)."""
    outgoing: dict[str, list[Edge]] = defaultdict(list)
    incoming: dict[str, list[Edge]] = defaultdict(list)
    for edge in graph.edges:
        outgoing[edge.source].append(edge)
        incoming[edge.target].append(edge)

    def centre(node_id: str) -> float:
        box = boxes[node_id]
        return box.y + box.height / 2

    starts: dict[Edge, float] = {}
    ends: dict[Edge, float] = {}
    for node_id, edges in outgoing.items():
        ordered = sorted(edges, key=lambda e: (centre(e.target), e.target))
        starts.update(zip(ordered, _ports(boxes[node_id], len(ordered)), strict=True))
    for node_id, edges in incoming.items():
        ordered = sorted(edges, key=lambda e: (centre(e.source), e.source))
        ends.update(zip(ordered, _ports(boxes[node_id], len(ordered)), strict=True))
    return [
        Curve(edge, (boxes[edge.source].right, starts[edge]), (boxes[edge.target].x, ends[edge]))
        for edge in graph.edges
    ]


def _ports(box: Box, count: int) -> list[float]:
    """``count`` heights spread over the middle of a box's side."""
    if count == 1:
        return [box.y + box.height / 2]
    span = min(box.height - 8, 4 * (count - 1))
    first = box.y + (box.height - span) / 2
    return [first + span * number / (count - 1) for number in range(count)]


def _box(node: Node, x: float, y: float, column_width: float) -> Box:
    return Box(node, x, y, column_width, _height(node), _cut(node.label, node.kind))


def _moved(box: Box, dy: float) -> Box:
    return Box(box.node, box.x, box.y + dy, box.width, box.height, box.label)


def _height(node: Node) -> float:
    return NODE_HEIGHT + (FLAGS_HEIGHT if node.flags else 0)


def _cut(label: str, kind: str) -> str:
    limit = MAX_LABEL[kind]
    return label if len(label) <= limit else f"{label[: limit - 1]}…"


def _text_width(characters: int, font_size: float = FONT_SIZE) -> float:
    return characters * CHAR_WIDTH * font_size + 2 * PADDING_X


def _column_width(nodes: Sequence[Node]) -> float:
    """Wide enough for the longest label (as cut) and the longest line of flags."""
    return max(
        [
            _text_width(MIN_LABEL),
            *[_text_width(len(_cut(node.label, node.kind))) for node in nodes],
            *[_text_width(len(_flags_text(node)), FLAGS_FONT_SIZE) for node in nodes],
        ]
    )


def _flags_text(node: Node) -> str:
    return ", ".join(node.flags)


# --- SVG ------------------------------------------------------------------------------------


def _n(value: float) -> str:
    """A coordinate, rounded to a tenth of a pixel."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def render_svg(drawing: Layout, href: Callable[[Node], str | None] | None = None) -> SafeString:
    """The drawing as an ``<svg>`` element; ``href(node)`` gives a node's link, if any.

    Every name is escaped; each node is a ``g.sk-node`` with ``data-node`` (its id), each
    edge a ``path.sk-edge`` with ``data-source`` and ``data-target``.
    """
    graph = drawing.graph
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="sk-graph" '
        f'width="{_n(drawing.width)}" height="{_n(drawing.height)}" '
        f'viewBox="0 0 {_n(drawing.width)} {_n(drawing.height)}" role="img" '
        f'aria-label="{_e(_summary(graph))}">',
        '<defs><marker id="sk-arrow" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="7" '
        'markerHeight="7" orient="auto"><path class="sk-arrowhead" d="M0,0 L8,4 L0,8 z"/>'
        "</marker></defs>",
    ]
    for title, x in zip(COLUMN_TITLES, drawing.columns, strict=True):
        parts.append(
            f'<text class="sk-column-title" x="{_n(x)}" y="{_n(MARGIN + 12)}">{_e(title)}</text>'
        )
    parts.append('<g class="sk-groups">')
    for box in drawing.groups:
        parts.append(
            f'<g class="sk-group" data-group="{_e(box.group.id)}">'
            f'<rect x="{_n(box.x)}" y="{_n(box.y)}" width="{_n(box.width)}" '
            f'height="{_n(box.height)}" rx="6"/>'
            f'<text x="{_n(box.x + GROUP_PADDING)}" y="{_n(box.y + 15)}">'
            f"{_e(box.group.title)}</text></g>"
        )
    parts.append("</g>")
    parts.append('<g class="sk-edges">')
    for curve in drawing.curves:
        parts.append(_edge_svg(graph, curve))
    parts.append("</g>")
    parts.append('<g class="sk-nodes">')
    for node in graph.nodes:
        parts.append(_node_svg(drawing.boxes[node.id], href(node) if href else None))
    parts.append("</g></svg>")
    return SafeString("".join(parts))


def _summary(graph: Graph) -> str:
    return (
        f"Signal graph: {len(graph.senders)} senders, {len(graph.signals)} signal nodes, "
        f"{len(graph.receivers)} receivers"
    )


def _edge_svg(graph: Graph, curve: Curve) -> str:
    edge = curve.edge
    classes = ["sk-edge"]
    if edge.deferred:
        classes.append("sk-deferred")
    source, target = graph.node(edge.source), graph.node(edge.target)
    title = f"{_plain_label(source)} → {_plain_label(target)}"
    if edge.deferred:
        title += f" ({edge.deferred})"
    if edge.connections > 1:
        title += f", connected {edge.connections} times"
    parts = [
        f'<path class="{" ".join(classes)}" data-source="{edge.source}" '
        f'data-target="{edge.target}" d="{curve.path}" marker-end="url(#sk-arrow)">'
        f"<title>{_e(title)}</title></path>"
    ]
    if edge.connections > 1:
        x, y = curve.end
        parts.append(
            f'<text class="sk-edge-count" x="{_n(x - GROUP_PADDING - 6)}" y="{_n(y - 3)}" '
            f'text-anchor="end">×{edge.connections}</text>'
        )
    return "".join(parts)


def _plain_label(node: Node) -> str:
    if node.kind == "signal":
        sender = ANY_SENDER if node.sender == "any" else printable(node.sender or "")
        return f"{node.label} (from {sender})"
    return node.label


def _node_svg(box: Box, link: str | None) -> str:
    node = box.node
    classes = ["sk-node", f"sk-{node.kind}", *(f"sk-{mark}" for mark in node.marks)]
    label_y = box.y + (NODE_HEIGHT + FONT_SIZE) / 2 - 2
    parts = [
        f'<g class="{" ".join(classes)}" data-node="{node.id}">',
        f"<title>{_e(chr(10).join(node.details or (node.label,)))}</title>",
    ]
    if link is not None:
        parts.append(f'<a href="{_e(link)}">')
    parts.append(
        f'<rect x="{_n(box.x)}" y="{_n(box.y)}" width="{_n(box.width)}" '
        f'height="{_n(box.height)}" rx="{13 if node.kind == "sender" else 4}"/>'
        f'<text class="sk-label" x="{_n(box.x + PADDING_X)}" y="{_n(label_y)}">'
        f"{_e(box.label)}</text>"
    )
    if node.flags:
        parts.append(
            f'<text class="sk-flags" x="{_n(box.x + PADDING_X)}" '
            f'y="{_n(label_y + FLAGS_HEIGHT)}">{_e(_flags_text(node))}</text>'
        )
    if link is not None:
        parts.append("</a>")
    parts.append("</g>")
    return "".join(parts)
