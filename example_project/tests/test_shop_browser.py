"""The shop page in a real browser: Playwright driving Debian's chromium, as the library's
browser tests do (run only with ``SIGNALKIT_BROWSER_TESTS=1``; see tests/services.py).

The products are created before the browser starts: Playwright's sync API runs an event loop
in the test's thread, where Django refuses ORM calls.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from example_project.tests.factories import ProductFactory
from tests.services import BROWSER_SKIP_REASON, CHROMIUM, CHROMIUM_ARGS

if TYPE_CHECKING:
    from playwright.sync_api import Page
    from pytest_django.live_server_helper import LiveServer

pytestmark = [
    pytest.mark.skipif(BROWSER_SKIP_REASON is not None, reason=BROWSER_SKIP_REASON or ""),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def shop(live_server: LiveServer) -> Iterator[Page]:
    """The shop page with a Moka pot (1 in stock) in chromium."""
    ProductFactory(name="Moka pot", quantity=1)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.set_default_timeout(15_000)
            page.goto(f"{live_server.url}/")
            yield page
        finally:
            browser.close()


def order(page: Page, quantity: int) -> None:
    row = page.locator("tr:has(input[name=quantity])", has_text="Moka pot")
    row.locator("input[name=quantity]").fill(str(quantity))
    row.locator("button").click()
    page.wait_for_load_state()


def colour(page: Page, selector: str, prop: str) -> tuple[int, int, int]:
    value = page.locator(selector).first.evaluate(
        f"element => getComputedStyle(element).getPropertyValue({prop!r})"
    )
    red, green, blue = (int(v) for v in re.findall(r"\d+", str(value))[:3])
    return red, green, blue


def test_a_refused_order_is_red_and_a_placed_one_green(shop: Page, tmp_path: Path) -> None:
    order(shop, 3)
    shop.screenshot(path=str(tmp_path / "refused.png"), full_page=True)
    error_red, error_green, _ = colour(shop, ".message-error", "background-color")
    failed_red, failed_green, _ = colour(shop, ".trace-run-failed", "background-color")

    order(shop, 1)
    shop.screenshot(path=str(tmp_path / "placed.png"), full_page=True)
    success_red, success_green, _ = colour(shop, ".message-success", "background-color")

    assert error_red > error_green
    assert failed_red > failed_green
    assert success_green > success_red


def test_the_trace_shows_receiver_paths_in_a_monospace_font(shop: Page) -> None:
    order(shop, 1)

    font = shop.locator(".trace-receiver").first.evaluate(
        "element => getComputedStyle(element).fontFamily"
    )

    assert "mono" in str(font).lower()
