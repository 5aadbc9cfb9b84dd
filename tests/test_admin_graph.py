"""The admin's "Signal graph" page (signalkit.admin_graph) and its SVG layout (graph_svg)."""

from __future__ import annotations

import html
import re
import sys
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse

from signalkit import graph, graph_svg
from signalkit.discovery import catalogue
from signalkit.registry import snapshot
from tests.factories import (
    ReceiversViewerFactory,
    StaffUserFactory,
    SuperuserFactory,
    UserFactory,
)
from tests.test_admin import URL as RECEIVERS_URL
from tests.test_graph import (
    HOSTILE_NAMES,
    HOSTILE_RECEIVERS,
    HTML_SENDER,
    make_receiver,
    on_anything,
    shown_as,
)

pytestmark = pytest.mark.django_db

URL = f"{RECEIVERS_URL}graph/"
LOGIN_URL = "/admin/login/"
PROBE = "tests.probe"


@pytest.fixture
def viewer() -> User:
    """Staff holding signalkit.view_receiver (not a superuser)."""
    return ReceiversViewerFactory()


def get_graph(user: User, **params: str) -> TemplateResponse:
    """The page rendered for ``user`` through the admin's URL and its ``admin_view``."""
    request = RequestFactory().get(URL, params)
    request.user = user
    response = resolve(URL).func(request)
    assert response.status_code == 200, response
    assert isinstance(response, TemplateResponse)
    return response.render()


def drawn_nodes(response: HttpResponse) -> dict[str, str]:
    """The label drawn for each node id of the page's SVG."""
    content = response.content.decode()
    return {
        node_id: html.unescape(label)
        for node_id, label in re.findall(
            r'<g class="sk-node[^"]*" data-node="(\w+)">.*?'
            r'<text class="sk-label"[^>]*>(.*?)</text>',
            content,
            re.DOTALL,
        )
    }


def drawn_receivers(response: HttpResponse) -> list[str]:
    return sorted(label for node, label in drawn_nodes(response).items() if "receiver" in node)


def errors(response: HttpResponse) -> list[str]:
    content = response.content.decode()
    return [html.unescape(e) for e in re.findall(r'<p class="errornote">(.*?)</p>', content)]


# --- who may see it, and how ------------------------------------------------------------


def test_the_graph_has_its_url_under_the_receivers_page() -> None:
    assert reverse("admin:signalkit_receiver_graph") == URL


def test_anonymous_users_are_redirected_to_the_admin_login(client: Client) -> None:
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN_URL}?next={URL}"


def test_users_who_are_not_staff_are_redirected_to_the_admin_login(client: Client) -> None:
    client.force_login(UserFactory())

    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN_URL}?next={URL}"


def test_staff_without_the_view_permission_are_forbidden(client: Client) -> None:
    client.force_login(StaffUserFactory())

    assert client.get(URL).status_code == 403


def test_staff_with_the_view_permission_see_the_graph(client: Client) -> None:
    client.force_login(ReceiversViewerFactory())

    response = client.get(URL)

    assert response.status_code == 200
    assert "<h1>Signal graph</h1>" in response.content.decode()


def test_superusers_see_the_graph(client: Client) -> None:
    client.force_login(SuperuserFactory())

    assert client.get(URL).status_code == 200


def test_the_graph_refuses_post(client: Client) -> None:
    client.force_login(SuperuserFactory())

    response = client.post(URL, {"app": "auth"})

    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


def test_the_graph_answers_head(client: Client) -> None:
    client.force_login(SuperuserFactory())

    assert client.head(URL).status_code == 200


def test_viewing_the_graph_runs_only_select_queries(client: Client) -> None:
    client.force_login(ReceiversViewerFactory())

    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL).status_code == 200

    assert {query["sql"].lstrip().split()[0].upper() for query in queries} == {"SELECT"}


def test_viewing_the_graph_again_imports_and_connects_nothing(client: Client) -> None:
    client.force_login(ReceiversViewerFactory())
    assert client.get(URL).status_code == 200  # the admin's and the graph's modules load
    modules = set(sys.modules)
    receivers = {path: list(signal.receivers) for path, signal in catalogue().items()}

    assert client.get(URL, {"app": "auth"}).status_code == 200

    assert set(sys.modules) - modules == set()
    assert {path: list(signal.receivers) for path, signal in catalogue().items()} == receivers


def test_the_graph_is_an_admin_page_with_breadcrumbs_and_its_stylesheet(viewer: User) -> None:
    content = get_graph(viewer).content.decode()

    breadcrumbs = re.search(r'<div class="breadcrumbs">(.*?)</div>', content, re.DOTALL)
    assert breadcrumbs is not None
    assert f'<a href="{RECEIVERS_URL}">Signal receivers</a>' in breadcrumbs.group(1)
    assert 'id="site-name"' in content
    assert "/static/signalkit/admin/graph.css" in content


# --- what it draws ----------------------------------------------------------------------


