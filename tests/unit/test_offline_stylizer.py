"""The offline stylizer: deterministic, shaped as asked, and visibly different per style."""

from __future__ import annotations

import io
import time

import pytest
from PIL import Image, ImageChops, ImageStat

from profilephoto.adapters.local.offline_stylizer import OfflineStylizer
from profilephoto.domain.errors import InvalidImage
from profilephoto.domain.labels import DigitalSourceType
from profilephoto.domain.models import ImageData, Style
from profilephoto.domain.styles import StyleCatalog

STYLES = StyleCatalog()


def selfie(width: int = 480, height: int = 640) -> ImageData:
    """A portrait-shaped 'selfie': a skin-toned head on a green wall, as a JPEG."""
    image = Image.new("RGB", (width, height), (70, 140, 90))
    head = Image.new("RGB", (width // 2, height // 3), (225, 180, 150))
    image.paste(head, (width // 4, height // 6))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return ImageData(data=out.getvalue(), content_type="image/jpeg")


@pytest.fixture(scope="module")
def stylizer() -> OfflineStylizer:
    return OfflineStylizer()


def test_it_is_labelled_as_the_offline_stylizer(stylizer):
    result = stylizer.generate([selfie()], STYLES.get("professional"))
    assert stylizer.model_name == "offline-stylizer"
    assert result.model == "offline-stylizer"
    assert result.content_type == "image/png"


def test_its_results_are_algorithmic_not_made_by_a_trained_model(stylizer):
    result = stylizer.generate([selfie()], STYLES.get("professional"))
    assert result.source_type is DigitalSourceType.ALGORITHMIC_MEDIA


@pytest.mark.parametrize("size", [(480, 640), (640, 480), (300, 300), (97, 203)])
def test_every_photo_becomes_a_1024_square_png(stylizer, size):
    result = stylizer.generate([selfie(*size)], STYLES.get("casual"))
    image = Image.open(io.BytesIO(result.data))
    assert (image.format, image.mode, image.size) == ("PNG", "RGB", (1024, 1024))


def test_the_same_photo_and_style_give_the_same_bytes(stylizer):
    photo = selfie()
    first = stylizer.generate([photo], STYLES.get("studio_bw"))
    again = OfflineStylizer().generate([photo], STYLES.get("studio_bw"))
    assert first.data == again.data


def test_every_style_looks_different_from_every_other(stylizer):
    photo = selfie()
    renders = {s.id: stylizer.generate([photo], s).data for s in STYLES.all()}
    assert len(set(renders.values())) == len(STYLES.all())
    pictures = {k: Image.open(io.BytesIO(v)).convert("RGB") for k, v in renders.items()}
    for a in pictures:
        for b in pictures:
            if a < b:
                difference = ImageStat.Stat(ImageChops.difference(pictures[a], pictures[b]))
                assert max(difference.mean) > 2, (a, b)


def test_studio_black_and_white_has_no_colour(stylizer):
    result = stylizer.generate([selfie()], STYLES.get("studio_bw"))
    image = Image.open(io.BytesIO(result.data)).convert("RGB")
    red, green, blue = image.split()
    assert ImageChops.difference(red, green).getbbox() is None
    assert ImageChops.difference(green, blue).getbbox() is None


def test_outdoor_is_warmer_than_tech(stylizer):
    photo = selfie()
    outdoor = Image.open(io.BytesIO(stylizer.generate([photo], STYLES.get("outdoor")).data))
    tech = Image.open(io.BytesIO(stylizer.generate([photo], STYLES.get("tech")).data))
    warmth = [ImageStat.Stat(i).mean[0] - ImageStat.Stat(i).mean[2] for i in (outdoor, tech)]
    assert warmth[0] > warmth[1]


def test_the_head_stays_in_the_frame(stylizer):
    # A tall selfie: the face must survive the square crop, centred in the upper half.
    image = Image.open(io.BytesIO(stylizer.generate([selfie()], STYLES.get("casual")).data))
    red, _, blue = image.convert("RGB").getpixel((512, 380))
    assert red > blue + 40  # skin tone, not the green wall


def test_an_unknown_style_gets_a_neutral_treatment(stylizer):
    odd = Style(id="vaporwave", name="?", description="?", prompt="?")
    result = stylizer.generate([selfie()], odd)
    assert Image.open(io.BytesIO(result.data)).size == (1024, 1024)


def test_bytes_that_are_not_an_image_are_an_invalid_image(stylizer):
    with pytest.raises(InvalidImage):
        stylizer.generate([ImageData(data=b"nope", content_type="image/jpeg")], STYLES.get("tech"))


@pytest.mark.parametrize(
    ("ratio", "size"),
    [
        ("1:1", (1024, 1024)),
        ("4:5", (819, 1024)),
        ("3:4", (768, 1024)),
        ("2:3", (683, 1024)),
        ("9:16", (576, 1024)),
    ],
)
def test_the_result_has_the_aspect_ratio_asked_for(stylizer, ratio, size):
    result = stylizer.generate([selfie()], STYLES.get("professional"), aspect_ratio=ratio)
    assert Image.open(io.BytesIO(result.data)).size == size


def test_with_several_photos_the_first_is_the_one_styled(stylizer):
    main, other = selfie(), selfie(640, 480)
    alone = stylizer.generate([main], STYLES.get("tech")).data
    assert stylizer.generate([main, other, other], STYLES.get("tech")).data == alone
    assert stylizer.generate([other, main], STYLES.get("tech")).data != alone


def test_no_photo_at_all_is_an_invalid_image(stylizer):
    with pytest.raises(InvalidImage):
        stylizer.generate([], STYLES.get("tech"))


def test_a_ratio_that_is_not_width_colon_height_is_refused(stylizer):
    with pytest.raises(ValueError, match="aspect ratio"):
        stylizer.generate([selfie()], STYLES.get("tech"), aspect_ratio="wide")


def test_each_seed_frames_the_photo_a_little_differently_and_seed_zero_as_before(stylizer):
    photo, style = selfie(), STYLES.get("professional")
    renders = [stylizer.generate([photo], style, seed=seed).data for seed in range(3)]
    assert len(set(renders)) == 3  # variants differ, as a model's do
    assert renders[0] == stylizer.generate([photo], style).data
    assert renders[2] == OfflineStylizer().generate([photo], style, seed=2).data
    first, third = (Image.open(io.BytesIO(r)).convert("RGB") for r in (renders[0], renders[2]))
    red, _, blue = third.getpixel((512, 380))
    assert red > blue + 40  # still the face where the face was
    assert ImageStat.Stat(ImageChops.difference(first, third)).mean[0] > 2


def test_a_delay_makes_the_answer_wait_at_least_that_long():
    clock = []
    slow = OfflineStylizer(delay_seconds=0.3)
    clock.append(time.monotonic())
    slow.generate([selfie()], STYLES.get("casual"))
    assert time.monotonic() - clock[0] >= 0.3
