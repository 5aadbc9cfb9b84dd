"""signalkit.graph: the sender -> signal -> receiver graph, its DOT and its Mermaid text."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.db.models.signals import post_save, pre_save

from signalkit import graph
from signalkit.registry import Registry, snapshot
from tests import deferred_receivers
from tests.catalog_app.models import Book, Tag
from tests.conftest import DEAD_RECEIVER_UID
from tests.dot_syntax import parse
from tests.test_listsignals import run_listsignals

PROBE = "tests.probe"


def on_book_saved(sender: object, **kwargs: Any) -> None:
    pass


def on_anything(sender: object, **kwargs: Any) -> None:
    pass


def on_tag_saved(sender: object, **kwargs: Any) -> None:
    pass


class HtmlSender:
    """A sender whose repr is markup and quotes."""

    def __repr__(self) -> str:
        return '<img src=x onerror="alert(1)"> & #quot; \\ end'


HTML_SENDER = HtmlSender()  # module level: Django < 6.0 keeps only id(sender)


def make_receiver(qualname: str) -> Callable[..., None]:
    def receiver(sender: object, **kwargs: Any) -> None:
        pass

    receiver.__qualname__ = qualname
    return receiver


# Receivers whose names a label must carry through whole: quotes, markup, DOT and Mermaid
# syntax, entity look-alikes, backslashes, unicode, a newline. Module level, so weakly kept.
HOSTILE_NAMES = [
    "<script>alert('receiver')</script>",
    'say "hi" \\" \\\\n',
    "end",
    "A-->B; C[x] {y} |z| `md` #quot; #35; &amp;",
    "café 名前 🚀 \u202eevil",
    "line\nbreak",
]
HOSTILE_RECEIVERS = [make_receiver(name) for name in HOSTILE_NAMES]


def shown_as(name: str) -> str:
    """A name as a label shows it: unprintable characters (a newline) become spaces."""
    return "".join(char if char.isprintable() else " " for char in name)


@pytest.fixture
def probe_graph(connect: Callable[..., None]) -> Callable[[], graph.Graph]:
    """The graph of the probe signal: on_book_saved for Book, on_anything and the
    ``after_commit`` receiver on_commit_receiver for any sender."""
    connect(on_book_saved, sender=Book)
    connect(on_anything)
    connect(deferred_receivers.on_commit_receiver, weak=False)
    return lambda: graph.build(snapshot().filter(signal=PROBE))


def labels(nodes: tuple[graph.Node, ...]) -> list[str]:
    return [node.label for node in nodes]


def edge_labels(drawn: graph.Graph) -> set[tuple[str, str]]:
    """(source, target) of every edge, each end as ``label`` or ``signal label (sender)``."""

    def name(node_id: str) -> str:
        node = drawn.node(node_id)
        return f"{node.label} ({node.sender})" if node.kind == "signal" else node.label

    return {(name(edge.source), name(edge.target)) for edge in drawn.edges}


def receiver(drawn: graph.Graph, label: str) -> graph.Node:
    return next(node for node in drawn.receivers if node.label == label)


# --- the model ----------------------------------------------------------------------------


def test_a_receiver_of_a_model_hangs_from_that_model_through_its_signal_node(
    probe_graph: Callable[[], graph.Graph],
) -> None:
    assert ("catalog_app.Book", "probe (catalog_app.Book)") in edge_labels(probe_graph())
    assert ("probe (catalog_app.Book)", "on_book_saved") in edge_labels(probe_graph())


def test_receivers_of_any_sender_hang_from_the_any_sender_node(
    probe_graph: Callable[[], graph.Graph],
) -> None:
    drawn = probe_graph()

    assert drawn.senders[0].label == "any sender"
    assert drawn.senders[0].any_sender
    assert {("any sender", "probe (any)"), ("probe (any)", "on_anything")} <= edge_labels(drawn)


def test_a_signal_has_one_node_per_sender_so_edges_lead_only_to_what_runs(
    probe_graph: Callable[[], graph.Graph],
) -> None:
    drawn = probe_graph()

    assert [(node.key, node.sender) for node in drawn.signals] == [
        (PROBE, "any"),
        (PROBE, "catalog_app.Book"),
    ]
    assert ("probe (catalog_app.Book)", "on_anything") not in edge_labels(drawn)


def test_one_receiver_connected_for_two_senders_is_one_node_with_an_edge_from_each(
    connect: Callable[..., None],
) -> None:
    connect(on_book_saved, sender=Book)
    connect(on_book_saved, sender=Tag)

    drawn = graph.build(snapshot().filter(signal=PROBE))

    assert labels(drawn.receivers) == ["on_book_saved"]
    assert edge_labels(drawn) >= {
        ("probe (catalog_app.Book)", "on_book_saved"),
        ("probe (catalog_app.Tag)", "on_book_saved"),
    }


def test_receivers_are_grouped_by_app_and_those_of_no_app_come_last(
    connect: Callable[..., None],
) -> None:
    connect(on_anything)
    registry = snapshot().filter(signal=[PROBE, "pre_save", "post_save"])

    drawn = graph.build(registry.filter(app=["catalog_app", "registry_app"]))
    with_no_app = graph.build(registry.filter(signal=[PROBE, "pre_save"]))

    groups = {group.title: labels(tuple(map(drawn.node, group.nodes))) for group in drawn.groups}
    assert groups == {
        "catalog_app": ["check_book_before_save", "note_tag_saved", "stamp_book_before_save"],
        "registry_app": ["welcome_new_user"],
    }
    assert [group.id for group in drawn.groups] == ["app_catalog_app", "app_registry_app"]
    assert with_no_app.groups[-1].title == "(no app)"
    assert with_no_app.groups[-1].id == "no_app"
    assert "on_anything" in labels(tuple(map(with_no_app.node, with_no_app.groups[-1].nodes)))


def test_one_path_in_two_apps_is_a_node_in_each_apps_group(connect: Callable[..., None]) -> None:
    connect(on_book_saved, sender=Book)
    connect(on_book_saved, sender=Tag)
    registry = snapshot().filter(signal=PROBE)
    # A mixin's receiver is attributed to the app of the model it is connected for.
    book, tag = registry.signals[0].receivers
    apps = [dataclasses.replace(book, app="shop"), dataclasses.replace(tag, app="blog")]

    drawn = graph.build(Registry([dataclasses.replace(registry.signals[0], receivers=apps)], []))

    assert [(group.title, len(group.nodes)) for group in drawn.groups] == [
        ("blog", 1),
        ("shop", 1),
    ]
    assert [node.key for node in drawn.receivers] == [f"{__name__}.on_book_saved"] * 2


def test_a_receiver_connected_twice_is_one_edge_counting_both_flagged_duplicate(
    connect: Callable[..., None],
) -> None:
    connect(on_anything, dispatch_uid="first")
    connect(on_anything, dispatch_uid="second")

    drawn = graph.build(snapshot().filter(signal=PROBE))

    [edge] = [edge for edge in drawn.edges if drawn.node(edge.target).kind == "receiver"]
    assert edge.connections == 2
    assert receiver(drawn, "on_anything").flags == ("DUPLICATE",)
    assert receiver(drawn, "on_anything").problem


def test_deferred_receivers_have_their_kind_and_deferred_edges(
    connect: Callable[..., None],
) -> None:
    connect(deferred_receivers.on_commit_receiver, weak=False)
    connect(deferred_receivers.task_receiver, weak=False)
    connect(on_anything)

    drawn = graph.build(snapshot().filter(signal=PROBE))

    kinds = {node.label: node.deferred for node in drawn.receivers}
    assert kinds == {"on_commit_receiver": "commit", "task_receiver": "task", "on_anything": None}
    assert receiver(drawn, "task_receiver").flags == ("task",)
    deferred_edges = {
        drawn.node(edge.target).label: edge.deferred for edge in drawn.edges if edge.deferred
    }
    assert deferred_edges == {"on_commit_receiver": "commit", "task_receiver": "task"}


@pytest.mark.usefixtures("dead_receiver")
def test_a_dead_receiver_is_a_problem_flagged_dead() -> None:
    registry = snapshot().filter(signal="user_login_failed")
    dead = [r for r in registry.receivers if r.dispatch_uid == DEAD_RECEIVER_UID]

    drawn = graph.build(registry.select(lambda r: r in dead))

    [node] = drawn.receivers
    assert node.flags == ("dead",)
    assert node.problem


@pytest.mark.usefixtures("pending_cleanup")
def test_a_pending_receiver_hangs_from_a_sender_flagged_not_installed() -> None:
    post_save.connect(on_anything, sender="nope.Model")

    drawn = graph.build(snapshot().filter(sender="nope.Model").select(lambda r: r.pending))

    [sender] = drawn.senders
    assert (sender.label, sender.flags, sender.problem) == (
        "nope.model",
        ("not installed",),
        True,
    )
    assert receiver(drawn, "on_anything").flags == ("pending",)


def test_two_receivers_of_one_app_with_one_name_are_labelled_by_their_paths(
    connect: Callable[..., None],
) -> None:
    connect(on_anything)
    connect(on_tag_saved)
    registry = snapshot().filter(signal=PROBE)
    first, second = registry.signals[0].receivers
    # The same name in another module of the app.
    twin = dataclasses.replace(second, name=first.name, path="tests.other.on_anything")
    info = dataclasses.replace(registry.signals[0], receivers=[first, twin])

    drawn = graph.build(Registry([info], []))

    assert sorted(labels(drawn.receivers)) == ["other.on_anything", "test_graph.on_anything"]


def test_two_signals_with_one_name_are_labelled_by_as_much_of_their_paths_as_differs(
    connect: Callable[..., None],
) -> None:
    connect(on_anything)
    registry = snapshot().filter(signal=PROBE)
    info = registry.signals[0]
    twin = dataclasses.replace(
        info,
        path="other.probe",
        receivers=[dataclasses.replace(r, signal_path="other.probe") for r in info.receivers],
    )

    drawn = graph.build(Registry([info, twin], []))

    assert labels(drawn.signals) == ["other.probe", "tests.probe"]


def test_the_graph_of_a_filtered_registry_has_only_its_receivers() -> None:
    drawn = graph.build(snapshot().filter(app="catalog_app", sender="catalog_app.Book"))

    # count_confirmed_order, a receiver of any sender of a custom signal, is not among what
    # runs when a Book sends (Registry.filter(sender=) keeps only the model's own signals).
    assert sorted(labels(drawn.receivers)) == [
        "check_book_before_save",
        "stamp_book_before_save",
    ]
    assert labels(drawn.senders) == ["catalog_app.Book"]


def test_an_empty_registry_makes_an_empty_graph() -> None:
    drawn = graph.build(Registry([], []))

    assert drawn.nodes == ()
    assert drawn.edges == ()
    assert parse(drawn.to_dot()).nodes == {}
    assert drawn.to_mermaid() == "flowchart LR"


def test_nodes_are_sorted_and_numbered_whatever_the_order_of_the_registry(
    probe_graph: Callable[[], graph.Graph],
) -> None:
    registry = snapshot()
    reversed_registry = Registry(
        [
            dataclasses.replace(info, receivers=info.receivers[::-1])
            for info in registry.signals[::-1]
        ],
        registry.pending[::-1],
    )

    assert graph.build(reversed_registry).to_dot() == graph.build(registry).to_dot()
    assert graph.build(reversed_registry).to_mermaid() == graph.build(registry).to_mermaid()
    assert [node.id for node in probe_graph().nodes] == [
        "sender_0",
        "sender_1",
        "signal_0",
        "signal_1",
        "receiver_0",
        "receiver_1",
        "receiver_2",
    ]


# --- DOT and Mermaid ----------------------------------------------------------------------

PROBE_DOT = """\
digraph signals {
  graph [rankdir=LR, fontname="Helvetica", fontsize=11, nodesep=0.15, ranksep=1.1];
  node [fontname="Helvetica", fontsize=10, shape=box, style=rounded, height=0.3];
  edge [color="#777777", arrowsize=0.6];
  // senders
  sender_0 [label="any sender", tooltip="any sender", shape=ellipse, style=dashed];
  sender_1 [label="catalog_app.Book", tooltip="catalog_app.Book", shape=ellipse];
  // signals, one node per sender
  signal_0 [label="probe", tooltip="tests.probe from any sender", style="rounded,filled", \
fillcolor="#e8eef3"];
  signal_1 [label="probe", tooltip="tests.probe from catalog_app.Book", \
style="rounded,filled", fillcolor="#e8eef3"];
  subgraph cluster_no_app {
    graph [label="(no app)", style=dashed, color="#999999", fontcolor="#555555"];
    receiver_0 [label="on_anything", tooltip="tests.test_graph.on_anything"];
    receiver_1 [label="on_book_saved", tooltip="tests.test_graph.on_book_saved"];
    receiver_2 [label="on_commit_receiver\\n[commit]", \
tooltip="tests.deferred_receivers.on_commit_receiver", style="rounded,dashed"];
  }
  sender_0 -> signal_0;
  sender_1 -> signal_1;
  signal_0 -> receiver_0;
  signal_0 -> receiver_2 [style=dashed];
  signal_1 -> receiver_1;
}"""

PROBE_MERMAID = """\
flowchart LR
  sender_0(["any sender"])
  sender_1(["catalog_app.Book"])
  signal_0{{"probe"}}
  signal_1{{"probe"}}
  subgraph no_app ["(no app)"]
    receiver_0["on_anything"]
    receiver_1["on_book_saved"]
    receiver_2["on_commit_receiver<br>[commit]"]
  end
  sender_0 --> signal_0
  sender_1 --> signal_1
  signal_0 --> receiver_0
  signal_0 -.-> receiver_2
  signal_1 --> receiver_1
  classDef anysender stroke-dasharray:4 3
  class sender_0 anysender
  classDef deferred stroke-dasharray:4 3
  class receiver_2 deferred"""


def test_dot_draws_senders_signals_and_receivers_clustered_by_app_left_to_right(
    probe_graph: Callable[[], graph.Graph],
) -> None:
    assert probe_graph().to_dot() == PROBE_DOT


def test_mermaid_draws_a_flowchart_with_a_subgraph_per_app(
    probe_graph: Callable[[], graph.Graph],
) -> None:
    assert probe_graph().to_mermaid() == PROBE_MERMAID


def test_a_problem_is_red_in_dot_and_in_mermaid(connect: Callable[..., None]) -> None:
    connect(on_anything, dispatch_uid="first")
    connect(on_anything, dispatch_uid="second")

    drawn = graph.build(snapshot().filter(signal=PROBE))

    assert (
        'receiver_0 [label="on_anything\\n[DUPLICATE]", tooltip="tests.test_graph.on_anything", '
        'color="#ba2121", fontcolor="#ba2121"];'
    ) in drawn.to_dot()
    assert 'signal_0 -> receiver_0 [label="\N{MULTIPLICATION SIGN}2"];' in drawn.to_dot()
    mermaid = drawn.to_mermaid().splitlines()
    assert '    receiver_0["on_anything<br>[DUPLICATE]"]' in mermaid
    assert "  signal_0 -->|\N{MULTIPLICATION SIGN}2| receiver_0" in mermaid
    assert "  classDef problem stroke:#ba2121,color:#ba2121" in mermaid
    assert "  class receiver_0 problem" in mermaid


def test_the_whole_registrys_dot_parses_with_a_label_and_a_tooltip_on_every_node() -> None:
    drawn = graph.build(snapshot())

    dot = parse(drawn.to_dot())

    assert dot.name == "signals"
    assert set(dot.nodes) == {node.id for node in drawn.nodes}
    assert all({"label", "tooltip"} <= set(attributes) for attributes in dot.nodes.values())
    assert [(source, target) for source, target, _ in dot.edges] == [
        (edge.source, edge.target) for edge in drawn.edges
    ]
    assert dot.subgraphs == {f"cluster_{group.id}": list(group.nodes) for group in drawn.groups}


@pytest.fixture
def hostile(connect: Callable[..., None]) -> graph.Graph:
    """The probe's graph with the hostile receivers, for any sender and for HTML_SENDER."""
    for number, hostile_receiver in enumerate(HOSTILE_RECEIVERS):
        connect(hostile_receiver, weak=False, sender=HTML_SENDER if number == 0 else None)
    return graph.build(snapshot().filter(signal=PROBE))


