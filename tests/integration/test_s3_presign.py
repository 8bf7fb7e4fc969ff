"""The S3 adapter: SigV4 presigned uploads that a plain HTTP client can use, SSE everywhere."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from botocore.auth import S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest

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


def test_the_upload_url_is_sigv4_and_signs_content_type_length_and_encryption(store):
    s3, _, _ = store
    request = s3.presign_upload(KEY, "image/jpeg", 900, len(JPEG))
    query = query_of(request.url)
    assert query["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
    assert query["X-Amz-Expires"] == "900"
    signed = query["X-Amz-SignedHeaders"].split(";")
    assert {"content-type", "content-length", "x-amz-server-side-encryption"} <= set(signed)
    assert request.method == "PUT"
    assert request.headers == {
        "Content-Type": "image/jpeg",
        "x-amz-server-side-encryption": "AES256",
    }


def test_the_signed_length_is_the_declared_file_size(store):
    # S3 refuses a PUT whose Content-Length differs from a signed one (403
    # SignatureDoesNotMatch). moto's server does not check signatures (a 500-byte PUT to a
    # URL signed for 10 bytes is stored), so this test recomputes the signature: only a
    # request of exactly the declared size carries the URL's signature.
    s3, client, _ = store
    request = s3.presign_upload(KEY, "image/jpeg", 900, 1234)
    query = query_of(request.url)
    assert sign_as_s3_would(client, request, query, length=1234) == query["X-Amz-Signature"]
    assert sign_as_s3_would(client, request, query, length=1235) != query["X-Amz-Signature"]


def sign_as_s3_would(client, request, query: dict[str, str], length: int) -> str:
    """The SigV4 signature of the PUT a client makes with this URL and `length` bytes."""
    credentials = client._request_signer._credentials.get_frozen_credentials()
    headers = {**request.headers, "Content-Length": str(length)}
    unsigned = request.url.split("&X-Amz-Signature=", 1)[0]
    put = AWSRequest(method="PUT", url=unsigned, headers=headers)
    put.context["timestamp"] = query["X-Amz-Date"]
    auth = S3SigV4QueryAuth(credentials, "s3", client.meta.region_name, expires=900)
    canonical = auth.canonical_request(put)
    to_sign = auth.string_to_sign(put, canonical)
    return auth.signature(to_sign, put)


def test_presigning_makes_no_aws_call(store):
    s3, client, _ = store
    calls: list[str] = []
    client.meta.events.register("before-send", lambda **kw: calls.append("sent"))
    s3.presign_upload(KEY, "image/png", 60, len(JPEG))
    s3.presign_download(KEY, 60)
    assert calls == []


def test_a_real_http_put_to_the_presigned_url_stores_the_object_encrypted(store):
    s3, client, bucket = store
    request = s3.presign_upload(KEY, "image/jpeg", 600, len(JPEG))
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
