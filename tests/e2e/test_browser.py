"""The web page in headless Chromium: sign in, upload, pick a style, see the result."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from PIL import Image

from profilephoto.adapters.labels.c2pa_labeler import C2paContentLabeler
from profilephoto.entrypoints.sample_photo import public_domain_portrait, sample_portrait
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
from tests.integration.fake_gemini import FakeGemini, Reply, image_reply
from tests.photos import faceless_jpeg

pytestmark = BROWSER_TESTS


@pytest.fixture
def page() -> Iterator[object]:
    with browser_page({"width": 1100, "height": 1250}) as opened:
        yield opened


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    path = tmp_path / "me.jpg"
    path.write_bytes(sample_portrait())
    return path


def test_a_visitor_uploads_a_photo_and_sees_the_completed_result(server, page, tmp_path):
    photo = tmp_path / "me.jpg"
    # A real face: the likeness check compares people, and a drawn figure is nobody (its
    # black-and-white result scores 0.29 against it).
    photo.write_bytes(public_domain_portrait())
    errors = page_errors(page)

    page.goto(f"{server.url}/")
    page.fill("#token-input", server.token("alice"))
    page.click("#token-card button[type=submit]")
    page.wait_for_selector("#quota:not([hidden])")
    page.set_input_files("#file-input", str(photo))
    page.wait_for_selector("#upload-progress.done")
    page.check('input[name="style"][value="studio_bw"]')
    page.click("#generate")

    page.wait_for_selector(DONE, timeout=60_000)
    page.wait_for_function("document.getElementById('result').naturalWidth > 0")
    page.wait_for_selector("#history .badge.completed")
    assert "completed" in page.inner_text("#history")
    assert page.get_attribute("#download", "href").startswith(f"{server.url}/objects/")
    assert page.inner_text("#quota-count") == "9"
    assert page.is_visible("#ai-label") and page.inner_text("#ai-label") == "Made with AI"
    assert "Made with AI" in page.inner_text("#history")
    downloaded = httpx.get(page.get_attribute("#download", "href")).content
    label = C2paContentLabeler(None).read(downloaded)  # the download keeps the label
    assert label is not None and label.signed and label.intact
    # The offline stylizer keeps the face: the likeness check says so under the result.
    page.wait_for_selector("#result-likeness.close:not([hidden])")
    assert page.inner_text("#result-likeness") == "Looks like you"
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


def test_a_visitor_with_no_quota_left_is_told_when_it_resets(tmp_path, page, photo):
    with running(tmp_path / "data", DAILY_LIMIT="1") as server:
        token = server.token("carol")
        spend_the_only_generation(server, token, photo.read_bytes())
        page.goto(f"{server.url}/#token={token}")
        page.wait_for_selector("#quota.empty")
        page.set_input_files("#file-input", str(photo))
        page.wait_for_selector("#notice:not([hidden])")
        notice = page.inner_text("#notice")
        assert "used all of today's generations" in notice and "resets at" in notice
        assert "resets" in page.inner_text("#quota")


def test_a_visitor_deletes_a_finished_job_from_the_history(server, page, photo):
    page.goto(f"{server.url}/")
    page.fill("#token-input", server.token("dora"))
    page.click("#token-card button[type=submit]")
    page.wait_for_selector("#quota:not([hidden])")
    upload(page, photo)
    page.click("#generate")
    page.wait_for_selector("#history .badge.completed")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#history button.delete")
    page.wait_for_selector("#history li.muted")
    assert "No jobs yet" in page.inner_text("#history")
    assert "gone from the server" in page.inner_text("#history-notice")


def test_a_reload_mid_job_resumes_it_and_its_history_row_follows(tmp_path, page, photo):
    # The model takes a few seconds, so the reload lands while the job runs.
    result = io.BytesIO()
    Image.open(io.BytesIO(sample_portrait())).save(result, format="PNG")
    model = FakeGemini(default=replace(image_reply(result.getvalue()), delay=6)).start()
    gemini = {"GEMINI_API_KEY": "test-key", "GOOGLE_GEMINI_BASE_URL": model.url}
    try:
        with running(tmp_path / "data", **gemini) as server:
            sign_in(page, server, "rita")
            upload(page, photo)
            page.click("#generate")
            page.wait_for_selector("#history li[data-job-id] .badge")
            job_id = page.get_attribute("#history li[data-job-id]", "data-job-id")
            auth = {"Authorization": f"Bearer {server.token('rita')}"}
            status = httpx.get(f"{server.url}/jobs/{job_id}", headers=auth).json()["status"]
            assert status in ("queued", "processing"), "the job ended before the reload"

            page.reload()
            page.wait_for_selector("#job-card:not([hidden])")
            assert page.is_visible("#original-missing")
            page.wait_for_selector(DONE, timeout=60_000)
            page.wait_for_selector(f'#history li[data-job-id="{job_id}"] .badge.completed')
    finally:
        model.stop()


def test_a_heic_photo_gets_a_placeholder_instead_of_a_broken_preview(server, page, tmp_path):
    import pillow_heif

    pillow_heif.register_heif_opener()
    heic = tmp_path / "me.heic"
    Image.open(io.BytesIO(sample_portrait())).save(heic, format="HEIF")
    sign_in(page, server, "hana")
    upload(page, heic)
    assert page.is_visible("#no-preview") and not page.is_visible("#preview")
    assert page.is_enabled("#generate")


def test_a_refused_file_unselects_the_previous_upload(server, page, photo, tmp_path):
    big = tmp_path / "big.jpg"
    big.write_bytes(b"\xff\xd8\xff" + b"\0" * (11 * 1024 * 1024))
    sign_in(page, server, "sam")
    upload(page, photo)
    assert page.is_enabled("#generate")
    page.set_input_files("#file-input", str(big))
    page.wait_for_selector("#notice:not([hidden])")
    assert "too large" in page.inner_text("#notice")
    assert page.is_disabled("#generate") and not page.is_visible("#preview")


def test_deleting_the_shown_job_clears_its_card_and_says_so_where_the_visitor_looks(
    server, page, photo
):
    sign_in(page, server, "dan")
    upload(page, photo)
    page.click("#generate")
    page.wait_for_selector('#job-card[data-status="completed"]', timeout=60_000)
    page.wait_for_selector("#history button.delete")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#history button.delete")
    page.wait_for_selector("#history-notice:not([hidden])")
    assert page.is_hidden("#job-card") and page.is_hidden("#download")
    assert "gone from the server" in page.inner_text("#history-notice")
    box = page.locator("#history-notice").bounding_box()
    viewport = page.viewport_size
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"]


def test_the_page_is_usable_with_a_screen_reader_and_keyboard(server, page, photo):
    sign_in(page, server, "ada")
    assert serious_violations(page) == []
    drop = page.locator("#drop")
    assert drop.get_attribute("role") == "button" and drop.get_attribute("aria-label")
    upload(page, photo)
    assert page.get_attribute("#upload-progress", "role") == "progressbar"
    assert page.get_attribute("#upload-progress", "aria-valuenow") == "100"
    page.click("#generate")
    page.wait_for_function("document.activeElement && document.activeElement.id === 'job-heading'")
    page.wait_for_selector(DONE, timeout=60_000)
    page.wait_for_function("document.getElementById('announce').textContent.includes('ready')")
    page.wait_for_selector("#history .download-link")
    link = page.get_attribute("#history .download-link", "aria-label")
    assert link.startswith("Download the Professional photo from")
    assert page.get_attribute("#history button.delete", "aria-label").startswith("Delete the ")
    assert page.get_attribute("#history img.thumb", "alt") == "Professional profile photo"
    assert serious_violations(page) == []


def test_on_a_phone_every_card_fits_the_screen_with_even_margins(server):
    with browser_page({"width": 390, "height": 844}, mobile=True) as page:
        sign_in(page, server, "pia")
        boxes = page.eval_on_selector_all(
            ".card:not([hidden])",
            "cards => cards.map(c => { const r = c.getBoundingClientRect();"
            " return [r.left, document.documentElement.clientWidth - r.right]; })",
        )
        overflow = page.evaluate("document.documentElement.scrollWidth - innerWidth")
        assert serious_violations(page) == []
    assert overflow <= 0
    for left, right in boxes:
        assert left >= 8 and right >= 8 and abs(left - right) <= 1


def test_a_visitor_picks_two_variants_in_4_to_5_and_downloads_each(server, page, photo):
    errors = page_errors(page)
    sign_in(page, server, "erin")
    upload(page, photo)
    page.click('#count-picker input[value="2"]')
    assert "2 generations of the 10" in page.inner_text("#count-cost")
    assert page.inner_text("#generate") == "Generate 2 variants"
    page.click('#ratio-picker input[value="4:5"]')
    width, height = page.evaluate(
        "(() => { const r = document.getElementById('preview').getBoundingClientRect();"
        " return [r.width, r.height]; })()"
    )
    assert abs(width / height - 4 / 5) < 0.02  # the preview shows the crop
    page.click("#generate")

    page.wait_for_selector('#job-card[data-status="completed"] #variants:not([hidden])')
    links = page.eval_on_selector_all("#variants a[download]", "as => as.map(a => a.href)")
    assert len(links) == 2 and len(set(links)) == 2
    assert (
        page.eval_on_selector_all(
            "#variants li", "lis => lis.map(li => li.querySelector('.ai-label').textContent)"
        )
        == ["Made with AI"] * 2
    )
    for link in links:
        answer = httpx.get(link)
        assert answer.status_code == 200 and answer.content[:8] == b"\x89PNG\r\n\x1a\n"
        assert C2paContentLabeler(None).read(answer.content).intact
    page.wait_for_function("document.getElementById('quota-count').textContent === '8'")
    assert "2 variants" in page.inner_text("#history")
    assert not errors, errors
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "variants.png"), full_page=True)


def test_a_visitor_cancels_a_running_job_and_gets_the_generations_back(tmp_path, page, photo):
    model = FakeGemini(default=Reply(delay=120)).start()  # answers long after the cancel
    gemini = {"GEMINI_API_KEY": "test-key", "GOOGLE_GEMINI_BASE_URL": model.url}
    try:
        with running(tmp_path / "data", crash=True, **gemini) as server:
            sign_in(page, server, "fred")
            upload(page, photo)
            page.click('#count-picker input[value="3"]')
            page.click("#generate")
            page.wait_for_function("document.getElementById('quota-count').textContent === '7'")
            page.wait_for_selector("#cancel:not([hidden])")
            page.click("#cancel")
            page.wait_for_selector('#job-card[data-status="canceled"]')
            page.wait_for_function("document.getElementById('quota-count').textContent === '10'")
            page.wait_for_selector("#history .badge.canceled")
            assert page.is_hidden("#cancel")
            assert "back in today's quota" in page.inner_text("#job-reason")
            assert "Canceled" in page.inner_text("#timeline")
    finally:
        model.stop()


def test_a_photo_of_no_one_is_turned_away_with_advice_and_nothing_charged(server, page, tmp_path):
    cup = tmp_path / "cup.jpg"
    cup.write_bytes(faceless_jpeg())
    sign_in(page, server, "erin")
    upload(page, cup)
    page.click("#generate")

    page.wait_for_selector('#job-card[data-status="failed"]', timeout=60_000)
    page.wait_for_selector("#job-reason:not([hidden])")
    notice = page.inner_text("#job-reason")
    assert "couldn't find a face" in notice and "not charged" in notice
    assert page.inner_text("#result-caption") == "This photo can't be used"
    page.wait_for_function("document.getElementById('quota-count').textContent === '10'")


def test_a_visitor_deletes_all_their_data_after_confirming(server, page, photo):
    sign_in(page, server, "vera")
    upload(page, photo)
    page.click("#generate")
    page.wait_for_selector(DONE, timeout=60_000)
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click("#delete-me")
    assert page.is_hidden("#account-notice")  # nothing happens without the confirmation
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#delete-me")
    page.wait_for_selector("#account-notice:not([hidden])")
    assert "gone from the server" in page.inner_text("#account-notice")
    page.wait_for_selector("#history li.muted")
    assert page.is_hidden("#job-card") and page.is_disabled("#generate")
    auth = {"Authorization": f"Bearer {server.token('vera')}"}
    assert httpx.get(f"{server.url}/jobs", headers=auth).json()["items"] == []