def test_hostile_names_stay_whole_inside_dot_labels(hostile: graph.Graph) -> None:
    dot = parse(hostile.to_dot())

    assert sorted(dot.nodes[node.id]["label"] for node in hostile.receivers) == sorted(
        shown_as(name) for name in HOSTILE_NAMES
    )
    assert {dot.nodes[node.id]["label"] for node in hostile.senders} == {
        "any sender",
        shown_as(repr(HTML_SENDER)),
    }


MERMAID_LINE = re.compile(
    r"""(?x)
      flowchart\ LR
    | \ \ (?:\ \ )?(?P<id>\w+)(?:\(\[|\{\{|\[)"(?P<text>[^"]*)"(?:\]\)|\}\}|\])
    | \ \ subgraph\ \w+\ \["(?P<title>[^"]*)"\]
    | \ \ end
    | \ \ \w+\ (?:-->|-\.->)(?:\|[^|"]*\|)?\ \w+
    | \ \ classDef\ \w+\ [^"]+
    | \ \ class\ [\w,]+\ \w+
    """
)


def mermaid_labels(text: str) -> dict[str, list[str]]:
    """Each node's label lines, entity codes (``#60;``) decoded; every line of ``text``
    must be one of the statements signalkit writes."""
    found = {}
    for line in text.splitlines():
        match = MERMAID_LINE.fullmatch(line)
        assert match is not None, line
        if match["id"]:
            # Only entity codes and <br> between lines may hold "#", "&", "<", ">" or "`".
            without_codes = re.sub(r"#\d+;", "", match["text"]).replace("<br>", "")
            assert not set(without_codes) & set('#&<>`"'), line
            found[match["id"]] = [
                re.sub(r"#(\d+);", lambda m: chr(int(m[1])), part)
                for part in match["text"].split("<br>")
            ]
    return found


