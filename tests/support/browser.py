"""Headless Chromium for the pages Tandem serves or writes, and axe-core's WCAG checks on them.

Chromium is the Debian package (.ci/run installs it when it can); axe-core is the axe.min.js
that the axe-playwright-python wheel ships (a dev dependency), injected into the page.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Page

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Every success criterion of WCAG 2.0, 2.1 and 2.2 at levels A and AA that axe-core checks.
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def needs_chromium() -> str:
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (apt-get install chromium): the pages open")
    return CHROMIUM


@contextmanager
def chromium_page() -> Iterator[tuple[Page, list[str]]]:
    """A page in headless Chromium, and the errors it reports (scripts, console, requests)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=needs_chromium(), args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("requestfailed", lambda r: errors.append(f"request failed: {r.url}"))
            yield page, errors
        finally:
            browser.close()


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.2 A/AA violations on the page as it stands: rule, help, where."""
    axe = resources.files("axe_playwright_python").joinpath("axe.min.js").read_text()
    page.add_script_tag(content=axe)
    results = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_22_AA
    )
    return [
        {
            "rule": violation["id"],
            "help": violation["help"],
            "where": [node["target"] for node in violation["nodes"]],
        }
        for violation in results["violations"]
    ]
