"""ContentLabeler: the memory fake and c2pa-python (local chain, AWS secret, XMP only) agree."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import boto3
import pytest
from moto import mock_aws
from PIL import Image

from profilephoto.adapters.aws.signing_secret import secret_credentials
from profilephoto.adapters.labels import xmp
from profilephoto.adapters.labels.c2pa_labeler import C2paContentLabeler
from profilephoto.adapters.labels.certificates import create_local_chain, load_or_create_local
from profilephoto.adapters.memory.labels import RecordingLabeler
from profilephoto.domain.errors import LabelingFailed
from profilephoto.domain.labels import DigitalSourceType
from profilephoto.domain.models import GeneratedImage, ImageData
from profilephoto.domain.ports import ContentLabeler
from tests.integration.aws_fixtures import fake_credentials
from tests.photos import photo

FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
MODEL = "gemini-nano-banana-2.1"
TRAINED = DigitalSourceType.TRAINED_ALGORITHMIC_MEDIA


@dataclass
class LabelerHarness:
    labeler: ContentLabeler
    signs: bool  # whether a change to the bytes is detected
    # Breaks what signing needs; returns the labeler as a process started then finds it.
    break_signing: Callable[[], ContentLabeler]


def result(fmt: str) -> ImageData:
    """A real picture, encoded as the pipeline stores results."""
    out = io.BytesIO()
    photo("astronaut").resize((256, 256)).save(out, fmt)
    return ImageData(data=out.getvalue(), content_type=FORMATS[fmt])


def made_by(image: ImageData, source: DigitalSourceType = TRAINED) -> GeneratedImage:
    return GeneratedImage(
        data=image.data, content_type=image.content_type, model=MODEL, source_type=source
    )


@pytest.fixture(params=["memory", "c2pa-local", "c2pa-aws", "xmp-only"])
def harness(request: pytest.FixtureRequest, tmp_path) -> Iterator[LabelerHarness]:
    if request.param == "memory":
        fake = RecordingLabeler()

        def failing() -> ContentLabeler:
            fake.fail_next(LabelingFailed())
            return fake

        yield LabelerHarness(fake, True, failing)
    elif request.param == "c2pa-local":
        labeler = C2paContentLabeler(lambda: load_or_create_local(tmp_path))

        def broken() -> ContentLabeler:
            (tmp_path / "c2pa" / "key.pem").write_bytes(b"not a key")
            return C2paContentLabeler(lambda: load_or_create_local(tmp_path))

        yield LabelerHarness(labeler, True, broken)
    elif request.param == "c2pa-aws":
        with fake_credentials(), mock_aws():
            client = boto3.client("secretsmanager", region_name="us-east-1")
            made = create_local_chain()
            arn = client.create_secret(
                Name="c2pa-signing",
                SecretString=json.dumps(
                    {
                        "certificate_chain": made.certificate_chain.decode(),
                        "private_key": made.private_key.decode(),
                    }
                ),
            )["ARN"]
            labeler = C2paContentLabeler(lambda: secret_credentials(client, arn))

            def removed() -> ContentLabeler:
                client.delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True)
                return C2paContentLabeler(lambda: secret_credentials(client, arn))

            yield LabelerHarness(labeler, True, removed)
    else:
        unsigned = C2paContentLabeler(None)
        yield LabelerHarness(unsigned, False, lambda: unsigned)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_a_labelled_result_reads_back_as_made_by_that_model(harness, fmt):
    image = result(fmt)
    labelled = harness.labeler.label(image, made_by(image))
    assert labelled.content_type == image.content_type
    found = harness.labeler.read(labelled.data)
    assert found is not None
    assert (found.source_type, found.model, found.intact) == (TRAINED, MODEL, True)
    assert found.signed is harness.signs


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_the_labelled_result_is_the_same_picture(harness, fmt):
    image = result(fmt)
    labelled = harness.labeler.label(image, made_by(image))
    with (
        Image.open(io.BytesIO(image.data)) as before,
        Image.open(io.BytesIO(labelled.data)) as after,
    ):
        assert after.format == before.format
        assert after.tobytes() == before.tobytes()


def test_the_offline_stylizer_is_labelled_algorithmic_not_trained(harness):
    image = result("PNG")
    labelled = harness.labeler.label(image, made_by(image, DigitalSourceType.ALGORITHMIC_MEDIA))
    found = harness.labeler.read(labelled.data)
    assert found is not None and found.source_type is DigitalSourceType.ALGORITHMIC_MEDIA


def test_an_unlabelled_picture_reads_as_unlabelled(harness):
    assert harness.labeler.read(result("JPEG").data) is None


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_a_changed_pixel_breaks_a_signed_label(harness, fmt):
    if not harness.signs:
        pytest.skip("XMP alone binds nothing to the pixels")
    image = result(fmt)
    labelled = bytearray(harness.labeler.label(image, made_by(image)).data)
    labelled[-40] ^= 0x01  # inside the compressed pixels (or the fake's note's hash)
    found = harness.labeler.read(bytes(labelled))
    assert found is not None and found.intact is False


def test_a_signer_that_cannot_sign_fails_the_label_and_delivers_nothing(harness):
    if not harness.signs:
        pytest.skip("XMP only: nothing to sign")
    image = result("PNG")
    harness.labeler.label(image, made_by(image))  # the signer worked before
    broken = harness.break_signing()
    with pytest.raises(LabelingFailed) as failed:
        broken.label(image, made_by(image))
    assert failed.value.transient  # refunded and retried, never stored unlabelled


def test_labels_from_many_threads_are_each_whole(harness):
    images = [result(fmt) for fmt in sorted(FORMATS)] * 3
    with ThreadPoolExecutor(max_workers=6) as pool:
        labelled = list(pool.map(lambda i: harness.labeler.label(i, made_by(i)), images))
    found = [harness.labeler.read(one.data) for one in labelled]
    assert all(f is not None and f.intact and f.model == MODEL for f in found)


def test_xmp_says_made_by_ai_in_a_plain_parse(harness):
    """What any XMP reader sees: Pillow finds the packet, ElementTree parses it."""
    if isinstance(harness.labeler, RecordingLabeler):
        pytest.skip("the fake writes no XMP")
    for fmt in FORMATS:
        image = result(fmt)
        properties = xmp.read(harness.labeler.label(image, made_by(image)).data)
        assert properties["Iptc4xmpExt:DigitalSourceType"] == str(TRAINED), fmt
