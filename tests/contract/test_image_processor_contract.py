"""ImageProcessor: the passthrough fake and the Pillow seam both behave like this."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from profilephoto.adapters.images import PillowImageProcessor
from profilephoto.adapters.memory.generator import PassthroughImageProcessor, sniff
from profilephoto.domain.errors import GenerationError, InvalidImage
from profilephoto.domain.models import GeneratedImage
from profilephoto.domain.ports import ImageProcessor


def encoded(fmt: str, size: tuple[int, int] = (96, 64)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (180, 120, 90)).save(out, fmt)
    return out.getvalue()


NOT_IMAGES = {
    "zero bytes": b"",
    "text": b"hello, this is not a photo\n",
    "html": b"<!doctype html><title>x</title>",
    "pdf": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n",
}


@pytest.fixture(params=["passthrough", "pillow"])
def processor(request: pytest.FixtureRequest) -> ImageProcessor:
    if request.param == "passthrough":
        return PassthroughImageProcessor()
    return PillowImageProcessor()


@pytest.mark.parametrize("data", NOT_IMAGES.values(), ids=list(NOT_IMAGES))
def test_bytes_that_are_not_an_image_are_an_invalid_image(processor, data):
    with pytest.raises(InvalidImage):
        processor.normalize_upload(data)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_a_real_photo_is_accepted_as_an_image_of_the_type_its_bytes_say(processor, fmt):
    normalized = processor.normalize_upload(encoded(fmt))
    assert normalized.data
    assert sniff(normalized.data) == normalized.content_type


def test_a_normalized_upload_normalizes_again(processor):
    once = processor.normalize_upload(encoded("JPEG"))
    assert processor.normalize_upload(once.data).content_type == once.content_type


def test_a_real_model_result_is_stored_as_the_type_its_bytes_say(processor):
    generated = GeneratedImage(data=encoded("PNG", (128, 128)), content_type="image/png", model="m")
    stored = processor.encode_result(generated)
    assert stored.data
    assert sniff(stored.data) == stored.content_type


def test_garbage_from_the_model_is_a_permanent_generation_error(processor):
    garbage = GeneratedImage(data=b"<html>oops</html>", content_type="image/png", model="m")
    with pytest.raises(GenerationError) as raised:
        processor.encode_result(garbage)
    assert not raised.value.transient
