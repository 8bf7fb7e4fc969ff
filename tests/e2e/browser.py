"""Debian's Chromium, headless, for the page's tests, and what most visits do first."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.local_server import LocalServer

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "browser"
DONE = '#job-card[data-status="completed"] #result:not([hidden])'

BROWSER_TESTS = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Debian's chromium is not installed at /usr/bin/chromium (.ci/run installs it)",
    ),
]


@contextmanager
def browser_page(viewport: dict[str, int], *, mobile: bool = False) -> Iterator[Any]:
    """A fresh page in its own browser, `viewport` wide and high."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=viewport, is_mobile=mobile)
        yield context.new_page()
        context.close()
        browser.close()


def page_errors(page: Any) -> list[str]:
    """The uncaught script errors the page throws from now on, as they come."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def sign_in(page: Any, server: LocalServer, user: str) -> None:
    """Open the page with `user`'s token in the address, as `serve` prints it."""
    page.goto(f"{server.url}/#token={server.token(user)}")
    page.wait_for_selector("#quota:not([hidden])")
    page.wait_for_selector('input[name="style"]')


def upload(page: Any, path: Path) -> None:
    page.set_input_files("#file-input", str(path))
    page.wait_for_selector("#upload-progress.done")


def serious_violations(page: Any) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now."""
    import axe_playwright_python

    script = Path(axe_playwright_python.__file__).parent / "axe.min.js"
    page.add_script_tag(path=str(script))
    results = page.evaluate("async () => await axe.run(document)")
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])}x)"
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]