def test_every_node_of_the_graph_is_drawn_when_every_receiver_is_shown(viewer: User) -> None:
    expected = [node.id for node in graph.build(snapshot()).nodes]

    assert list(drawn_nodes(get_graph(viewer, scope="all"))) == expected


def test_every_edge_of_the_graph_is_drawn_when_every_receiver_is_shown(viewer: User) -> None:
    drawn = graph.build(snapshot())

    content = get_graph(viewer, scope="all").content.decode()

    edges = re.findall(r'data-source="(\w+)" data-target="(\w+)"', content)
    assert edges == [(edge.source, edge.target) for edge in drawn.edges]


def test_the_first_view_draws_the_projects_receivers_as_the_receivers_page_lists_them(
    viewer: User,
) -> None:
    expected = graph.build(snapshot().select(lambda receiver: receiver.in_project))

    assert set(drawn_receivers(get_graph(viewer))) == {node.label for node in expected.receivers}


def test_the_filters_of_the_receivers_page_apply(viewer: User) -> None:
    response = get_graph(viewer, app="catalog_app", signal="django.db.models.signals.pre_save")

    assert drawn_receivers(response) == ["check_book_before_save", "stamp_book_before_save"]
    assert set(drawn_nodes(response).values()) == {
        "catalog_app.Book",
        "pre_save",
        "check_book_before_save",
        "stamp_book_before_save",
    }


def test_the_search_of_the_receivers_page_applies(viewer: User) -> None:
    assert drawn_receivers(get_graph(viewer, q="welcome_new")) == ["welcome_new_user"]


def test_an_unknown_filter_value_is_reported_as_on_the_receivers_page_and_ignored(
    viewer: User,
) -> None:
    response = get_graph(viewer, app="nope")

    assert errors(response)[0].startswith("Unknown app 'nope' in the 'app' filter; it is ignored.")
    assert drawn_receivers(response) == drawn_receivers(get_graph(viewer))


def test_a_filter_nothing_matches_says_so_and_links_to_the_whole_graph(viewer: User) -> None:
    content = get_graph(viewer, q="no receiver is called this").content.decode()

    assert 'class="sk-graph"' not in content
    assert 'No receiver matches these filters. <a href="?">Show every receiver</a>.' in content


def test_the_summary_counts_what_is_drawn(viewer: User, connect: Callable[..., None]) -> None:
    connect(on_anything, dispatch_uid="first")
    connect(on_anything, dispatch_uid="second")

    content = get_graph(viewer, signal=PROBE).content.decode()

    assert (
        "1 receiver (2 connections) on 1 signal from 1 sender. Filtered as on the receivers page"
    ) in content


def test_nodes_link_to_their_receivers_on_the_receivers_page(
    viewer: User, connect: Callable[..., None]
) -> None:
    connect(on_anything)

    content = get_graph(viewer, signal=PROBE).content.decode()

    assert f'<a href="{RECEIVERS_URL}?sender=any">' in content
    assert f'<a href="{RECEIVERS_URL}?signal=tests.probe&amp;sender=any">' in content
    assert f'<a href="{RECEIVERS_URL}?q=tests.test_graph.on_anything">' in content


def test_a_deferred_receiver_is_drawn_dashed_with_its_kind(
    viewer: User, connect: Callable[..., None]
) -> None:
    from tests import deferred_receivers

    connect(deferred_receivers.task_receiver, weak=False)

    content = get_graph(viewer, signal=PROBE).content.decode()

    assert '<path class="sk-edge sk-deferred"' in content
    assert re.search(
        r'<g class="sk-node sk-receiver sk-deferred" data-node="receiver_0">.*?'
        r'<text class="sk-flags"[^>]*>task</text>',
        content,
        re.DOTALL,
    )


# --- the links between the two pages ------------------------------------------------------


def test_the_receivers_page_links_to_the_graph_with_its_filters(client: Client) -> None:
    client.force_login(ReceiversViewerFactory())

    content = client.get(RECEIVERS_URL, {"app": "auth", "q": "update"}).content.decode()

    assert f'<a href="{URL}?app=auth&amp;q=update" id="sk-graph-link">Graph</a>' in content


def test_the_unfiltered_receivers_page_links_to_the_whole_graph(client: Client) -> None:
    client.force_login(ReceiversViewerFactory())

    content = client.get(RECEIVERS_URL).content.decode()

    assert f'<a href="{URL}" id="sk-graph-link">Graph</a>' in content


def test_the_graph_links_back_to_the_receivers_page_with_its_filters(viewer: User) -> None:
    content = get_graph(viewer, app="auth", q="update").content.decode()

    assert (
        f'<a href="{RECEIVERS_URL}?app=auth&amp;q=update" id="sk-receivers-link">'
        "These receivers as a list</a>"
    ) in content


# --- escaping -----------------------------------------------------------------------------


