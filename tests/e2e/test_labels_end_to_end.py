"""Every result of every runtime, read back as a stranger would: c2pa-python's Reader for the
signed manifest and a plain XMP parse (docs/api.md, "AI-generated label")."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any
from xml.etree import ElementTree

import c2pa
import httpx
import pytest
from PIL import Image

from profilephoto import __version__
from profilephoto.adapters.labels.c2pa_labeler import C2paContentLabeler
from profilephoto.adapters.labels.certificates import create_local_chain
from profilephoto.domain.models import GeneratedImage, ImageData
from profilephoto.entrypoints.aws_lambda import api, process, runtime
from tests.e2e.aws_stack import Stack, deploy, fresh_account, generate, receive_batch, upload
from tests.e2e.lambda_events import CONTEXT, SUB, answer, rest
from tests.e2e.local_server import LocalServer
from tests.e2e.test_local_server import Client
from tests.integration.fake_gemini import FakeGemini, image_reply
from tests.photos import photo, portrait_jpeg

pytestmark = pytest.mark.slow

TRAINED = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
ALGORITHMIC = "http://cv.iptc.org/newscodes/digitalsourcetype/algorithmicMedia"
IPTC_EXT = "{http://iptc.org/std/Iptc4xmpExt/2008-02-29/}DigitalSourceType"
FORMATS = {
    "png": ("image/png", "PNG"),
    "jpeg": ("image/jpeg", "JPEG"),
    "webp": ("image/webp", "WEBP"),
}
MODEL = "gemini-nano-banana-2.1"


def model_answer() -> bytes:
    """What the model sends back: a real picture, PNG."""
    out = io.BytesIO()
    photo("astronaut").resize((512, 512)).save(out, "PNG")
    return out.getvalue()


def xmp_source_type(data: bytes) -> str | None:
    """The plain way: Pillow finds the XMP packet, ElementTree reads the attribute."""
    with Image.open(io.BytesIO(data)) as image:
        packet = image.info.get("xmp") or image.info.get("XML:com.adobe.xmp")
    if not packet:
        return None
    root = ElementTree.fromstring(packet)
    return next((e.attrib[IPTC_EXT] for e in root.iter() if IPTC_EXT in e.attrib), None)


def manifest_of(data: bytes, content_type: str) -> tuple[dict[str, Any], str]:
    """The active manifest and the validation state, from c2pa-python's own Reader."""
    with c2pa.Reader(content_type, io.BytesIO(data)) as reader:
        store = json.loads(reader.json())
    return store["manifests"][store["active_manifest"]], store["validation_state"]


def assert_labelled(data: bytes, content_type: str, source: str, model: str) -> dict[str, Any]:
    assert xmp_source_type(data) == source
    manifest, state = manifest_of(data, content_type)
    assert state == "Valid"  # signed and unchanged (our signer is on no public trust list)
    assert manifest["claim_generator_info"][0]["name"] == "profilephoto"
    assert manifest["claim_generator_info"][0]["version"] == __version__
    (actions,) = [a for a in manifest["assertions"] if a["label"].startswith("c2pa.actions")]
    (created,) = [a for a in actions["data"]["actions"] if a["action"] == "c2pa.created"]
    assert created["digitalSourceType"] == source
    assert created["softwareAgent"]["name"] == model
    assert "thumbnail" not in manifest  # nothing of the picture, and never the user's photo
    return manifest


def no_user_photo_inside(manifest: dict[str, Any]) -> None:
    for ingredient in manifest.get("ingredients", []):
        assert ingredient["relationship"] == "parentOf"  # only ever the model's own answer
        assert "thumbnail" not in ingredient


# --- local ------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_local_result_is_labelled_in_every_format(tmp_path, fmt):
    content_type, pillow_format = FORMATS[fmt]
    server = LocalServer(tmp_path / "data", env={"RESULT_FORMAT": fmt}).start()
    try:
        client = Client(server)
        job_id = client.generate(client.upload()["fileKey"], count=2).json()["jobId"]
        job = client.wait_for(job_id, {"completed", "failed"}, timeout=60)
        assert job["status"] == "completed" and job["aiGenerated"] is True, job
        for url in job["resultUrls"]:
            data = httpx.get(url, timeout=10).content
            assert Image.open(io.BytesIO(data)).format == pillow_format
            manifest = assert_labelled(data, content_type, ALGORITHMIC, "offline-stylizer")
            assert not manifest.get("ingredients")
    finally:
        server.stop()