def test_hostile_names_stay_whole_inside_mermaid_labels(hostile: graph.Graph) -> None:
    found = mermaid_labels(hostile.to_mermaid())

    assert sorted(found[node.id][0] for node in hostile.receivers) == sorted(
        shown_as(name) for name in HOSTILE_NAMES
    )
    assert {found[node.id][0] for node in hostile.senders} == {
        "any sender",
        repr(HTML_SENDER),
    }


def test_the_whole_registrys_mermaid_is_made_of_known_statements() -> None:
    drawn = graph.build(snapshot())

    assert set(mermaid_labels(drawn.to_mermaid())) == {node.id for node in drawn.nodes}


def test_a_label_longer_than_the_limit_is_cut_with_an_ellipsis(
    connect: Callable[..., None],
) -> None:
    long_receiver = make_receiver("x" * 200)
    connect(long_receiver, weak=False)

    drawn = graph.build(snapshot().filter(signal=PROBE))

    dot = parse(drawn.to_dot())
    assert dot.nodes["receiver_0"]["label"] == "x" * 79 + "…"
    assert dot.nodes["receiver_0"]["tooltip"] == f"{__name__}.{'x' * 200}"[:79] + "…"


# --- listsignals --format dot | mermaid -----------------------------------------------------


def test_listsignals_format_dot_prints_the_filtered_graph(
    probe_graph: Callable[[], graph.Graph],
) -> None:
    stdout, stderr, status = run_listsignals("--signal", PROBE, "--format", "dot")

    assert (stdout, stderr, status) == (PROBE_DOT + "\n", "", 0)


