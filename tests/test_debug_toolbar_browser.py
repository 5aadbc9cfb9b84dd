"""signalkit's Signals panel in django-debug-toolbar, in a real browser (Playwright driving
Debian's chromium; see tests/services.py for when these tests run).

The screenshot lands in the test's ``tmp_path``; the manual's (docs/debug-toolbar-panel.png)
is a copy of it: look at it after a change, and copy it over when the panel changed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
from django.test.utils import override_settings

from tests.services import BROWSER_SKIP_REASON, CHROMIUM, CHROMIUM_ARGS

if TYPE_CHECKING:
    from pathlib import Path

    from pytest_django.live_server_helper import LiveServer

pytestmark = [
    pytest.mark.skipif(BROWSER_SKIP_REASON is not None, reason=BROWSER_SKIP_REASON or ""),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def toolbar_site() -> Iterator[None]:
    pytest.importorskip(
        "debug_toolbar",
        reason='django-debug-toolbar is not installed: python -m pip install -e ".[test]"',
    )
    with (
        override_settings(
            ROOT_URLCONF="tests.debug_toolbar_urls",
            DEBUG_TOOLBAR_PANELS=[
                "debug_toolbar.panels.timer.TimerPanel",
                "signalkit.contrib.debug_toolbar.SignalsPanel",
            ],
            DEBUG_TOOLBAR_CONFIG={
                "SHOW_TOOLBAR_CALLBACK": "tests.debug_toolbar_urls.show_toolbar",
                "IS_RUNNING_TESTS": False,
            },
        ),
    ):
        yield


@pytest.mark.usefixtures("toolbar_site")
def test_the_signals_panel_shows_the_requests_sends_as_a_tree(
    live_server: LiveServer, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport={"width": 1280, "height": 720}).new_page()
            page.set_default_timeout(15_000)
            page.goto(f"{live_server.url}/order/")
            subtitle = page.locator("#djdt-SignalsPanel small").inner_text()
            page.locator("#djdt-SignalsPanel a").click()
            rows = page.locator("#SignalsPanel table.sk-toolbar-trace tbody tr")
            rows.first.wait_for()
            texts: list[Any] = rows.all_inner_texts()
            indents = [
                rows.nth(i).locator("td div").first.evaluate("e => e.style.paddingLeft")
                for i in range(rows.count())
            ]
            backgrounds = [
                rows.nth(i).evaluate("e => getComputedStyle(e).backgroundColor")
                for i in range(rows.count())
            ]
            error_colour = (
                rows.nth(4).locator(".sk-error").evaluate("e => getComputedStyle(e).color")
            )
            page.screenshot(path=str(tmp_path / "debug-toolbar-panel.png"))
            page.locator("#djToggleThemeButton").click()
            page.screenshot(path=str(tmp_path / "debug-toolbar-panel-toggled-theme.png"))
        finally:
            browser.close()

    # 3 sends of the view, plus connection_created when the server thread connects to a
    # database server (a send that reaches no receiver, counted all the same).
    assert re.match(r"[34] sends \u00b7 3 receivers \u00b7 ", subtitle), subtitle
    assert [text.split()[0] for text in texts] == [
        "order_placed",
        "\u21b3",
        "stock_changed",
        "\u21b3",
        "\u21b3",
    ]
    assert "tests.debug_toolbar_urls.update_stock" in texts[1]
    assert "raised ValueError: the warehouse is closed" in texts[4]
    assert indents == ["0px", "24px", "48px", "72px", "24px"]
    # The failed run reads as an error (a red tint and red text, unlike the others) on a
    # light or a dark theme alike.
    assert backgrounds[4] == "rgba(217, 48, 37, 0.15)"
    assert "rgba(217, 48, 37, 0.15)" not in backgrounds[:4]
    assert error_colour == "rgb(217, 48, 37)"
