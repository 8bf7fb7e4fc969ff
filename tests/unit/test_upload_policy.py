from datetime import UTC, datetime

import pytest

from profilephoto.domain.commands import UploadRequest
from profilephoto.domain.errors import (
    ExtensionMismatch,
    FileTooLarge,
    Forbidden,
    InvalidRequest,
    UnsupportedType,
)
from profilephoto.domain.upload_policy import check_key_owner, upload_key, validate_upload

MAX = 10 * 1024 * 1024


def request(name: object = "me.jpg", ctype: object = "image/jpeg", size: object = 1024):
    return UploadRequest(file_name=name, content_type=ctype, file_size=size)


@pytest.mark.parametrize(
    ("name", "ctype", "ext"),
    [
        ("me.jpg", "image/jpeg", "jpg"),
        ("ME.JPEG", "image/jpeg", "jpeg"),
        ("p.png", "image/png", "png"),
        ("w.webp", "image/webp", "webp"),
        ("IMG_0001.HEIC", "image/heic", "heic"),
        ("x.heif", "image/heif", "heif"),
        ("사진.jpg", "image/jpeg", "jpg"),
        ("../../x.jpg", "image/jpeg", "jpg"),
        ("scan.jfif", "image/jpeg", "jfif"),
        ("OLD.JPE", "image/jpeg", "jpe"),
    ],
)
def test_accepted_uploads_keep_only_their_extension(name, ctype, ext):
    valid = validate_upload(request(name, ctype), MAX)
    assert valid.extension == ext
    assert "/" not in valid.file_name


@pytest.mark.parametrize(
    ("name", "ctype", "size", "error"),
    [
        ("", "image/jpeg", 10, InvalidRequest),
        ("   ", "image/jpeg", 10, InvalidRequest),
        (None, "image/jpeg", 10, InvalidRequest),
        (42, "image/jpeg", 10, InvalidRequest),
        ("a" * 10_000 + ".jpg", "image/jpeg", 10, InvalidRequest),
        ("evil\x00.jpg", "image/jpeg", 10, InvalidRequest),
        ("line\nbreak.jpg", "image/jpeg", 10, InvalidRequest),
        ("me.gif", "image/gif", 10, UnsupportedType),
        ("me.jpg", "", 10, InvalidRequest),
        ("me.jpg", ["image/jpeg"], 10, InvalidRequest),
        ("me.svg", "image/svg+xml", 10, UnsupportedType),
        ("me.png", "image/jpeg", 10, ExtensionMismatch),
        ("me", "image/jpeg", 10, ExtensionMismatch),
        ("me.jpg.exe", "image/jpeg", 10, ExtensionMismatch),
        ("me.jpg", "image/jpeg", 0, InvalidRequest),
        ("me.jpg", "image/jpeg", -5, InvalidRequest),
        ("me.jpg", "image/jpeg", 1.5, InvalidRequest),
        ("me.jpg", "image/jpeg", "1024", InvalidRequest),
        ("me.jpg", "image/jpeg", True, InvalidRequest),
        ("me.jpg", "image/jpeg", None, InvalidRequest),
        ("me.jpg", "image/jpeg", MAX + 1, FileTooLarge),
    ],
)
def test_bad_upload_requests_get_their_own_error(name, ctype, size, error):
    with pytest.raises(error) as raised:
        validate_upload(request(name, ctype, size), MAX)
    assert raised.value.code == error.code


def test_the_largest_allowed_size_is_accepted():
    assert validate_upload(request(size=MAX), MAX).file_size == MAX


def test_content_type_is_compared_case_insensitively():
    assert validate_upload(request(ctype="IMAGE/JPEG"), MAX).content_type == "image/jpeg"


def test_upload_keys_contain_user_time_uuid_and_extension_only():
    now = datetime(2026, 11, 29, 21, 33, 28, 123000, tzinfo=UTC)
    key = upload_key("alice", "jpg", now, "ab" * 16)
    assert key == f"uploads/alice/{int(now.timestamp() * 1000)}_{'ab' * 16}.jpg"
    assert check_key_owner(key, "alice") == key


@pytest.mark.parametrize(
    "key",
    [
        "uploads/bob/1764451200000_" + "a" * 32 + ".jpg",
        "uploads/alice/../bob/1764451200000_" + "a" * 32 + ".jpg",
        "results/alice/job.png",
        "/etc/passwd",
        "uploads/alicex/1764451200000_" + "a" * 32 + ".jpg",
    ],
)
def test_keys_outside_the_callers_prefix_are_forbidden(key):
    with pytest.raises(Forbidden):
        check_key_owner(key, "alice")


@pytest.mark.parametrize("key", [None, "", 7, "uploads/alice/whatever.jpg"])
def test_malformed_keys_are_invalid_requests(key):
    with pytest.raises(InvalidRequest) as raised:
        check_key_owner(key, "alice")
    assert raised.value.code == "invalid_request"
