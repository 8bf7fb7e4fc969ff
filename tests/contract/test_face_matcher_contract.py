"""FaceMatcher: the memory fake and YuNet + SFace on onnxruntime both behave like this."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest

from profilephoto.adapters.images import PillowImageProcessor
from profilephoto.adapters.memory.faces import A_STRANGER, InMemoryFaceMatcher
from profilephoto.domain.errors import InvalidImage
from profilephoto.domain.likeness import LikenessPolicy
from profilephoto.domain.models import ImageData
from profilephoto.domain.ports import FaceMatcher
from tests.likeness_set import stylized
from tests.photos import faceless_jpeg, photo, portrait_jpeg

BAR = LikenessPolicy().min_score
NORMALIZE = PillowImageProcessor()


@dataclass
class MatcherHarness:
    matcher: FaceMatcher
    portrait: ImageData  # the user's photo, as the worker hands it over after normalising
    result: ImageData  # the offline stylizer's result for it, as stored
    stranger: ImageData  # someone else's photo
    faceless: ImageData  # a real photo of no one


@pytest.fixture(scope="module")
def images() -> tuple[ImageData, ImageData, ImageData, ImageData]:
    return (
        NORMALIZE.normalize_upload(portrait_jpeg("astronaut")),
        stylized(photo("astronaut"), "professional"),
        NORMALIZE.normalize_upload(portrait_jpeg("grace_hopper")),
        NORMALIZE.normalize_upload(faceless_jpeg()),
    )


@pytest.fixture(scope="module")
def onnx() -> FaceMatcher:
    from profilephoto.adapters.likeness.onnx import OnnxFaceMatcher

    return OnnxFaceMatcher()


@pytest.fixture(params=["memory", "onnx"])
def harness(request: pytest.FixtureRequest, images, onnx) -> MatcherHarness:
    portrait, result, stranger, faceless = images
    if request.param == "memory":
        fake = InMemoryFaceMatcher().see(stranger.data, A_STRANGER).see(faceless.data, None)
        return MatcherHarness(fake, portrait, result, stranger, faceless)
    return MatcherHarness(onnx, portrait, result, stranger, faceless)


def test_a_face_is_a_unit_vector(harness):
    face = harness.matcher.embed(harness.portrait)
    assert face is not None
    assert math.isclose(math.fsum(v * v for v in face.vector), 1.0, rel_tol=1e-6)


def test_the_stylized_result_of_a_photo_looks_like_it(harness):
    mine, result = (harness.matcher.embed(i) for i in (harness.portrait, harness.result))
    assert mine is not None and result is not None
    assert mine.similarity(result) >= BAR


def test_someone_else_does_not_look_like_the_user(harness):
    mine, theirs = (harness.matcher.embed(i) for i in (harness.portrait, harness.stranger))
    assert mine is not None and theirs is not None
    assert mine.similarity(theirs) < BAR


def test_a_photo_of_no_one_has_no_face(harness):
    assert harness.matcher.embed(harness.faceless) is None


@pytest.mark.parametrize("data", [b"", b"not a photo", b"%PDF-1.7\n"], ids=["empty", "text", "pdf"])
def test_bytes_that_are_not_an_image_are_an_invalid_image(harness, data):
    with pytest.raises(InvalidImage):
        harness.matcher.embed(ImageData(data=data, content_type="image/png"))


def test_concurrent_embeddings_equal_one_at_a_time(harness):
    # The worker scores the images of a batch's records concurrently with one matcher.
    inputs = [harness.portrait, harness.stranger, harness.faceless]
    alone = [harness.matcher.embed(i) for i in inputs]
    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(pool.map(harness.matcher.embed, inputs * 3))
    assert together == alone * 3
