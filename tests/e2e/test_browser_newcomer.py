"""The page as a newcomer met it (issue 25): each rough edge they found, walked again."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from profilephoto.entrypoints.sample_photo import public_domain_portrait
from tests.e2e.browser import (
    ARTIFACTS,
    BROWSER_TESTS,
    DONE,
    browser_page,
    page_errors,
    serious_violations,
    sign_in,
    upload,
)
from tests.e2e.local_server import LocalServer, running
from tests.integration.fake_gemini import FakeGemini
from tests.photos import faceless_jpeg

pytestmark = BROWSER_TESTS
DESKTOP = {"width": 1100, "height": 900}
PHONE = {"width": 390, "height": 844}


@contextmanager
def error_free_page(viewport: dict[str, int]) -> Iterator[Any]:
    """A page that throws no uncaught script error while the test uses it."""
    with browser_page(viewport, mobile=viewport == PHONE) as page:
        errors = page_errors(page)
        yield page
    assert not errors, errors


@pytest.fixture
def page() -> Iterator[Any]:
    with error_free_page(DESKTOP) as opened:
        yield opened


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    path = tmp_path / "me.jpg"
    path.write_bytes(public_domain_portrait())
    return path


def in_view(page, selector: str) -> bool:
    box = page.locator(selector).bounding_box()
    height = page.viewport_size["height"]
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height


def overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


def api(server: LocalServer, user: str) -> httpx.Client:
    return httpx.Client(
        base_url=server.url, headers={"Authorization": server.token(user)}, timeout=10
    )


def queued_by_api(client: httpx.Client, data: bytes) -> str:
    request = {"fileName": "me.jpg", "contentType": "image/jpeg", "fileSize": len(data)}
    ticket = client.post("/upload/presigned", json=request).json()
    httpx.put(ticket["uploadUrl"], content=data, headers=ticket["headers"]).raise_for_status()
    accepted = client.post("/generate", json={"fileKey": ticket["fileKey"], "style": "casual"})
    assert accepted.status_code == 202, accepted.text
    return str(accepted.json()["jobId"])


def wait_for_status(client: httpx.Client, job_id: str, status: str) -> None:
    deadline = time.monotonic() + 30
    while client.get(f"/jobs/{job_id}").json()["status"] != status:
        assert time.monotonic() < deadline, f"{job_id} never reached {status}"
        time.sleep(0.1)


# ---------------------------------------------------------------- 1. History on a phone


def test_on_a_phone_a_history_rows_download_is_beside_its_delete_not_over_it(server, photo):
    with error_free_page(PHONE) as page:
        sign_in(page, server, "pia")
        upload(page, photo)
        page.click('#count-picker input[value="2"]')
        page.click("#generate")
        page.wait_for_selector("#history .download-link")
        row = page.locator("#history li[data-job-id]").first
        assert row.locator(".download-link").inner_text() == "Download first"
        # Where the words are drawn: a box can be narrower than the text overflowing it.
        link, delete = (
            row.locator(part).evaluate(
                "e => { const r = document.createRange(); r.selectNodeContents(e);"
                " const b = r.getBoundingClientRect(), o = e.getBoundingClientRect();"
                " const x = Math.min(b.x, o.x), y = Math.min(b.y, o.y);"
                " return {x, y, width: Math.max(b.right, o.right) - x,"
                " height: Math.max(b.bottom, o.bottom) - y}; }"
            )
            for part in (".download-link", "button.delete")
        )
        box = row.bounding_box()
    assert not overlap(link, delete), (link, delete)
    for part in (link, delete):
        assert part["x"] >= box["x"] and part["x"] + part["width"] <= box["x"] + box["width"]


# ---------------------------------------------------------------- 2. deleting the shown job


def test_deleting_the_shown_job_unselects_the_photo_it_deleted(server, page, photo):
    sign_in(page, server, "dan")
    upload(page, photo)
    page.click("#generate")
    page.wait_for_selector(DONE, timeout=60_000)
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#history button.delete")
    page.wait_for_selector("#history-notice:not([hidden])")
    assert page.is_disabled("#generate")
    assert page.is_hidden("#preview") and page.is_hidden("#upload-progress")
    assert "choose it again" in page.inner_text("#history-notice")


def test_a_photo_gone_from_the_server_is_said_beside_the_generate_button(server, page, photo):
    sign_in(page, server, "gus")
    upload(page, photo)
    page.click("#generate")
    page.wait_for_selector(DONE, timeout=60_000)
    job_id = page.get_attribute("#history li[data-job-id]", "data-job-id")
    assert api(server, "gus").delete(f"/jobs/{job_id}").status_code == 200  # elsewhere
    page.click("#generate")
    page.wait_for_selector("#generate-notice:not([hidden])")
    assert "gone missing" in page.inner_text("#generate-notice")
    assert in_view(page, "#generate-notice")
    assert page.is_disabled("#generate") and page.is_hidden("#preview")


# ---------------------------------------------------------------- 3. the server's words


def test_a_picture_over_50_megapixels_is_refused_with_the_servers_reason(server, page, tmp_path):
    huge = tmp_path / "huge.png"
    Image.new("1", (12_000, 9_000)).save(huge)  # a small file of 108 MP
    sign_in(page, server, "hugo")
    upload(page, huge)
    page.click("#generate")
    # A pushed `failed` carries no `charged`: the reason follows one GET of the job later.
    page.wait_for_selector(
        '#job-card[data-status="failed"] #job-reason:not([hidden])', timeout=60_000
    )
    reason = page.inner_text("#job-reason")
    assert "more than the 50 megapixels we accept" in reason
    assert "couldn't read that file as a photo" not in reason


def test_text_renamed_to_jpg_is_refused_before_anything_is_uploaded(server, page, tmp_path):
    fake = tmp_path / "notes.jpg"
    fake.write_text("Dear diary, this is not a photo.\n" * 20)
    presigns: list[str] = []
    page.on("request", lambda r: "/upload/presigned" in r.url and presigns.append(r.url))
    sign_in(page, server, "tess")
    page.set_input_files("#file-input", str(fake))
    page.wait_for_selector("#notice:not([hidden])")
    assert "isn't a photo" in page.inner_text("#notice")
    assert page.is_hidden("#upload-progress") and page.is_hidden("#preview")
    assert page.is_disabled("#generate") and presigns == []


# ---------------------------------------------------------------- 4. the reason where the eye is


def test_a_failure_reason_is_in_the_result_card_the_page_scrolled_to(server, page, tmp_path):
    cup = tmp_path / "cup.jpg"
    cup.write_bytes(faceless_jpeg())
    sign_in(page, server, "cora")
    upload(page, cup)
    page.click("#generate")
    page.wait_for_selector('#job-card[data-status="failed"]', timeout=60_000)
    page.wait_for_function("document.getElementById('job-reason').textContent.length > 0")
    reason = page.inner_text("#job-reason")
    assert "couldn't find a face" in reason and "not charged" in reason
    assert page.is_hidden("#notice")  # not at the top of the studio card, out of sight
    page.wait_for_timeout(600)  # the smooth scroll to the card ends
    assert in_view(page, "#job-reason")


# ---------------------------------------------------------------- 5. the steps it went through


def test_a_job_canceled_while_queued_draws_only_the_steps_it_went_through(tmp_path, page, photo):
    with running(tmp_path / "data", crash=True, OFFLINE_DELAY_SECONDS="60") as server:
        client = api(server, "blocker")  # another user's: the page would resume its own
        for _ in range(2):  # both worker threads busy for a minute
            wait_for_status(client, queued_by_api(client, photo.read_bytes()), "processing")
        sign_in(page, server, "quinn")
        upload(page, photo)
        page.click("#generate")
        page.wait_for_selector('#job-card[data-status="queued"]')
        page.click("#cancel")
        page.wait_for_selector('#job-card[data-status="canceled"]')
        drawn = page.eval_on_selector_all(
            "#timeline li:not([hidden])", "lis => lis.map(li => li.textContent)"
        )
        assert drawn == ["Uploaded", "Queued", "Canceled"]
        assert "back in today's quota" in page.inner_text("#job-reason")


# ---------------------------------------------------------------- 7. the small things


def test_after_a_reload_mid_job_the_result_keeps_the_shape_it_was_made_in(tmp_path, page, photo):
    with running(tmp_path / "data", crash=True, OFFLINE_DELAY_SECONDS="5") as server:
        sign_in(page, server, "rhea")
        upload(page, photo)
        page.click('#ratio-picker input[value="4:5"]')
        page.click("#generate")
        page.wait_for_selector("#history li[data-job-id] .badge")
        page.reload()
        page.wait_for_selector("#job-card:not([hidden])")
        assert page.inner_text("#original-missing") == "Original not shown after a reload"
        page.wait_for_selector(DONE, timeout=60_000)
        box = page.locator("#result-frame").bounding_box()
    assert abs(box["width"] / box["height"] - 4 / 5) < 0.02, box


def test_a_heic_original_is_not_said_to_be_missing_after_a_reload(server, page, tmp_path):
    import pillow_heif

    pillow_heif.register_heif_opener()
    heic = tmp_path / "me.heic"
    Image.open(io.BytesIO(public_domain_portrait())).save(heic, format="HEIF")
    sign_in(page, server, "hana")
    upload(page, heic)
    page.click("#generate")
    page.wait_for_selector("#job-card:not([hidden])")
    assert "reload" not in page.inner_text("#original-missing")
    assert "HEIC" in page.inner_text("#original-missing")


def test_the_footer_names_the_generator_the_server_uses(tmp_path, page):
    model = FakeGemini().start()
    gemini = {"GEMINI_API_KEY": "test-key", "GOOGLE_GEMINI_BASE_URL": model.url}
    try:
        with running(tmp_path / "data", **gemini) as server:
            sign_in(page, server, "gina")
            page.wait_for_function("document.getElementById('model-note').textContent.length")
            note = page.inner_text("#model-note")
    finally:
        model.stop()
    assert "Gemini" in note and "local generator" not in note


def test_the_small_words_and_the_count_picker_follow_the_server(tmp_path, page, photo):
    with running(tmp_path / "data", MAX_VARIANTS="2") as server:
        page.goto(f"{server.url}/")
        page.fill("#token-input", "not-a-token")
        page.click("#token-card button[type=submit]")
        page.wait_for_selector("#notice:not([hidden])")
        assert "`" not in page.inner_text("#notice")  # no literal backticks
        page.fill("#token-input", server.token("ike"))
        page.click("#token-card button[type=submit]")
        page.wait_for_selector('input[name="style"]')
        assert page.eval_on_selector_all("#count-picker input", "i => i.map(x => x.value)") == [
            "1",
            "2",
        ]
        # The preview is on the left here and above on a phone: the words name neither.
        assert page.inner_text("#ratio-picker + p") == "The preview of your photo shows the crop."
        upload(page, photo)
        page.click("#generate")
        page.wait_for_selector("#job-card:not([hidden])")
        outline = page.eval_on_selector("#job-heading", "h => getComputedStyle(h).outlineStyle")
        assert outline == "none"  # focus moved for screen readers, no ring for a mouse


def test_a_second_and_third_photo_of_you_go_with_the_main_one(server, page, photo, tmp_path):
    sent: list[dict[str, Any]] = []
    page.on(
        "request",
        lambda r: (
            r.url.endswith("/generate") and r.method == "POST" and sent.append(r.post_data_json)
        ),
    )
    sign_in(page, server, "lena")
    upload(page, photo)
    more = [tmp_path / "two.jpg", tmp_path / "three.jpg"]
    for path in more:
        path.write_bytes(public_domain_portrait())
    page.set_input_files("#more-input", [str(p) for p in more])
    page.wait_for_function("document.querySelectorAll('#more-photos li.uploaded').length === 2")
    assert page.is_hidden("#add-more")  # three in all is the most
    page.click("#generate")
    page.wait_for_selector(DONE, timeout=60_000)
    (body,) = sent
    assert len(body["fileKeys"]) == 3 and len(set(body["fileKeys"])) == 3
    assert "fileKey" not in body


# ---------------------------------------------------------------- 11. the whole flow, both sizes


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_whole_flow_has_no_serious_accessibility_finding_at_either_size(
    server, photo, tmp_path, viewport
):
    findings: dict[str, list[str]] = {}
    cup = tmp_path / "cup.jpg"
    cup.write_bytes(faceless_jpeg())
    second = tmp_path / "me-too.jpg"
    second.write_bytes(public_domain_portrait())
    with error_free_page(viewport) as page:
        page.goto(f"{server.url}/")
        page.wait_for_selector("#token-card:not([hidden])")
        findings["sign-in"] = serious_violations(page)
        page.fill("#token-input", "not-a-token")
        page.click("#token-card button[type=submit]")
        page.wait_for_selector("#notice:not([hidden])")
        findings["bad token"] = serious_violations(page)
        page.fill("#token-input", server.token("ada"))
        page.click("#token-card button[type=submit]")
        page.wait_for_selector('input[name="style"]')
        findings["signed in"] = serious_violations(page)

        upload(page, photo)
        page.set_input_files("#more-input", str(second))
        page.wait_for_selector("#more-photos li.uploaded")
        page.click('#count-picker input[value="2"]')
        findings["photos chosen"] = serious_violations(page)
        page.click("#generate")
        page.wait_for_selector('#job-card[data-status="completed"] #variants:not([hidden])')
        page.wait_for_selector("#result-likeness:not([hidden])")
        page.wait_for_selector("#history .download-link")
        page.wait_for_function("[...document.images].every(i => i.complete)")
        findings["completed"] = serious_violations(page)
        if viewport == DESKTOP:  # the README's picture (docs/screenshot.png is a copy)
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.evaluate("window.scrollTo(0, 0)")
            page.screenshot(path=str(ARTIFACTS / "readme.png"), full_page=True)

        upload(page, cup)
        page.click('#count-picker input[value="1"]')
        page.click("#generate")
        page.wait_for_selector('#job-card[data-status="failed"] #job-reason:not([hidden])')
        findings["failed"] = serious_violations(page)

        page.once("dialog", lambda dialog: dialog.accept())
        page.click("#history li[data-job-id] button.delete")
        page.wait_for_selector("#history-notice:not([hidden])")
        findings["deleted"] = serious_violations(page)
    assert {step: found for step, found in findings.items() if found} == {}
