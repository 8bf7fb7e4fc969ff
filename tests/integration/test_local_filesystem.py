"""The filesystem object store and its signed URLs, as the local server checks them."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

import pytest

from profilephoto.adapters.local.filesystem import FilesystemObjectStore
from profilephoto.adapters.local.keyfile import load_or_create_secret
from profilephoto.domain.errors import Forbidden, InvalidRequest, ObjectNotFound

KEY = "uploads/alice/1764451200000_" + "a" * 32 + ".jpg"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 100
BASE = "http://127.0.0.1:8123"
SIGNING_KEY = b"k" * 32


@pytest.fixture
def store(tmp_path: Path) -> FilesystemObjectStore:
    return FilesystemObjectStore(tmp_path, "uploads", BASE, SIGNING_KEY)


def target(url: str) -> tuple[str, str, dict[str, str]]:
    """Bucket, key and query of an object URL, read the way the server's route reads them."""
    parts = urlsplit(url)
    _, objects, bucket, key = parts.path.split("/", 3)
    assert objects == "objects"
    return unquote(bucket), unquote(key), dict(parse_qsl(parts.query))


def later(seconds: int) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


def test_an_upload_url_is_absolute_on_the_server_and_names_bucket_and_key(store):
    request = store.presign_upload(KEY, "image/jpeg", 600, len(JPEG))
    assert request.url.startswith(f"{BASE}/objects/uploads/")
    # The same headers as an S3 presigned PUT (docs/api.md §3.1), encryption included.
    assert request.headers == {
        "Content-Type": "image/jpeg",
        "x-amz-server-side-encryption": "AES256",
    }
    bucket, key, query = target(request.url)
    assert (bucket, key, query["ct"]) == ("uploads", KEY, "image/jpeg")
    assert query["size"] == str(len(JPEG))


def test_a_presigned_put_with_the_signed_type_and_size_stores_the_object(store):
    _, key, query = target(store.presign_upload(KEY, "image/jpeg", 600, len(JPEG)).url)
    store.accept_upload(key, query, "image/jpeg", JPEG)
    info = store.peek(KEY, 16)
    assert (info.size, info.content_type) == (len(JPEG), "image/jpeg")
    assert store.read(KEY) == JPEG


def test_a_key_with_spaces_and_unicode_survives_the_url(store):
    key = "uploads/alice/é ü+%20.jpg"
    _, parsed, query = target(store.presign_upload(key, "image/jpeg", 600, len(JPEG)).url)
    assert parsed == key
    store.accept_upload(parsed, query, "image/jpeg", JPEG)
    assert store.read(key) == JPEG


@pytest.mark.parametrize(
    "field, value",
    [("sig", "0" * 64), ("expires", "9999999999"), ("ct", "image/png"), ("size", "99999999")],
)
def test_a_tampered_query_is_forbidden(store, field, value):
    _, key, query = target(store.presign_upload(KEY, "image/jpeg", 600, len(JPEG)).url)
    query[field] = value
    with pytest.raises(Forbidden):
        store.verify("PUT", key, query, query["ct"], len(JPEG))


def test_a_signature_for_one_key_does_not_open_another(store):
    _, _, query = target(store.presign_upload(KEY, "image/jpeg", 600, len(JPEG)).url)
    with pytest.raises(Forbidden):
        store.accept_upload("uploads/bob/x.jpg", query, "image/jpeg", JPEG)
    assert store.peek("uploads/bob/x.jpg", 16) is None


def test_a_signature_for_one_bucket_or_method_does_not_open_another(store, tmp_path):
    results = FilesystemObjectStore(tmp_path, "results", BASE, SIGNING_KEY)
    _, key, query = target(store.presign_upload(KEY, "image/jpeg", 600, len(JPEG)).url)
    with pytest.raises(Forbidden):
        results.verify("PUT", key, query, "image/jpeg", len(JPEG))
    with pytest.raises(Forbidden):
        store.verify("GET", key, query)


def test_a_url_signed_with_another_secret_is_forbidden(store, tmp_path):
    forger = FilesystemObjectStore(tmp_path, "uploads", BASE, b"x" * 32)
    _, key, query = target(forger.presign_upload(KEY, "image/jpeg", 600, len(JPEG)).url)
    with pytest.raises(Forbidden):
        store.verify("PUT", key, query, "image/jpeg", len(JPEG))


@pytest.mark.parametrize("query", [{}, {"expires": "x", "sig": "y"}, {"expires": "1"}])
def test_an_unsigned_url_is_forbidden(store, query):
    with pytest.raises(Forbidden):
        store.verify("GET", KEY, query)


def test_an_expired_url_is_forbidden(store):
    _, key, query = target(store.presign_upload(KEY, "image/jpeg", 60, len(JPEG)).url)
    store.verify("PUT", key, query, "image/jpeg", len(JPEG), now=later(59))
    with pytest.raises(Forbidden, match="expired"):
        store.verify("PUT", key, query, "image/jpeg", len(JPEG), now=later(61))