def test_hostile_receiver_and_sender_names_are_escaped(
    viewer: User, connect: Callable[..., None]
) -> None:
    for number, hostile in enumerate(HOSTILE_RECEIVERS):
        connect(hostile, weak=False, sender=HTML_SENDER if number == 0 else None)

    response = get_graph(viewer, signal=PROBE)

    content = response.content.decode()
    assert "<script>alert" not in content
    assert "<img src=x" not in content
    labels = set(drawn_nodes(response).values())
    assert "&lt;script&gt;alert(&#x27;receiver&#x27;)&lt;/script&gt;" in content
    assert "<script>alert('receiver')</script>" in labels
    assert {shown_as(name) for name in HOSTILE_NAMES} <= labels


def test_a_search_with_markup_is_escaped_in_the_links(viewer: User) -> None:
    content = get_graph(viewer, q='"><script>alert(1)</script>').content.decode()

    assert "<script>alert(1)" not in content


# --- the layout ---------------------------------------------------------------------------


def overlap(a: graph_svg.Box, b: graph_svg.Box) -> bool:
    return a.x < b.right and b.x < a.right and a.y < b.bottom and b.y < a.bottom


@pytest.fixture
def drawing() -> graph_svg.Layout:
    return graph_svg.layout(graph.build(snapshot()))


def test_no_two_node_boxes_overlap(drawing: graph_svg.Layout) -> None:
    boxes = list(drawing.boxes.values())

    assert [
        (a.node.id, b.node.id) for a in boxes for b in boxes if a is not b and overlap(a, b)
    ] == []


def test_every_edge_starts_on_its_sources_right_side_and_ends_on_its_targets_left_side(
    drawing: graph_svg.Layout,
) -> None:
    for curve in drawing.curves:
        source, target = drawing.boxes[curve.edge.source], drawing.boxes[curve.edge.target]
        assert curve.start[0] == source.right
        assert source.y <= curve.start[1] <= source.bottom
        assert curve.end[0] == target.x
        assert target.y <= curve.end[1] <= target.bottom


def test_senders_signals_and_receivers_stand_in_three_columns_left_to_right(
    drawing: graph_svg.Layout,
) -> None:
    graph_ = drawing.graph
    sender_right = max(drawing.boxes[n.id].right for n in graph_.senders)
    signal_left = min(drawing.boxes[n.id].x for n in graph_.signals)
    signal_right = max(drawing.boxes[n.id].right for n in graph_.signals)
    receiver_left = min(drawing.boxes[n.id].x for n in graph_.receivers)

    assert sender_right < signal_left
    assert signal_right < receiver_left


def test_each_apps_box_holds_exactly_its_receivers(drawing: graph_svg.Layout) -> None:
    for group_box in drawing.groups:
        inside = {
            node.id
            for node in drawing.graph.receivers
            if group_box.y < drawing.boxes[node.id].y
            and drawing.boxes[node.id].bottom < group_box.y + group_box.height
        }
        assert inside == set(group_box.group.nodes)


def test_everything_is_inside_the_drawing(drawing: graph_svg.Layout) -> None:
    assert all(
        box.x >= 0 and box.right <= drawing.width and box.y >= 0 and box.bottom <= drawing.height
        for box in drawing.boxes.values()
    )


def test_the_layout_is_the_same_every_time() -> None:
    first = graph_svg.render_svg(graph_svg.layout(graph.build(snapshot())))

    assert graph_svg.render_svg(graph_svg.layout(graph.build(snapshot()))) == first


def test_a_receiver_of_one_signal_is_level_with_it_when_nothing_is_in_the_way(
    connect: Callable[..., None],
) -> None:
    connect(on_anything)

    drawing = graph_svg.layout(graph.build(snapshot().filter(signal=PROBE)))

    sender, signal, receiver = (drawing.boxes[node.id] for node in drawing.graph.nodes)
    assert sender.y + sender.height / 2 == signal.y + signal.height / 2
    assert signal.y + signal.height / 2 == receiver.y + receiver.height / 2


def test_a_long_label_is_cut_to_its_column_and_whole_in_the_tooltip(
    viewer: User, connect: Callable[..., None]
) -> None:
    long_receiver = make_receiver("a_receiver_with_a_name_longer_than_any_column_allows_" * 2)
    connect(long_receiver, weak=False)

    content = get_graph(viewer, signal=PROBE).content.decode()

    label = re.search(
        r'data-node="receiver_0">.*?<text class="sk-label"[^>]*>(.*?)</text>', content, re.DOTALL
    )
    assert label is not None
    assert label.group(1) == long_receiver.__qualname__[: graph_svg.MAX_LABEL["receiver"] - 1] + "…"
    assert f"tests.test_graph.{long_receiver.__qualname__}" in content


def test_a_100_kb_search_makes_a_graph_page_no_bigger_than_an_unfiltered_one(
    viewer: User,
) -> None:
    unfiltered = len(get_graph(viewer).content)

    size = len(get_graph(viewer, q="x" * 100_000, app="y" * 100_000).content)

    assert size < unfiltered + 1_000
