"""The sender → signal → receiver graph of a registry, as Graphviz DOT or a Mermaid flowchart.

    >>> from signalkit import graph, registry
    >>> signals = graph.build(registry.snapshot().filter(app="shop"))
    >>> print(signals.to_dot())       # what listsignals --format dot prints
    >>> print(signals.to_mermaid())   # what listsignals --format mermaid prints

The graph is read from a :class:`~signalkit.registry.Registry`, so whatever filtered it
(listsignals' options, the admin page's filters) filtered the graph. How it is drawn:

- A signal has a node per sender it is connected for: ``post_save`` from ``shop.Order`` and
  ``post_save`` from ``shop.Tag`` are two nodes, so following the edges from a sender leads
  to exactly the receivers that run for it. Receivers of "any sender" hang from one
  ``any sender`` node.
- A receiver has one node per app and dotted path, in a group per app (receivers outside
  every installed app in a group of their own), with an edge from each signal node it is
  connected to. One callable connected several times to one signal node is one edge that
  counts its connections, labelled with their number.
- A deferred receiver (``@after_commit``, ``@as_task``) has dashed edges and its kind,
  ``commit`` or ``task``, under its name; a receiver with a problem (``dead``,
  ``DUPLICATE``, ``no **kwargs``, ``not importable``, ``pending``) is red with its flags.

The output is deterministic: nodes are sorted (senders by label, ``any sender`` first;
signals by dotted path; receivers by app, then name), numbered in that order for their ids
(``sender_0``, ``signal_0``, ``receiver_0``), and carries no file paths, so it can be kept
in a repository and diffed. Labels are escaped for each format; ids never hold a name.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import TYPE_CHECKING

from signalkit import presentation

if TYPE_CHECKING:
    from signalkit.registry import ReceiverInfo, Registry

__all__ = ["ANY_SENDER", "Edge", "Graph", "Group", "Node", "build"]

#: The label of the node that receivers of every sender hang from.
ANY_SENDER = "any sender"
#: What a sender node of a lazy ``"app.Model"`` sender that is not installed is flagged.
NOT_INSTALLED = "not installed"
#: The title of the group of receivers defined outside every installed app.
NO_APP_TITLE = "(no app)"
# The colour of a problem in DOT and Mermaid: the admin's error red.
PROBLEM_COLOUR = "#ba2121"
# Longest label in DOT and Mermaid; the whole name is in the DOT tooltip.
LABEL_LIMIT = 80
# Before the number of connections an edge stands for (a multiplication sign).
TIMES = "\N{MULTIPLICATION SIGN}"


@dataclass(frozen=True)
class Node:
    """A sender, a signal (for one sender) or a receiver.

    ``key`` is what the node stands for: a sender's label (``"any"`` for any sender), a
    signal's dotted path, a receiver's dotted path. ``label`` is what is drawn (a signal's
    or receiver's short name; its dotted path, shortened, when two nodes would read the
    same), ``flags`` what is drawn under it, ``details`` what a tooltip says.
    """

    id: str
    kind: str  # sender, signal, receiver
    key: str
    label: str
    flags: tuple[str, ...] = ()
    problem: bool = False
    deferred: str | None = None  # a receiver's "commit" or "task"
    group: str | None = None  # a receiver's Group.id
    sender: str | None = None  # a signal node's sender label
    details: tuple[str, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        # What is drawn is one line of printable text: no newline, no bidi override.
        object.__setattr__(self, "label", printable(self.label))
        object.__setattr__(self, "details", tuple(printable(line) for line in self.details))

    @property
    def any_sender(self) -> bool:
        """Whether this is the node of "any sender"."""
        return self.kind == "sender" and self.key == "any"

    @property
    def marks(self) -> tuple[str, ...]:
        """What sets the node apart, as class names of the drawings: ``anysender``,
        ``deferred``, ``problem``."""
        marks = []
        if self.any_sender:
            marks.append("anysender")
        if self.deferred:
            marks.append("deferred")
        if self.problem:
            marks.append("problem")
        return tuple(marks)


@dataclass(frozen=True)
class Edge:
    """A sender to one of its signal nodes, or a signal node to a receiver connected to it.

    ``deferred`` is the receiver's ``"commit"`` or ``"task"``; ``connections`` how many
    connections of the receiver to that signal node the edge stands for.
    """

    source: str
    target: str
    deferred: str | None = None
    connections: int = 1


@dataclass(frozen=True)
class Group:
    """The receivers of one app (``app`` None: outside every installed app)."""

    id: str
    app: str | None
    title: str
    nodes: tuple[str, ...]


@dataclass(frozen=True)
class Graph:
    """Senders, signal nodes, receivers grouped by app, and the edges between them."""

    senders: tuple[Node, ...]
    signals: tuple[Node, ...]
    receivers: tuple[Node, ...]
    groups: tuple[Group, ...]
    edges: tuple[Edge, ...]

    @property
    def nodes(self) -> tuple[Node, ...]:
        """Every node: senders, then signals, then receivers."""
        return (*self.senders, *self.signals, *self.receivers)

    def node(self, node_id: str) -> Node:
        """The node with this id (KeyError when there is none)."""
        return self._by_id[node_id]

    @cached_property
    def _by_id(self) -> dict[str, Node]:
        return {node.id: node for node in self.nodes}

    def to_dot(self) -> str:
        """Graphviz DOT: ``digraph``, left to right, a ``cluster_app_<label>`` per app.

        ``python manage.py listsignals --format dot | dot -Tsvg > signals.svg``.
        """
        lines = [
            "digraph signals {",
            '  graph [rankdir=LR, fontname="Helvetica", fontsize=11, nodesep=0.15, ranksep=1.1];',
            '  node [fontname="Helvetica", fontsize=10, shape=box, style=rounded, height=0.3];',
            '  edge [color="#777777", arrowsize=0.6];',
        ]
        if self.senders:
            lines.append("  // senders")
        lines += [f"  {_dot_node(node)}" for node in self.senders]
        if self.signals:
            lines.append("  // signals, one node per sender")
        lines += [f"  {_dot_node(node)}" for node in self.signals]
        for group in self.groups:
            lines.append(f"  subgraph cluster_{group.id} {{")
            lines.append(
                f"    graph [label={_dot_string(group.title)}, style=dashed, "
                f'color="#999999", fontcolor="#555555"];'
            )
            lines += [f"    {_dot_node(self.node(node_id))}" for node_id in group.nodes]
            lines.append("  }")
        lines += [f"  {_dot_edge(edge)}" for edge in self.edges]
        lines.append("}")
        return "\n".join(lines)

    def to_mermaid(self) -> str:
        """A Mermaid ``flowchart LR`` with a ``subgraph`` per app, for Markdown that renders
        Mermaid (GitHub, GitLab, MkDocs, Sphinx with sphinxcontrib-mermaid)."""
        lines = ["flowchart LR"]
        lines += [f"  {_mermaid_node(node)}" for node in (*self.senders, *self.signals)]
        for group in self.groups:
            lines.append(f"  subgraph {group.id} [{_mermaid_text([group.title])}]")
            lines += [f"    {_mermaid_node(self.node(node_id))}" for node_id in group.nodes]
            lines.append("  end")
        lines += [f"  {_mermaid_edge(edge)}" for edge in self.edges]
        classes: dict[str, list[str]] = defaultdict(list)
        for node in self.nodes:
            for name in node.marks:
                classes[name].append(node.id)
        for name, style in _MERMAID_CLASSES.items():
            if classes[name]:
                lines.append(f"  classDef {name} {style}")
                lines.append(f"  class {','.join(classes[name])} {name}")
        return "\n".join(lines)


def build(registry: Registry) -> Graph:
    """The graph of every receiver of ``registry``, pending ones included."""
    duplicated = presentation.duplicated_ids(registry)
    connections = [*registry.receivers, *registry.pending]

    sender_labels = sorted(
        {receiver.sender_label for receiver in connections},
        key=lambda label: (label != "any", label),
    )
    not_installed = {r.sender_label for r in connections if r.pending}
    bad_flags: dict[str, set[str]] = defaultdict(set)
    for receiver in connections:
        bad_flags[receiver.sender_label].update(
            flag for flag in receiver.sender_flags if flag in presentation.BAD_SENDER_FLAGS
        )
    senders = {
        label: _sender_node(f"sender_{number}", label, label in not_installed, bad_flags[label])
        for number, label in enumerate(sender_labels)
    }

    sender_order = {label: number for number, label in enumerate(sender_labels)}
    signal_keys = sorted(
        {(r.signal_path, r.sender_label) for r in connections},
        key=lambda key: (key[0], sender_order[key[1]]),
    )
    signal_labels = _short_labels([path for path, _ in signal_keys])
    signals = {
        key: Node(
            id=f"signal_{number}",
            kind="signal",
            key=key[0],
            label=signal_labels[key[0]],
            sender=key[1],
            details=(key[0], f"from {_sender_text(key[1])}"),
        )
        for number, key in enumerate(signal_keys)
    }

    by_receiver: dict[tuple[str | None, str], list[ReceiverInfo]] = defaultdict(list)
    for receiver in connections:
        by_receiver[receiver.app, receiver.path].append(receiver)
    apps = sorted({app for app, _ in by_receiver}, key=lambda app: (app is None, app or ""))
    group_ids = {app: _group_id(app) for app in apps}
    receiver_labels: dict[tuple[str | None, str], str] = {}
    for app in apps:
        keys = [key for key in by_receiver if key[0] == app]
        receiver_labels.update(_receiver_labels(keys, by_receiver))
    receiver_keys = sorted(
        by_receiver,
        key=lambda key: (apps.index(key[0]), receiver_labels[key].casefold(), key[1]),
    )
    receivers = {
        key: _receiver_node(
            f"receiver_{number}",
            key[1],
            receiver_labels[key],
            group_ids[key[0]],
            by_receiver[key],
            duplicated,
        )
        for number, key in enumerate(receiver_keys)
    }
    groups = tuple(
        Group(
            id=group_ids[app],
            app=app,
            title=app if app is not None else NO_APP_TITLE,
            nodes=tuple(receivers[key].id for key in receiver_keys if key[0] == app),
        )
        for app in apps
    )

    sender_edges: set[tuple[str, str]] = set()
    receiver_edges: dict[tuple[str, str], list[ReceiverInfo]] = defaultdict(list)
    for receiver in connections:
        signal = signals[receiver.signal_path, receiver.sender_label]
        sender_edges.add((senders[receiver.sender_label].id, signal.id))
        target = receivers[receiver.app, receiver.path]
        receiver_edges[signal.id, target.id].append(receiver)
    every_node = [*senders.values(), *signals.values(), *receivers.values()]
    order = {node.id: number for number, node in enumerate(every_node)}
    edges = [Edge(source, target) for source, target in sender_edges]
    edges += [
        Edge(source, target, _deferred_kind(connected), len(connected))
        for (source, target), connected in receiver_edges.items()
    ]
    edges.sort(key=lambda edge: (order[edge.source], order[edge.target]))
    return Graph(
        senders=tuple(senders.values()),
        signals=tuple(signals.values()),
        receivers=tuple(receivers[key] for key in receiver_keys),
        groups=groups,
        edges=tuple(edges),
    )


def _sender_text(label: str) -> str:
    return ANY_SENDER if label == "any" else label


def _sender_node(node_id: str, label: str, not_installed: bool, bad: set[str]) -> Node:
    flags = sorted(bad)
    if not_installed:
        flags.append(NOT_INSTALLED)
    details = [_sender_text(label)]
    if not_installed:
        details.append(f"{presentation.PENDING}")
    elif bad:
        details.append("a model that never sends")
    return Node(
        id=node_id,
        kind="sender",
        key=label,
        label=_sender_text(label),
        flags=tuple(flags),
        problem=bool(flags),
        details=tuple(details),
    )


def _receiver_node(
    node_id: str,
    path: str,
    label: str,
    group: str,
    connected: list[ReceiverInfo],
    duplicated: set[int],
) -> Node:
    deferred = _deferred_kind(connected)
    problems: dict[str, None] = {}
    informational: dict[str, None] = {}
    for receiver in connected:
        problems.update(dict.fromkeys(presentation.problem_flags(receiver, duplicated)))
        informational.update(dict.fromkeys(presentation.informational_flags(receiver)))
    first = connected[0]
    details = [path]
    if label != first.name and first.name not in path:
        details.append(f"{first.kind}: {first.name}")
    details.append(_location(first))
    if informational or problems:
        details.append(", ".join([*informational, *problems]))
    return Node(
        id=node_id,
        kind="receiver",
        key=path,
        label=label,
        flags=tuple([deferred] if deferred else []) + tuple(problems),
        problem=bool(problems),
        deferred=deferred,
        group=group,
        details=tuple(details),
    )


@cache
def _readable(path: str) -> str:
    return presentation.readable_path(path)


def _location(receiver: ReceiverInfo) -> str:
    if not receiver.file:
        return presentation.NO_SOURCE
    return f"{_readable(receiver.file)}:{receiver.line}"


def _deferred_kind(connected: list[ReceiverInfo]) -> str | None:
    kinds = {r.deferred.kind for r in connected if r.deferred is not None}
    return min(kinds) if kinds else None


_IDENTIFIER = re.compile(r"[A-Za-z0-9_]+")


def _group_id(app: str | None) -> str:
    """``app_<label>`` (app labels are Python identifiers; an unusual one is hex-encoded),
    ``no_app`` for receivers outside every app: never the same for two groups."""
    if app is None:
        return "no_app"
    if _IDENTIFIER.fullmatch(app):
        return f"app_{app}"
    return f"app_x{app.encode().hex()}"


def _short_labels(paths: list[str]) -> dict[str, str]:
    """Each dotted path's last part, or as many last parts as tell it from the others."""
    return _unique_suffixes(sorted(set(paths)))


