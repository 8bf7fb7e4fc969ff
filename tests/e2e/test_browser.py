"""The web page in headless Chromium: sign in, upload, pick a style, see the result."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from profilephoto.entrypoints.sample_photo import sample_portrait
from tests.e2e.local_server import LocalServer

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "browser"
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

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Debian's chromium is not installed at /usr/bin/chromium (.ci/run installs it)",
    ),
]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LocalServer]:
    running = LocalServer(tmp_path / "data").start()
    yield running
    running.stop()


@pytest.fixture
def page(tmp_path: Path) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1100, "height": 1250})
        yield context.new_page()
        context.close()
        browser.close()


def test_a_visitor_uploads_a_photo_and_sees_the_completed_result(server, page, tmp_path):
    photo = tmp_path / "me.jpg"
    photo.write_bytes(sample_portrait())
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(f"{server.url}/")
    page.fill("#token-input", server.token("alice"))
    page.click("#token-card button[type=submit]")
    page.wait_for_selector("#quota:not([hidden])")
    page.set_input_files("#file-input", str(photo))
    page.wait_for_selector("#upload-progress.done")
    page.check('input[name="style"][value="studio_bw"]')
    page.click("#generate")

    page.wait_for_selector(
        '#job-card[data-status="completed"] #result:not([hidden])', timeout=60_000
    )
    page.wait_for_function("document.getElementById('result').naturalWidth > 0")
    page.wait_for_selector("#history .badge.completed")
    assert "completed" in page.inner_text("#history")
    assert page.get_attribute("#download", "href").startswith(f"{server.url}/objects/")
    assert page.inner_text("#quota-count") == "9"
    assert not errors, errors

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "result.png"), full_page=True)
    assert (ARTIFACTS / "result.png").stat().st_size > 10_000


def test_a_file_that_is_not_a_photo_is_refused_in_plain_words(server, page, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("not a photo")
    page.goto(f"{server.url}/#token={server.token('bob')}")
    page.wait_for_selector("#quota:not([hidden])")
    assert "#token" not in page.url  # the token does not linger in the address bar
    page.set_input_files("#file-input", str(notes))
    page.wait_for_selector("#notice:not([hidden])")
    assert "isn't a photo" in page.inner_text("#notice")
    assert page.is_disabled("#generate")


def spend_the_only_generation(server: LocalServer, token: str, data: bytes) -> None:
    auth = {"Authorization": f"Bearer {token}"}
    request = {"fileName": "me.jpg", "contentType": "image/jpeg", "fileSize": len(data)}
    ticket = httpx.post(f"{server.url}/upload/presigned", json=request, headers=auth).json()
    httpx.put(ticket["uploadUrl"], content=data, headers=ticket["headers"]).raise_for_status()
    body = {"fileKey": ticket["fileKey"], "style": "casual"}
    assert httpx.post(f"{server.url}/generate", json=body, headers=auth).status_code == 202


def test_a_visitor_with_no_quota_left_is_told_when_it_resets(tmp_path, page):
    photo = tmp_path / "me.jpg"
    photo.write_bytes(sample_portrait())
    server = LocalServer(tmp_path / "data", env={"DAILY_LIMIT": "1"}).start()
    try:
        token = server.token("carol")
        spend_the_only_generation(server, token, photo.read_bytes())
        page.goto(f"{server.url}/#token={token}")
        page.wait_for_selector("#quota.empty")
        page.set_input_files("#file-input", str(photo))
        page.wait_for_selector("#notice:not([hidden])")
        notice = page.inner_text("#notice")
        assert "used all of today's generations" in notice and "resets at" in notice
        assert "resets" in page.inner_text("#quota")
    finally:
        server.stop()


def test_a_visitor_deletes_a_finished_job_from_the_history(server, page, tmp_path):
    photo = tmp_path / "me.jpg"
    photo.write_bytes(sample_portrait())
    page.goto(f"{server.url}/")
    page.fill("#token-input", server.token("dora"))
    page.click("#token-card button[type=submit]")
    page.wait_for_selector("#quota:not([hidden])")
    page.set_input_files("#file-input", str(photo))
    page.wait_for_selector("#upload-progress.done")
    page.click("#generate")
    page.wait_for_selector("#history .badge.completed")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#history button.delete")
    page.wait_for_selector("#history li.muted")
    assert "No jobs yet" in page.inner_text("#history")
    assert "gone from the server" in page.inner_text("#notice")
