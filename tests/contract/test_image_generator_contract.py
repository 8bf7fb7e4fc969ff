"""ImageGenerator: the scripted fake, the offline stylizer and Gemini all behave like this."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from PIL import Image

from profilephoto.adapters.gemini import GeminiImageGenerator
from profilephoto.adapters.local.offline_stylizer import OfflineStylizer
from profilephoto.adapters.memory.generator import ScriptedImageGenerator, sniff
from profilephoto.domain.errors import GenerationError, InvalidImage, TransientGenerationError
from profilephoto.domain.models import GeneratedImage, ImageData
from profilephoto.domain.ports import ImageGenerator
from profilephoto.domain.styles import StyleCatalog
from tests.integration.fake_gemini import FakeGemini, error_reply, image_reply

STYLES = StyleCatalog()


def png(size: tuple[int, int] = (64, 64)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 150, 120)).save(out, "PNG")
    return out.getvalue()


def jpeg_selfie(colour: tuple[int, int, int] = (120, 160, 140)) -> ImageData:
    out = io.BytesIO()
    Image.new("RGB", (576, 768), colour).save(out, "JPEG", quality=85)
    return ImageData(data=out.getvalue(), content_type="image/jpeg")


@dataclass
class GeneratorHarness:
    generator: ImageGenerator
    # Makes the next call fail the way a throttled or down model does; None when the
    # adapter has nothing remote that could be down.
    break_next: Callable[[], None] | None


@pytest.fixture(params=["scripted", "offline", "gemini"])
def harness(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[GeneratorHarness]:
    if request.param == "scripted":
        scripted = ScriptedImageGenerator()
        yield GeneratorHarness(scripted, lambda: scripted.then(TransientGenerationError()))
    elif request.param == "offline":
        yield GeneratorHarness(OfflineStylizer(), None)
    else:
        fake = FakeGemini(default=image_reply(png())).start()
        monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", fake.url)
        gemini = GeminiImageGenerator(api_key="contract-key", model_name="gemini-x-image")
        yield GeneratorHarness(
            gemini, lambda: fake.then(error_reply(503, "overloaded", "UNAVAILABLE"))
        )
        fake.stop()


def test_a_photo_and_a_style_give_a_generated_image(harness):
    result = harness.generator.generate([jpeg_selfie()], STYLES.get("professional"))
    assert isinstance(result, GeneratedImage)
    assert result.data
    assert result.content_type.startswith("image/")


def test_the_bytes_are_the_image_type_the_result_declares(harness):
    result = harness.generator.generate([jpeg_selfie()], STYLES.get("casual"))
    assert sniff(result.data) == result.content_type


def test_the_result_is_labelled_with_the_generators_model_name(harness):
    name = harness.generator.model_name
    assert isinstance(name, str) and name
    assert harness.generator.generate([jpeg_selfie()], STYLES.get("tech")).model == name


def test_usage_is_a_mapping_of_names_to_non_negative_token_counts(harness):
    usage = harness.generator.generate([jpeg_selfie()], STYLES.get("academic")).usage
    assert all(isinstance(k, str) and isinstance(v, int) and v >= 0 for k, v in usage.items())


def test_up_to_three_photos_of_one_person_give_one_image(harness):
    photos = [jpeg_selfie(), jpeg_selfie((90, 90, 90)), jpeg_selfie((200, 180, 160))]
    result = harness.generator.generate(photos, STYLES.get("professional"))
    assert sniff(result.data) == result.content_type


@pytest.mark.parametrize("ratio", ["1:1", "4:5", "3:4", "2:3", "9:16"])
def test_every_aspect_ratio_of_the_api_gives_an_image(harness, ratio):
    result = harness.generator.generate([jpeg_selfie()], STYLES.get("casual"), aspect_ratio=ratio)
    assert sniff(result.data) == result.content_type


def test_no_photo_at_all_is_an_invalid_image(harness):
    with pytest.raises(InvalidImage):
        harness.generator.generate([], STYLES.get("casual"))


def test_every_catalog_style_can_be_generated(harness):
    photo = jpeg_selfie()
    for style in STYLES.all():
        assert harness.generator.generate([photo], style).data


def test_concurrent_calls_all_succeed(harness):
    # The worker processes a batch's records concurrently with one generator.
    photo, style = jpeg_selfie(), STYLES.get("outdoor")
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: harness.generator.generate([photo], style), range(4)))
    assert all(r.data for r in results)


def test_an_unavailable_model_is_a_transient_domain_error_and_the_next_call_works(harness):
    if harness.break_next is None:
        pytest.skip("nothing remote to be unavailable")
    harness.break_next()
    with pytest.raises(GenerationError) as raised:
        harness.generator.generate([jpeg_selfie()], STYLES.get("creative"))
    assert raised.value.transient
    assert harness.generator.generate([jpeg_selfie()], STYLES.get("creative")).data