def _receiver_labels(
    keys: list[tuple[str | None, str]],
    by_receiver: dict[tuple[str | None, str], list[ReceiverInfo]],
) -> dict[tuple[str | None, str], str]:
    """A receiver's name (``Class.method``, ``partial(func)``), or when two receivers of one
    app share it, as many last parts of their dotted paths as tell them apart."""
    by_name: dict[str, list[tuple[str | None, str]]] = defaultdict(list)
    for key in keys:
        by_name[by_receiver[key][0].name].append(key)
    labels = {}
    for name, named in by_name.items():
        if len(named) == 1:
            labels[named[0]] = name
        else:
            paths = _unique_suffixes([key[1] for key in named], len(name.split(".")))
            labels.update((key, paths[key[1]]) for key in named)
    return labels


def _unique_suffixes(paths: list[str], at_least: int = 1) -> dict[str, str]:
    parts = {path: path.split(".") for path in paths}
    labels: dict[str, str] = {}
    for path in paths:
        for size in range(min(at_least, len(parts[path])), len(parts[path]) + 1):
            suffix = parts[path][-size:]
            if not any(other != path and parts[other][-size:] == suffix for other in paths):
                break
        labels[path] = ".".join(suffix)
    return labels


# --- DOT ------------------------------------------------------------------------------------