def test_listsignals_format_mermaid_prints_the_filtered_graph(
    probe_graph: Callable[[], graph.Graph],
) -> None:
    stdout, stderr, status = run_listsignals("--signal", PROBE, "--format", "mermaid")

    assert (stdout, stderr, status) == (PROBE_MERMAID + "\n", "", 0)


def test_listsignals_graph_applies_app_and_sender_filters() -> None:
    stdout, _, _ = run_listsignals(
        "--app", "catalog_app", "--sender", "catalog_app.Tag", "--format", "dot"
    )

    # Not count_confirmed_order, an any-sender receiver of a custom signal: what runs when a
    # Tag sends is what is connected for Tag and the any-sender receivers of model signals.
    dot = parse(stdout)
    assert sorted(attributes["label"] for attributes in dot.nodes.values()) == sorted(
        [
            "catalog_app.Tag",
            "post_delete",
            "post_save",
            "pre_delete",
            "note_tag_before_delete",
            "note_tag_deleted",
            "note_tag_saved",
        ]
    )


def test_listsignals_graph_applies_async_only(connect: Callable[..., None]) -> None:
    async def async_receiver(sender: object, **kwargs: Any) -> None:
        pass

    connect(async_receiver, weak=False)
    connect(on_anything)

    stdout, _, _ = run_listsignals("--signal", PROBE, "--async-only", "--format", "mermaid")

    assert [lines[0] for lines in mermaid_labels(stdout).values()] == [
        "any sender",
        "probe",
        "test_listsignals_graph_applies_async_only.<locals>.async_receiver",
    ]


@pytest.mark.usefixtures("dead_receiver")
def test_listsignals_graph_leaves_dead_receivers_out_unless_include_dead() -> None:
    hidden, _, _ = run_listsignals("--signal", "user_login_failed", "--format", "dot")
    shown, _, _ = run_listsignals(
        "--signal", "user_login_failed", "--format", "dot", "--include-dead"
    )

    assert "[dead]" not in hidden
    assert "[dead]" in shown
    parse(shown)


def test_listsignals_graph_of_an_unknown_app_fails_naming_it() -> None:
    _, stderr, status = run_listsignals("--app", "nope", "--format", "dot")

    assert status == 1
    assert "Unknown app label 'nope'" in stderr


def test_every_receiver_of_pre_save_in_the_test_apps_is_drawn() -> None:
    expected = {r.path for r in snapshot().filter(signal="pre_save").receivers}

    drawn = graph.build(snapshot().filter(signal=pre_save))

    assert {node.key for node in drawn.receivers} == expected
