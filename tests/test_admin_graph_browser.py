"""The admin's "Signal graph" page in a real browser: Playwright driving Debian's chromium.

Run only with ``SIGNALKIT_BROWSER_TESTS=1`` and chromium installed, like
``tests/test_admin_browser.py``, whose helpers it uses. Each test saves a screenshot in its
``tmp_path``. The geometry is read from the SVG as the browser laid it out: boxes and text
in the SVG's own coordinates (``getBBox``), edges through ``getPointAtLength``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.test_admin_browser import (
    computed,
    logged_in_page,
    luminance,
    pytestmark,  # noqa: F401  skipped unless SIGNALKIT_BROWSER_TESTS=1, transactional database
    viewer,  # noqa: F401  the fixture
)

if TYPE_CHECKING:
    from playwright.sync_api import Page
    from pytest_django.live_server_helper import LiveServer

# Each node's box and its texts' boxes, each edge's ends, in SVG coordinates.
GEOMETRY = """() => {
  const box = (element) => {
    const b = element.getBBox();
    return {x: b.x, y: b.y, width: b.width, height: b.height};
  };
  const nodes = {};
  for (const node of document.querySelectorAll("svg.sk-graph g.sk-node")) {
    nodes[node.dataset.node] = {
      box: box(node.querySelector("rect")),
      texts: [...node.querySelectorAll("text")].map(box),
      label: node.querySelector("text.sk-label").textContent,
    };
  }
  const edges = [...document.querySelectorAll("svg.sk-graph path.sk-edge")].map((path) => {
    const length = path.getTotalLength();
    const start = path.getPointAtLength(0);
    const end = path.getPointAtLength(length);
    return {
      source: path.dataset.source,
      target: path.dataset.target,
      start: [start.x, start.y],
      end: [end.x, end.y],
      dashed: getComputedStyle(path).strokeDasharray !== "none",
    };
  });
  return {nodes, edges};
}"""
TOLERANCE = 0.5  # px


def geometry(page: Page) -> dict[str, Any]:
    return dict(page.evaluate(GEOMETRY))


def overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


def inside(point: list[float], box: dict[str, float]) -> bool:
    x, y = point
    return (
        box["x"] - TOLERANCE <= x <= box["x"] + box["width"] + TOLERANCE
        and box["y"] - TOLERANCE <= y <= box["y"] + box["height"] + TOLERANCE
    )


@pytest.mark.usefixtures("viewer")
def test_the_graph_opens_from_the_receivers_page_with_every_node_drawn_apart(
    live_server: LiveServer, tmp_path: Path
) -> None:
    screenshot = tmp_path / "admin-graph.png"

    with logged_in_page(live_server) as page:
        page.goto(f"{live_server.url}/admin/signalkit/receiver/")
        page.click("#sk-graph-link")
        page.wait_for_url("**/admin/signalkit/receiver/graph/")
        heading = page.locator("#content h1").inner_text()
        found = geometry(page)
        page.screenshot(path=str(screenshot), full_page=True)

    nodes, edges = found["nodes"], found["edges"]
    assert heading == "Signal graph"
    # The live server's requests may connect receivers of their own: no exact count here.
    assert len(nodes) > 20
    assert {node_id.rsplit("_", 1)[0] for node_id in nodes} == {"sender", "signal", "receiver"}
    boxes = [(node_id, node["box"]) for node_id, node in nodes.items()]
    assert [
        (a, b) for a, box_a in boxes for b, box_b in boxes if a < b and overlap(box_a, box_b)
    ] == []
    # Every label and line of flags fits in its box, as the browser's font draws it.
    assert [
        (node_id, node["label"])
        for node_id, node in nodes.items()
        if not all(
            inside([t["x"], t["y"]], node["box"])
            and inside([t["x"] + t["width"], t["y"] + t["height"]], node["box"])
            for t in node["texts"]
        )
    ] == []
    assert {e["source"] for e in edges} | {e["target"] for e in edges} == set(nodes)
    assert [e for e in edges if not inside(e["start"], nodes[e["source"]]["box"])] == []
    assert [e for e in edges if not inside(e["end"], nodes[e["target"]]["box"])] == []
    assert screenshot.stat().st_size > 10_000


@pytest.mark.usefixtures("viewer")
def test_a_filtered_graph_draws_deferred_edges_dashed_and_links_back_to_its_list(
    live_server: LiveServer, tmp_path: Path
) -> None:
    from django.db.models.signals import post_save

    from tests import deferred_receivers
    from tests.catalog_app.models import Tag

    with (
        deferred_receivers.connected(post_save, deferred_receivers.task_receiver, sender=Tag),
        logged_in_page(live_server) as page,
    ):
        page.goto(f"{live_server.url}/admin/signalkit/receiver/graph/?sender=catalog_app.Tag")
        found = geometry(page)
        page.screenshot(path=str(tmp_path / "admin-graph-filtered.png"), full_page=True)
        page.click("#sk-receivers-link")
        page.wait_for_url("**/admin/signalkit/receiver/?sender=catalog_app.Tag")
        listed = page.locator("tr.sk-receiver code.sk-path").all_inner_texts()

    labels = {node["label"] for node in found["nodes"].values()}
    assert labels == {
        "catalog_app.Tag",
        "post_save",
        "pre_delete",
        "post_delete",
        "note_tag_saved",
        "note_tag_before_delete",
        "note_tag_deleted",
        "task_receiver",
    }
    dashed = {
        found["nodes"][edge["target"]]["label"]: edge["dashed"]
        for edge in found["edges"]
        if edge["target"].startswith("receiver")
    }
    assert dashed == {
        "note_tag_saved": False,
        "note_tag_before_delete": False,
        "note_tag_deleted": False,
        "task_receiver": True,
    }
    assert sorted(listed) == [
        "tests.catalog_app.signals.note_tag_before_delete",
        "tests.catalog_app.signals.note_tag_deleted",
        "tests.catalog_app.signals.note_tag_saved",
        "tests.deferred_receivers.task_receiver",
    ]


@pytest.mark.usefixtures("viewer")
def test_in_dark_mode_the_graph_takes_the_admins_dark_colours(
    live_server: LiveServer, tmp_path: Path
) -> None:
    with logged_in_page(live_server, dark=True) as page:
        page.goto(f"{live_server.url}/admin/signalkit/receiver/graph/")
        frame = computed(page, ".sk-graph-frame", "background-color")
        box = computed(page, "g.sk-receiver rect", "fill")
        label = computed(page, "g.sk-receiver text.sk-label", "fill")
        edge = computed(page, "path.sk-edge", "stroke")
        page.screenshot(path=str(tmp_path / "admin-graph-dark.png"), full_page=True)

    assert luminance(frame) < 0.2, frame
    assert luminance(box) < 0.2, box
    assert luminance(label) > 0.7, label
    assert luminance(edge) > 0.5, edge