def test_an_upload_with_another_content_type_is_an_invalid_request(store):
    _, key, query = target(store.presign_upload(KEY, "image/jpeg", 600, len(JPEG)).url)
    with pytest.raises(InvalidRequest) as refused:
        store.accept_upload(key, query, "image/png", JPEG)
    assert refused.value.code == "invalid_request"
    with pytest.raises(InvalidRequest):
        store.accept_upload(key, query, None, JPEG)
    store.verify("PUT", key, query, "image/jpeg; charset=binary", len(JPEG))
    assert store.peek(KEY, 16) is None


def test_an_upload_of_any_other_size_than_the_signed_one_is_refused(store):
    _, key, query = target(store.presign_upload(KEY, "image/jpeg", 600, len(JPEG)).url)
    for wrong in (JPEG + b"\xff", JPEG[:-1], JPEG * 1000):
        with pytest.raises(Forbidden, match=f"exactly {len(JPEG)} bytes"):
            store.accept_upload(key, query, "image/jpeg", wrong)
    with pytest.raises(InvalidRequest):  # a PUT must say how long it is
        store.verify("PUT", key, query, "image/jpeg", None)
    assert store.peek(KEY, 16) is None
    store.accept_upload(key, query, "image/jpeg", JPEG)
    assert store.read(KEY) == JPEG


def test_a_download_url_serves_the_object_and_its_type(store):
    store.write("results/alice/job_1.png", b"\x89PNG", "image/png")
    bucket, key, query = target(store.presign_download("results/alice/job_1.png", 60))
    assert (bucket, key, "ct" in query) == ("uploads", "results/alice/job_1.png", False)
    assert store.serve_download(key, query) == (b"\x89PNG", "image/png")
    with pytest.raises(Forbidden):
        store.serve_download(key, query, now=later(61))
    store.delete(key)
    with pytest.raises(ObjectNotFound):
        store.serve_download(key, query)


@pytest.mark.parametrize(
    "key",
    [
        "../escape.jpg",
        "uploads/../../escape.jpg",
        "/etc/passwd",
        "uploads//x.jpg",
        "uploads/./x.jpg",
        "uploads\\..\\x.jpg",
        "uploads/x\x00.jpg",
        "",
    ],
)
def test_a_key_that_would_leave_the_bucket_is_refused_everywhere(store, tmp_path, key):
    for attempt in (
        lambda: store.write(key, b"x", "image/jpeg"),
        lambda: store.read(key),
        lambda: store.peek(key, 16),
        lambda: store.delete(key),
        lambda: store.presign_upload(key, "image/jpeg", 60, len(JPEG)),
        lambda: store.presign_download(key, 60),
    ):
        with pytest.raises(InvalidRequest):
            attempt()
    assert not (tmp_path / "escape.jpg").exists()
    assert not (tmp_path.parent / "escape.jpg").exists()


def test_a_symlink_inside_the_bucket_does_not_lead_out(store, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (tmp_path / "uploads" / "objects").mkdir(parents=True)
    (tmp_path / "uploads" / "objects" / "link").symlink_to(outside)
    with pytest.raises(InvalidRequest):
        store.write("link/secret.jpg", b"x", "image/jpeg")
    assert list(outside.iterdir()) == []


def test_a_prefix_of_longer_keys_is_not_an_object(store):
    store.write("results/alice/job_1.png", b"x", "image/png")
    assert store.peek("results/alice", 16) is None
    with pytest.raises(ObjectNotFound):
        store.read("results/alice")


def test_a_write_leaves_no_temporary_file_behind(store, tmp_path):
    store.write(KEY, JPEG, "image/jpeg")
    store.write(KEY, JPEG + b"more", "image/jpeg")
    names = [p.name for p in (tmp_path / "uploads").rglob("*") if p.is_file()]
    assert sorted(names) == sorted([KEY.rsplit("/", 1)[1], KEY.rsplit("/", 1)[1] + ".json"])


def test_the_signing_secret_is_created_once_and_private(tmp_path):
    first = load_or_create_secret(tmp_path / "data", "signing")
    assert len(first) >= 32
    assert load_or_create_secret(tmp_path / "data", "signing") == first
    assert load_or_create_secret(tmp_path / "data", "tokens") != first
    mode = os.stat(tmp_path / "data" / "signing.key").st_mode & 0o777
    assert mode == 0o600


def test_the_query_survives_a_round_trip_through_urlencode(store):
    _, key, query = target(store.presign_upload(KEY, "image/jpeg", 600, len(JPEG)).url)
    _, _, again = target(f"{BASE}/objects/uploads/{key}?{urlencode(query)}")
    store.verify("PUT", key, again, "image/jpeg", len(JPEG))
