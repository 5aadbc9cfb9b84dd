"""The "Signal receivers" admin page in a real browser: Playwright driving Debian's chromium.

Run only with ``SIGNALKIT_BROWSER_TESTS=1`` and chromium installed (``apt-get install
chromium``; Playwright's own browser downloads are not used). Each test saves a
screenshot in its ``tmp_path``.

Playwright's sync API runs an event loop in the test's thread, where Django refuses ORM
calls (SynchronousOnlyOperation): users are created before the browser starts, and the
browser is closed before pytest-django flushes the database.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.db.models.signals import post_save

from signalkit.registry import snapshot
from tests.catalog_app.models import Book
from tests.factories import ReceiversViewerFactory
from tests.services import BROWSER_SKIP_REASON, CHROMIUM, CHROMIUM_ARGS

if TYPE_CHECKING:
    from playwright.sync_api import Page
    from pytest_django.live_server_helper import LiveServer

USERNAME, PASSWORD = "viewer", "password"  # tests.factories.UserFactory's password


pytestmark = [
    pytest.mark.skipif(BROWSER_SKIP_REASON is not None, reason=BROWSER_SKIP_REASON or ""),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def viewer() -> None:
    """Staff with signalkit.view_receiver, created before any browser starts."""
    ReceiversViewerFactory(username=USERNAME)


@contextmanager
def logged_in_page(
    live_server: LiveServer, *, width: int = 1280, height: int = 900, dark: bool = False
) -> Iterator[Page]:
    """A chromium page, logged in to the admin through its login form."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(
                viewport={"width": width, "height": height},
                color_scheme="dark" if dark else "light",
            )
            page = context.new_page()
            page.set_default_timeout(15_000)
            page.goto(f"{live_server.url}/admin/")
            page.fill("#id_username", USERNAME)
            page.fill("#id_password", PASSWORD)
            page.click("#login-form [type=submit]")
            page.wait_for_url(f"{live_server.url}/admin/")
            yield page
        finally:
            browser.close()


def listed_paths(page: Page) -> list[str]:
    """The receivers listed, in order; a row of identical receivers counts as each of them."""
    rows = page.locator("tr.sk-receiver").evaluate_all(
        """rows => rows.map(row => [
            row.querySelector("code.sk-path").innerText,
            row.querySelector(".sk-times")?.innerText ?? "",
        ])"""
    )
    return [path.strip() for path, times in rows for _ in range(int(times.lstrip("\u00d7") or 1))]


def luminance(css_colour: str) -> float:
    """Relative brightness 0 (black) .. 1 (white) of ``rgb(r, g, b)`` / ``rgba(...)``."""
    red, green, blue = (int(v) for v in re.findall(r"\d+", css_colour)[:3])
    return (0.2126 * red + 0.7152 * green + 0.0722 * blue) / 255


def computed(page: Page, selector: str, prop: str) -> str:
    return str(
        page.locator(selector).first.evaluate(
            f"element => getComputedStyle(element).getPropertyValue({prop!r})"
        )
    )


@pytest.mark.usefixtures("viewer")
def test_the_first_view_lists_the_projects_receivers_and_one_link_unfolds_the_others(
    live_server: LiveServer, tmp_path: Path
) -> None:
    folded_screenshot = tmp_path / "admin-receivers-folded.png"

    with logged_in_page(live_server) as page:
        page.get_by_role("link", name="Signal receivers", exact=True).click()
        page.wait_for_url("**/admin/signalkit/receiver/")
        heading = page.locator("#content h1").inner_text()
        folded = listed_paths(page)
        toggle = page.locator("a.sk-toggle")
        toggle_text = toggle.inner_text()
        page.screenshot(path=str(folded_screenshot), full_page=True)

        toggle.click()
        page.wait_for_url("**/admin/signalkit/receiver/?scope=all")
        unfolded = listed_paths(page)
        sections = page.locator("tr.sk-section th").all_inner_texts()
        page.screenshot(path=str(tmp_path / "admin-receivers-unfolded.png"), full_page=True)

        page.locator("a.sk-toggle").click()
        page.wait_for_url("**/admin/signalkit/receiver/?")
        folded_again = listed_paths(page)

    # Read after the server's first requests, which make objects that connect receivers.
    registry = snapshot()
    ours = [r.path for r in registry.receivers if r.in_project]
    theirs = [r.path for r in registry.receivers if not r.in_project]
    assert heading == "Signal receivers"
    assert folded == ours
    assert toggle_text == f"Show {len(theirs)} framework and library receivers"
    assert unfolded == ours + theirs
    assert sections == ["The project's receivers", "Framework and library receivers"]
    assert folded_again == ours
    assert folded_screenshot.stat().st_size > 10_000