def printable(text: str) -> str:
    """``text`` on one line: each character ``str.isprintable()`` refuses (newlines, tabs,
    bidi overrides, other control characters) becomes a space."""
    return "".join(char if char.isprintable() else " " for char in text)


def _clean(text: str) -> str:
    """One line of printable text, cut to ``LABEL_LIMIT`` characters."""
    line = printable(text)
    return line if len(line) <= LABEL_LIMIT else f"{line[: LABEL_LIMIT - 1]}…"


def _dot_string(text: str, *more_lines: str) -> str:
    """A DOT quoted string: ``\\`` and ``"`` escaped, lines joined with DOT's ``\\n``."""
    return (
        '"'
        + "\\n".join(
            _clean(line).replace("\\", "\\\\").replace('"', '\\"') for line in (text, *more_lines)
        )
        + '"'
    )


def _flags_line(node: Node) -> list[str]:
    return [f"[{', '.join(node.flags)}]"] if node.flags else []


def _dot_node(node: Node) -> str:
    attributes = [
        f"label={_dot_string(node.label, *_flags_line(node))}",
        f"tooltip={_dot_string(_tooltip(node))}",
    ]
    if node.kind == "sender":
        attributes.append("shape=ellipse")
        if node.any_sender:
            attributes.append("style=dashed")
    elif node.kind == "signal":
        attributes.append('style="rounded,filled", fillcolor="#e8eef3"')
    elif node.deferred:
        attributes.append('style="rounded,dashed"')
    if node.problem:
        attributes.append(f'color="{PROBLEM_COLOUR}", fontcolor="{PROBLEM_COLOUR}"')
    return f"{node.id} [{', '.join(attributes)}];"


