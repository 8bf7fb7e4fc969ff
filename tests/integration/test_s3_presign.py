"""The S3 adapter: SigV4 presigned uploads that a plain HTTP client can use, SSE everywhere."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from profilephoto.adapters.aws import S3ObjectStore
from tests.integration.aws_fixtures import bucket_on_server, http_put

KEY = "uploads/alice/1764451200000_" + "b" * 32 + ".jpg"
JPEG = b"\xff\xd8\xff\xe0" + b"\x01" * 512


@pytest.fixture
def store():
    with bucket_on_server() as (client, bucket):
        yield S3ObjectStore(client, bucket), client, bucket


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}


def test_the_upload_url_is_sigv4_and_signs_content_type_and_encryption(store):
    s3, _, _ = store
    request = s3.presign_upload(KEY, "image/jpeg", 900)
    query = query_of(request.url)
    assert query["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
    assert query["X-Amz-Expires"] == "900"
    signed = query["X-Amz-SignedHeaders"].split(";")
    assert "content-type" in signed and "x-amz-server-side-encryption" in signed
    assert request.method == "PUT"
    assert request.headers == {
        "Content-Type": "image/jpeg",
        "x-amz-server-side-encryption": "AES256",
    }


def test_presigning_makes_no_aws_call(store):
    s3, client, _ = store
    calls: list[str] = []
    client.meta.events.register("before-send", lambda **kw: calls.append("sent"))
    s3.presign_upload(KEY, "image/png", 60)
    s3.presign_download(KEY, 60)
    assert calls == []


def test_a_real_http_put_to_the_presigned_url_stores_the_object_encrypted(store):
    s3, client, bucket = store
    request = s3.presign_upload(KEY, "image/jpeg", 600)
    assert http_put(request, JPEG) == 200
    head = client.head_object(Bucket=bucket, Key=KEY)
    assert head["ServerSideEncryption"] == "AES256"
    assert head["ContentType"] == "image/jpeg"
    assert s3.read(KEY) == JPEG


def test_objects_the_adapter_writes_are_encrypted_and_typed(store):
    s3, client, bucket = store
    s3.write("results/alice/job_1.png", b"\x89PNG", "image/png")
    head = client.head_object(Bucket=bucket, Key="results/alice/job_1.png")
    assert (head["ServerSideEncryption"], head["ContentType"]) == ("AES256", "image/png")


def test_the_stored_reference_is_an_s3_uri(store):
    s3, _, bucket = store
    assert s3.uri(KEY) == f"s3://{bucket}/{KEY}"
