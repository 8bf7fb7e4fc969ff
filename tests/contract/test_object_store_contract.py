"""ObjectStore: every adapter behaves like this."""

import pytest

from profilephoto.domain.errors import ObjectNotFound

KEY = "uploads/alice/1764451200000_" + "a" * 32 + ".jpg"
JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4


def test_a_presigned_upload_stores_the_bytes_under_the_key(objects):
    request = objects.store.presign_upload(KEY, "image/jpeg", 600, len(JPEG))
    assert request.method == "PUT"
    assert request.headers["Content-Type"] == "image/jpeg"
    assert request.headers["x-amz-server-side-encryption"] == "AES256"  # the same on every runtime
    objects.upload(request, JPEG)
    info = objects.store.peek(KEY, 16)
    assert info is not None
    assert (info.key, info.size, info.content_type) == (KEY, len(JPEG), "image/jpeg")
    assert objects.store.read(KEY) == JPEG


def test_a_peek_gives_the_size_type_and_first_bytes_in_one_answer(objects):
    objects.store.write("uploads/alice/a.jpg", JPEG, "image/jpeg")
    info = objects.store.peek("uploads/alice/a.jpg", 32)
    assert (info.size, info.content_type, info.first_bytes) == (len(JPEG), "image/jpeg", JPEG[:32])
    objects.store.write("uploads/alice/short.png", b"\x89PNG", "image/png")
    short = objects.store.peek("uploads/alice/short.png", 32)
    assert (short.size, short.first_bytes) == (4, b"\x89PNG")


def test_peek_of_a_missing_object_is_none_and_read_raises_not_found(objects):
    assert objects.store.peek("uploads/nobody/none.jpg", 16) is None
    with pytest.raises(ObjectNotFound):
        objects.store.read("uploads/nobody/none.jpg")


def test_write_replaces_and_delete_is_idempotent(objects):
    objects.store.write("results/alice/job_1.png", b"first", "image/png")
    objects.store.write("results/alice/job_1.png", b"second", "image/png")
    assert objects.store.read("results/alice/job_1.png") == b"second"
    objects.store.delete("results/alice/job_1.png")
    objects.store.delete("results/alice/job_1.png")
    assert objects.store.peek("results/alice/job_1.png", 16) is None


def test_uri_names_the_bucket_and_ends_with_the_key(objects):
    uri = objects.store.uri(KEY)
    scheme, rest = uri.split("://", 1)
    assert scheme and rest.split("/", 1)[1] == KEY


def test_a_download_url_is_handed_out_without_reading_the_object(objects):
    url = objects.store.presign_download("results/alice/absent.png", 60)
    assert isinstance(url, str) and url


def test_delete_prefix_removes_only_what_is_under_the_prefix(objects):
    store = objects.store
    for key in (
        "uploads/al/1.jpg",
        "uploads/al/2.png",
        "uploads/al/job_1/0.png",
        "uploads/alex/3.jpg",
    ):
        store.write(key, b"data", "image/jpeg")
    assert store.delete_prefix("uploads/al/") == 3
    assert store.peek("uploads/al/1.jpg", 4) is None
    assert store.peek("uploads/al/job_1/0.png", 4) is None
    assert store.read("uploads/alex/3.jpg") == b"data"
    assert store.delete_prefix("uploads/al/") == 0


def test_delete_prefix_spares_the_keys_it_is_told_to_keep(objects):
    store = objects.store
    for key in ("results/al/job_1/0.png", "results/al/job_1/1.png", "results/al/job_1/2.jpg"):
        store.write(key, b"data", "image/png")
    assert store.delete_prefix("results/al/job_1/", keep={"results/al/job_1/0.png"}) == 2
    assert store.read("results/al/job_1/0.png") == b"data"
    assert store.peek("results/al/job_1/1.png", 4) is None
    assert store.peek("results/al/job_1/2.jpg", 4) is None
    assert store.delete_prefix("results/al/job_1/", keep={"results/al/job_1/0.png"}) == 0