def _tooltip(node: Node) -> str:
    """What DOT's tooltip says: the dotted path (a signal's with its sender); no file."""
    if node.kind == "signal":
        return f"{node.key} from {_sender_text(node.sender or 'any')}"
    return _sender_text(node.key) if node.kind == "sender" else node.key


def _dot_edge(edge: Edge) -> str:
    attributes = []
    if edge.deferred:
        attributes.append("style=dashed")
    if edge.connections > 1:
        attributes.append(f'label="{TIMES}{edge.connections}"')
    suffix = f" [{', '.join(attributes)}]" if attributes else ""
    return f"{edge.source} -> {edge.target}{suffix};"


# --- Mermaid --------------------------------------------------------------------------------

# Characters written as they are in a quoted Mermaid label; every other ASCII one is an
# entity code (#34; for ", #60; for <, ...: Mermaid's escape), so no name can end the label,
# start an entity or markdown, or add markup. Other printable characters are kept.
_MERMAID_PLAIN = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _.,:/()[]-+=*'!?@$%~"
)
_MERMAID_CLASSES = {
    "anysender": "stroke-dasharray:4 3",
    "deferred": "stroke-dasharray:4 3",
    "problem": f"stroke:{PROBLEM_COLOUR},color:{PROBLEM_COLOUR}",
}


def _mermaid_text(lines: list[str]) -> str:
    """A quoted Mermaid label: ASCII punctuation as ``#<code>;``, lines joined by ``<br>``."""
    return (
        '"'
        + "<br>".join(
            "".join(
                char if char in _MERMAID_PLAIN or (ord(char) > 127) else f"#{ord(char)};"
                for char in _clean(line)
            )
            for line in lines
        )
        + '"'
    )


def _mermaid_node(node: Node) -> str:
    text = _mermaid_text([node.label, *_flags_line(node)])
    if node.kind == "sender":
        return f"{node.id}([{text}])"
    if node.kind == "signal":
        return f"{node.id}{{{{{text}}}}}"
    return f"{node.id}[{text}]"


def _mermaid_edge(edge: Edge) -> str:
    arrow = "-.->" if edge.deferred else "-->"
    label = f"|{TIMES}{edge.connections}|" if edge.connections > 1 else ""
    return f"{edge.source} {arrow}{label} {edge.target}"
