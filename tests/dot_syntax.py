"""A parser of the DOT that ``signalkit.graph`` writes, to check its syntax without Graphviz.

It reads the part of the DOT grammar (https://graphviz.org/doc/info/lang.html) the graph
uses: ``digraph``, node, edge and attribute statements, ``subgraph`` blocks, comments, and
IDs that are names, numbers or quoted strings. Anything else is a :class:`DotSyntaxError`.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

_TOKEN = re.compile(
    r"""
    (?P<space>\s+|//[^\n]*|/\*.*?\*/)
  | (?P<arrow>->)
  | (?P<quoted>"(?:[^"\\]|\\.)*")
  | (?P<name>[A-Za-z_\x80-\U0010ffff][A-Za-z_0-9\x80-\U0010ffff]*)
  | (?P<number>-?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?))
  | (?P<punctuation>[{}\[\];,=])
    """,
    re.VERBOSE | re.DOTALL,
)
_LABEL_ESCAPES = {"n": "\n", "\\": "\\", '"': '"'}


class DotSyntaxError(Exception):
    pass


@dataclass
class Dot:
    """What a DOT text declares: node attributes, edges, the nodes of each subgraph."""

    name: str | None
    nodes: dict[str, dict[str, str]] = field(default_factory=dict)
    edges: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    subgraphs: dict[str, list[str]] = field(default_factory=dict)
    subgraph_attributes: dict[str, dict[str, str]] = field(default_factory=dict)


def text_of(token: str) -> str:
    """An ID's value: a quoted string unquoted, its escapes (``\\n``, ``\\\\``, ``\\"``) read."""
    if not token.startswith('"'):
        return token
    return re.sub(r"\\(.)", lambda m: _LABEL_ESCAPES.get(m[1], m[0]), token[1:-1])


def tokens(text: str) -> list[tuple[str, str]]:
    found = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise DotSyntaxError(f"unexpected {text[position : position + 20]!r} at {position}")
        kind = match.lastgroup or ""
        if kind != "space":
            found.append((kind, match[0]))
        position = match.end()
    return found


def parse(text: str) -> Dot:
    return _Parser(tokens(text)).graph()


class _Parser:
    def __init__(self, found: list[tuple[str, str]]) -> None:
        self.tokens = found
        self.position = 0

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.position] if self.position < len(self.tokens) else ("end", "")

    def take(self, value: str | None = None, kinds: tuple[str, ...] = ()) -> str:
        kind, token = self.peek()
        if (value is not None and token != value) or (kinds and kind not in kinds):
            raise DotSyntaxError(f"expected {value or kinds}, found {token!r}")
        self.position += 1
        return token

    def identifier(self) -> str:
        return self.take(kinds=("name", "quoted", "number"))

    def graph(self) -> Dot:
        self.take("digraph")
        name = None if self.peek()[1] == "{" else text_of(self.identifier())
        dot = Dot(name)
        self.block(dot, None)
        if self.peek()[0] != "end":
            raise DotSyntaxError(f"text after the graph: {self.peek()[1]!r}")
        return dot

    def block(self, dot: Dot, subgraph: str | None) -> None:
        self.take("{")
        while self.peek()[1] != "}":
            self.statement(dot, subgraph)
            if self.peek()[1] == ";":
                self.take(";")
        self.take("}")

    def statement(self, dot: Dot, subgraph: str | None) -> None:
        kind, token = self.peek()
        if token == "subgraph":
            self.take()
            name = text_of(self.identifier())
            dot.subgraphs[name] = []
            self.block(dot, name)
            return
        if token in ("graph", "node", "edge") and kind == "name":
            self.take()
            attributes = self.attributes()
            if token == "graph" and subgraph is not None:
                dot.subgraph_attributes[subgraph] = attributes
            return
        first = text_of(self.identifier())
        if self.peek()[1] == "=":
            self.take("=")
            self.identifier()
            return
        if self.peek()[0] == "arrow":
            ends = [first]
            while self.peek()[0] == "arrow":
                self.take()
                ends.append(text_of(self.identifier()))
            attributes = self.attributes() if self.peek()[1] == "[" else {}
            for source, target in itertools.pairwise(ends):
                dot.edges.append((source, target, attributes))
            return
        dot.nodes[first] = self.attributes() if self.peek()[1] == "[" else {}
        if subgraph is not None:
            dot.subgraphs[subgraph].append(first)

    def attributes(self) -> dict[str, str]:
        found = {}
        self.take("[")
        while self.peek()[1] != "]":
            name = text_of(self.identifier())
            self.take("=")
            found[name] = text_of(self.identifier())
            if self.peek()[1] in (",", ";"):
                self.take()
        self.take("]")
        return found