def test_a_local_gemini_result_is_labelled_as_made_by_a_trained_model(tmp_path):
    model = FakeGemini(default=image_reply(model_answer())).start()
    gemini = {"GEMINI_API_KEY": "test-key", "GOOGLE_GEMINI_BASE_URL": model.url}
    server = LocalServer(tmp_path / "data", env=gemini).start()
    try:
        client = Client(server)
        job_id = client.generate(client.upload()["fileKey"]).json()["jobId"]
        job = client.wait_for(job_id, {"completed", "failed"}, timeout=60)
        assert job["status"] == "completed", job
        data = httpx.get(job["resultUrl"], timeout=10).content
        no_user_photo_inside(assert_labelled(data, "image/png", TRAINED, MODEL))
        with Image.open(io.BytesIO(model_answer())) as sent, Image.open(io.BytesIO(data)) as kept:
            assert kept.tobytes() == sent.tobytes()  # the model's pixels, and its watermark
    finally:
        server.stop()
        model.stop()


# --- AWS --------------------------------------------------------------------------------


@pytest.fixture
def gemini() -> Iterator[FakeGemini]:
    """The model, and a fresh account after the test (as test_aws_end_to_end's stack)."""
    model = FakeGemini(default=image_reply(model_answer())).start()
    yield model
    model.stop()
    runtime.install(None)
    fresh_account()


def aws(endpoint: str, monkeypatch: pytest.MonkeyPatch, gemini: FakeGemini, **env: str) -> Stack:
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", gemini.url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    return deploy(endpoint, monkeypatch, GEMINI_API_KEY="test-key", **env)


def run_one_job(stack: Stack) -> tuple[dict[str, Any], dict[str, Any]]:
    status, accepted = answer(generate(upload(portrait_jpeg())))
    assert status == 202
    outcome = process.handler(receive_batch(stack), CONTEXT)
    _, job = answer(api.handler(rest("get_job", path=f"/jobs/{accepted['jobId']}"), CONTEXT))
    return outcome, job


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_aws_result_is_labelled_in_every_format(endpoint, monkeypatch, gemini, fmt):
    content_type, _ = FORMATS[fmt]
    stack = aws(endpoint, monkeypatch, gemini, RESULT_FORMAT=fmt)
    outcome, job = run_one_job(stack)
    assert outcome == {"batchItemFailures": []}
    assert job["status"] == "completed" and job["aiGenerated"] is True
    ext = {"jpeg": "jpg"}.get(fmt, fmt)
    stored = (
        stack.client("s3")
        .get_object(Bucket="pp-results", Key=f"results/{SUB}/{job['jobId']}/0.{ext}")["Body"]
        .read()
    )
    no_user_photo_inside(assert_labelled(stored, content_type, TRAINED, MODEL))
    download = httpx.get(job["resultUrl"], timeout=10).content
    assert download == stored  # the presigned download keeps the label


def test_a_model_answer_with_its_own_credentials_becomes_our_parent(endpoint, monkeypatch, gemini):
    theirs = create_local_chain()
    signed = C2paContentLabeler(lambda: theirs).label(
        ImageData(data=model_answer(), content_type="image/png"),
        GeneratedImage(data=b"", content_type="image/png", model="google-side"),
    )
    gemini.default = image_reply(signed.data)
    stack = aws(endpoint, monkeypatch, gemini)
    _, job = run_one_job(stack)
    assert job["status"] == "completed"
    stored = (
        stack.client("s3")
        .get_object(Bucket="pp-results", Key=f"results/{SUB}/{job['jobId']}/0.png")["Body"]
        .read()
    )
    manifest = assert_labelled(stored, "image/png", TRAINED, MODEL)
    (parent,) = manifest["ingredients"]
    assert parent["relationship"] == "parentOf" and parent.get("active_manifest")
    no_user_photo_inside(manifest)


def test_without_its_signing_secret_the_worker_stores_nothing_and_retries(
    endpoint, monkeypatch, gemini
):
    stack = aws(endpoint, monkeypatch, gemini)
    arn = stack.container.settings().c2pa_secret_arn
    stack.client("secretsmanager").delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True)
    outcome, job = run_one_job(stack)
    assert len(outcome["batchItemFailures"]) == 1  # redelivered: the secret may come back
    assert job["status"] != "completed" and "aiGenerated" not in job
    listed = stack.client("s3").list_objects_v2(Bucket="pp-results", Prefix="results/")
    assert listed.get("KeyCount", 0) == 0
