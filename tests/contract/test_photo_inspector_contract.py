"""PhotoInspector: the memory fake and BlazeFace on LiteRT both behave like this."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest

from profilephoto.adapters.images import PillowImageProcessor
from profilephoto.adapters.memory.photos import InMemoryPhotoInspector, portrait_measures
from profilephoto.domain.errors import InvalidImage
from profilephoto.domain.models import ImageData
from profilephoto.domain.photo_check import PhotoThresholds, judge
from profilephoto.domain.photo_measures import PhotoMeasures
from profilephoto.domain.ports import PhotoInspector
from tests.photos import faceless_jpeg, portrait_jpeg

LIMITS = PhotoThresholds()
NORMALIZE = PillowImageProcessor()


@dataclass
class InspectorHarness:
    inspector: PhotoInspector
    portrait: ImageData  # one clear face, as the worker hands it over after normalising
    faceless: ImageData  # a real photo of no one


@pytest.fixture(scope="module")
def photos() -> tuple[ImageData, ImageData]:
    return NORMALIZE.normalize_upload(portrait_jpeg()), NORMALIZE.normalize_upload(faceless_jpeg())


@pytest.fixture(scope="module")
def litert() -> PhotoInspector:
    from profilephoto.adapters.photo_check.litert import LiteRtPhotoInspector

    return LiteRtPhotoInspector()


@pytest.fixture(params=["memory", "litert"])
def harness(request: pytest.FixtureRequest, photos, litert) -> InspectorHarness:
    portrait, faceless = photos
    if request.param == "memory":
        fake = InMemoryPhotoInspector()
        fake.see(faceless.data, portrait_measures(faces=(), main_face=None, mean_luma=104.0))
        return InspectorHarness(fake, portrait, faceless)
    return InspectorHarness(litert, portrait, faceless)


def within(measures: PhotoMeasures) -> bool:
    return all(
        face.left >= 0
        and face.top >= 0
        and face.left + face.width <= measures.width + 1
        and face.top + face.height <= measures.height + 1
        for face in measures.faces
    )


def test_a_portrait_has_one_face_inside_the_image_and_passes_the_rules(harness):
    measures = harness.inspector.inspect(harness.portrait)
    assert len(measures.faces) == 1
    [face] = measures.faces
    assert 0 < face.score <= 1 and face.side >= LIMITS.min_face_side
    assert within(measures)
    assert judge(measures, LIMITS) is None


def test_the_inspected_image_is_at_most_768_pixels_a_side(harness):
    measures = harness.inspector.inspect(harness.portrait)
    assert 0 < measures.width <= 768 and 0 < measures.height <= 768


def test_the_main_faces_light_is_measured_in_luma_and_shares(harness):
    light = harness.inspector.inspect(harness.portrait).main_face
    assert light is not None
    assert 0 <= light.p95_luma <= 255
    assert 0 <= light.bright_share <= 1
    assert light.sharpness > 0


def test_a_photo_of_no_one_has_no_face_and_no_face_light(harness):
    measures = harness.inspector.inspect(harness.faceless)
    assert measures.faces == ()
    assert measures.main_face is None
    assert 0 <= measures.mean_luma <= 255
    assert judge(measures, LIMITS) == "no_face"


@pytest.mark.parametrize("data", [b"", b"not a photo", b"%PDF-1.7\n"], ids=["empty", "text", "pdf"])
def test_bytes_that_are_not_an_image_are_an_invalid_image(harness, data):
    with pytest.raises(InvalidImage):
        harness.inspector.inspect(ImageData(data=data, content_type="image/jpeg"))


def test_concurrent_inspections_see_what_one_at_a_time_sees(harness):
    # The worker checks the records of a batch concurrently with one inspector.
    alone = [harness.inspector.inspect(p) for p in (harness.portrait, harness.faceless)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(
            pool.map(harness.inspector.inspect, [harness.portrait, harness.faceless] * 4)
        )
    assert together == alone * 4
