"""ObjectStore on one private S3 bucket: SigV4 presigned URLs, SSE-S3 on every write."""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, Final

from botocore.exceptions import BotoCoreError, ClientError

from profilephoto.adapters.aws.errors import aws_errors, error_code, reraise, translate
from profilephoto.domain.errors import ObjectNotFound
from profilephoto.domain.models import ObjectInfo, PresignedRequest

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import ObjectIdentifierTypeDef

SSE: Final = "AES256"


class S3ObjectStore:
    """The client must be built with `Config(signature_version="s3v4")`: presigned URLs
    then sign Content-Type, Content-Length and server-side encryption, so S3 refuses
    uploads without them or of another size."""

    def __init__(self, client: S3Client, bucket: str) -> None:
        self._client = client
        self.bucket = bucket

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"

    def presign_upload(
        self, key: str, content_type: str, expires_in: int, size: int
    ) -> PresignedRequest:
        # Presigning is local signing with the client's credentials: no request is made.
        # ContentLength makes Content-Length a signed header: S3 refuses any other size
        # (without it one URL could store up to 5 GB). Clients send it on their own.
        with aws_errors("s3.presign_upload"):
            url = self._client.generate_presigned_url(
                "put_object",
                Params={
                    "Bucket": self.bucket,
                    "Key": key,
                    "ContentType": content_type,
                    "ContentLength": size,
                    "ServerSideEncryption": SSE,
                },
                ExpiresIn=expires_in,
                HttpMethod="PUT",
            )
        return PresignedRequest(
            url=url,
            method="PUT",
            headers={"Content-Type": content_type, "x-amz-server-side-encryption": SSE},
        )

    def peek(self, key: str, length: int) -> ObjectInfo | None:
        # One ranged GET costs what a HEAD does and also gives the first bytes; the
        # object's size is the total in Content-Range ("bytes 0-31/12345").
        try:
            found = self._client.get_object(
                Bucket=self.bucket, Key=key, Range=f"bytes=0-{max(length, 1) - 1}"
            )
            first = found["Body"].read()
        except (ClientError, BotoCoreError) as error:
            if isinstance(error, ClientError) and error_code(error) == "InvalidRange":
                return ObjectInfo(key=key, size=0)  # only an empty object has no byte 0
            if isinstance(translate(error, "s3.peek"), ObjectNotFound):
                return None
            reraise(error, "s3.peek")
        content_range = found.get("ContentRange") or ""
        total = content_range.rpartition("/")[2]
        size = int(total) if total.isdecimal() else int(found["ContentLength"])
        return ObjectInfo(
            key=key,
            size=size,
            content_type=found.get("ContentType"),
            first_bytes=first[:length],
        )

    def read(self, key: str) -> bytes:
        with aws_errors("s3.read"):
            found = self._client.get_object(Bucket=self.bucket, Key=key)
            # The body streams: a connection lost mid-read is a botocore error too.
            return found["Body"].read()

    def write(self, key: str, data: bytes, content_type: str) -> None:
        with aws_errors("s3.write"):
            self._client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=data,
                ContentType=content_type,
                ServerSideEncryption=SSE,
            )

    def presign_download(self, key: str, expires_in: int) -> str:
        with aws_errors("s3.presign_download"):
            return self._client.generate_presigned_url(
                "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=expires_in
            )

    def delete(self, key: str) -> None:
        # S3 answers 204 for a missing key, so deleting twice is already harmless.
        with aws_errors("s3.delete"):
            self._client.delete_object(Bucket=self.bucket, Key=key)

    def delete_prefix(self, prefix: str, keep: Collection[str] = ()) -> int:
        """One ListObjectsV2 and one DeleteObjects per 1,000 keys."""
        deleted = 0
        with aws_errors("s3.delete_prefix"):
            pages = self._client.get_paginator("list_objects_v2")
            for page in pages.paginate(Bucket=self.bucket, Prefix=prefix):
                keys: list[ObjectIdentifierTypeDef] = [
                    {"Key": item["Key"]}
                    for item in page.get("Contents", [])
                    if item["Key"] not in keep
                ]
                if keys:
                    self._client.delete_objects(
                        Bucket=self.bucket, Delete={"Objects": keys, "Quiet": True}
                    )
                    deleted += len(keys)
        return deleted