@pytest.mark.usefixtures("viewer")
def test_a_viewer_unfolds_filters_by_app_with_its_count_and_searches_a_receiver(
    live_server: LiveServer, tmp_path: Path
) -> None:
    # Django's own receivers: the test apps' may change, these stay.
    auth = [r.path for r in snapshot().receivers if r.app == "auth"]
    screenshot = tmp_path / "admin-receivers.png"

    with logged_in_page(live_server) as page:
        page.goto(f"{live_server.url}/admin/signalkit/receiver/")
        apps_offered_folded = page.locator(
            "#changelist-filter details[data-filter-title=app] li"
        ).all_inner_texts()
        page.locator("a.sk-toggle").click()
        page.wait_for_url("**/admin/signalkit/receiver/?scope=all")

        page.locator("#changelist-filter details[data-filter-title=app]").get_by_role(
            "link", name=f"auth ({len(auth)})", exact=True
        ).click()
        page.wait_for_url("**/admin/signalkit/receiver/?app=auth&scope=all")
        by_app = listed_paths(page)
        apps_shown = set(page.locator("tr.sk-receiver td.sk-col-app").all_inner_texts())

        page.fill("#searchbar", "update_LAST")
        page.press("#searchbar", "Enter")
        page.wait_for_url("**/admin/signalkit/receiver/?q=update_LAST&app=auth&scope=all")
        found = listed_paths(page)
        count = page.locator("#changelist-search .quiet").inner_text()
        page.screenshot(path=str(screenshot), full_page=True)

    assert not any(choice.startswith("auth") for choice in apps_offered_folded)
    assert by_app == auth
    assert apps_shown == {"auth"}
    assert found == ["django.contrib.auth.models.update_last_login"]
    assert count.startswith("1 of ")
    assert screenshot.stat().st_size > 10_000


def receiver_without_kwargs(sender: object, raw: bool) -> None:
    """Connected by a test: Django's send() would raise TypeError in it. It takes raw, so
    its one problem is W002 (not W007, a post_save receiver that ignores raw)."""


@pytest.mark.usefixtures("viewer")
def test_a_problem_row_reads_as_an_error_with_its_check_id(
    live_server: LiveServer, tmp_path: Path
) -> None:
    post_save.connect(receiver_without_kwargs, sender=Book, dispatch_uid="browser-no-kwargs")
    try:
        with logged_in_page(live_server) as page:
            page.goto(f"{live_server.url}/admin/signalkit/receiver/?problems=yes")
            note = page.locator("tr.sk-problem-detail").first
            check_id = note.locator(".sk-check-id").inner_text()
            text = note.inner_text()
            colour = computed(page, "tr.sk-problem-detail td", "color")
            body = computed(page, "body", "color")
            note.screenshot(path=str(tmp_path / "admin-problem-row.png"))
    finally:
        post_save.disconnect(sender=Book, dispatch_uid="browser-no-kwargs")

    red, green, blue = (int(v) for v in re.findall(r"\d+", colour)[:3])
    assert check_id == "signalkit.W002"
    assert "receiver_without_kwargs does not accept **kwargs" in text
    assert red > green + 60, colour  # the admin's error colour
    assert red > blue + 60, colour
    assert colour != body


@pytest.mark.usefixtures("viewer")
def test_in_dark_mode_the_page_takes_the_admins_dark_colours(
    live_server: LiveServer, tmp_path: Path
) -> None:
    with logged_in_page(live_server, dark=True) as page:
        page.goto(f"{live_server.url}/admin/signalkit/receiver/")
        body = computed(page, "body", "background-color")
        header_row = computed(page, "tr.sk-signal th", "background-color")
        receiver = computed(page, "tr.sk-receiver code.sk-path", "color")
        flag = computed(page, "#sk-receivers .sk-legend .sk-flag", "background-color")
        page.screenshot(path=str(tmp_path / "admin-receivers-dark.png"), full_page=True)

    assert luminance(body) < 0.2, body
    assert luminance(header_row) < 0.3, header_row
    assert luminance(flag) < 0.2, flag
    assert luminance(receiver) > 0.7, receiver


@pytest.mark.usefixtures("viewer")
def test_on_a_narrow_screen_the_page_fits_without_scrolling_sideways(
    live_server: LiveServer, tmp_path: Path
) -> None:
    with logged_in_page(live_server, width=390, height=844) as page:
        page.goto(f"{live_server.url}/admin/signalkit/receiver/")
        widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        column_names_shown = page.locator("#sk-result-list thead").is_visible()
        table_bottom = page.locator("#sk-result-list").bounding_box()
        filters_top = page.locator("#changelist-filter").bounding_box()
        page.screenshot(path=str(tmp_path / "admin-receivers-narrow.png"), full_page=True)

    assert widths[0] <= widths[1], widths
    assert not column_names_shown  # each value is labelled instead
    assert table_bottom is not None
    assert filters_top is not None
    assert filters_top["y"] >= table_bottom["y"] + table_bottom["height"]
