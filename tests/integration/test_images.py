"""The Pillow image seam against a hostile corpus the tests make themselves."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageCms

from profilephoto.adapters.images import PillowImageProcessor
from profilephoto.domain.errors import GenerationFailed, InvalidImage
from profilephoto.domain.job_lifecycle import is_refunded
from profilephoto.domain.models import GeneratedImage
from tests.integration.image_bytes import encode, png_header_only, rgb16_png

GPS_IFD, ORIENTATION = 0x8825, 0x0112


def photo(width: int, height: int) -> Image.Image:
    """A photo-like image: gradients plus sensor noise, so JPEG sizes are realistic."""
    noise = Image.effect_noise((width, height), 24)
    gradient = Image.linear_gradient("L").resize((width, height))
    return Image.merge("RGB", (gradient, noise, Image.blend(gradient, noise, 0.5)))


def decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@pytest.fixture(scope="module")
def processor() -> PillowImageProcessor:
    return PillowImageProcessor(max_side=768)


@pytest.fixture(scope="module")
def jpeg() -> bytes:
    return encode(photo(640, 480), "JPEG", quality=90)


HOSTILE = {
    "zero bytes": b"",
    "a text file named .jpg": b"Dear diary, today I uploaded a text file.\n" * 20,
    "a PNG claiming 50000x50000": png_header_only(50_000, 50_000),
    "a PNG claiming 9000x9000": png_header_only(9_000, 9_000),
    "an HTML page": b"<!doctype html><html><body>not an image</body></html>",
    "a GIF (not an accepted type)": encode(Image.new("P", (8, 8)), "GIF"),
}


@pytest.mark.parametrize("data", HOSTILE.values(), ids=list(HOSTILE))
def test_hostile_uploads_are_invalid_images(processor, data):
    with pytest.raises(InvalidImage):
        processor.normalize_upload(data)


@pytest.mark.parametrize("data", HOSTILE.values(), ids=list(HOSTILE))
def test_a_rejected_upload_is_explained_in_words_a_person_reads(processor, data):
    with pytest.raises(InvalidImage) as rejected:
        processor.normalize_upload(data)
    message = rejected.value.message
    assert message.startswith("We couldn't use this photo")
    for internal in ("<", "0x", "BytesIO", "Error", "cannot identify"):
        assert internal not in message


def test_model_garbage_is_explained_without_internals(processor):
    with pytest.raises(GenerationFailed) as failed:
        processor.encode_result(
            GeneratedImage(data=b"<html>oops</html>", content_type="image/png", model="m")
        )
    assert "BytesIO" not in failed.value.message and "not charged" in failed.value.message


def test_a_truncated_jpeg_is_an_invalid_image(processor, jpeg):
    with pytest.raises(InvalidImage):
        processor.normalize_upload(jpeg[: len(jpeg) // 2])


def test_the_pixel_bound_is_checked_from_the_header_before_any_decoding():
    # The body is garbage: only a header-time check can produce the pixel message.
    small_bound = PillowImageProcessor(max_pixels=10_000)
    with pytest.raises(InvalidImage, match="pixels"):
        small_bound.normalize_upload(png_header_only(101, 100))


def test_an_invalid_image_is_the_users_failure_and_keeps_the_charge(processor):
    with pytest.raises(InvalidImage) as raised:
        processor.normalize_upload(b"")
    assert raised.value.code == "invalid_image"
    assert not raised.value.transient
    assert not is_refunded(raised.value.code)


def test_a_cmyk_jpeg_becomes_rgb(processor):
    cmyk = encode(Image.new("CMYK", (64, 64), (0, 255, 255, 0)), "JPEG")
    out = decoded(processor.normalize_upload(cmyk).data)
    assert out.mode == "RGB"
    red, green, blue = out.getpixel((32, 32))
    assert red > 200 and green < 60 and blue < 60


def test_a_16_bit_grey_png_keeps_its_tones_instead_of_clipping_to_white(processor):
    grey = encode(Image.new("I;16", (64, 64), 32768), "PNG")
    out = decoded(processor.normalize_upload(grey).data)
    assert out.mode == "RGB"
    assert all(110 < channel < 145 for channel in out.getpixel((32, 32)))


def test_a_large_16_bit_grey_png_is_shrunk_and_flattened_not_refused(processor):
    # Pillow's reduce(), thumbnail's fast first step, has no 16-bit kernel ("image has wrong
    # mode"): a 16-bit scan over four times the long side we keep used to be invalid_image.
    scan = Image.new("I;16", (4800, 3600), 16384)
    scan.paste(65535, (2400, 0, 4800, 3600))
    out = decoded(processor.normalize_upload(encode(scan, "PNG")).data)
    assert out.size == (768, 576) and out.mode == "RGB"
    assert all(50 < channel < 80 for channel in out.getpixel((100, 288)))
    assert all(channel > 240 for channel in out.getpixel((668, 288)))


def test_a_16_bit_rgb_png_becomes_8_bit_rgb(processor):
    out = decoded(processor.normalize_upload(rgb16_png(32, 32)).data)
    red, green, blue = out.getpixel((16, 16))
    assert out.mode == "RGB" and red > 240 and 110 < green < 145 and blue < 20


def test_a_palette_png_with_transparency_is_flattened_on_white(processor):
    palette = Image.new("P", (64, 64), 0)
    palette.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    palette.paste(1, (0, 0, 32, 64))
    data = encode(palette, "PNG", transparency=0)
    out = decoded(processor.normalize_upload(data).data)
    assert out.mode == "RGB"
    assert out.getpixel((8, 32))[0] > 200 and out.getpixel((8, 32))[1] < 60  # opaque red stays
    assert min(out.getpixel((56, 32))) > 240  # the transparent half is white, not black


def test_a_grey_png_with_alpha_is_flattened_on_white(processor):
    data = encode(Image.new("LA", (32, 32), (0, 0)), "PNG")
    assert min(decoded(processor.normalize_upload(data).data).getpixel((16, 16))) > 240


def test_an_exif_rotated_photo_with_gps_comes_out_upright_with_no_metadata(processor):
    sideways = Image.new("RGB", (400, 200), (255, 0, 0))
    sideways.paste((0, 0, 255), (200, 0, 400, 200))
    exif = Image.Exif()
    exif[ORIENTATION] = 6  # stored sideways; viewers rotate it 90 degrees clockwise
    gps = exif.get_ifd(GPS_IFD)
    gps.update({1: "N", 2: (37.0, 46.0, 29.0), 3: "W", 4: (122.0, 25.0, 10.0)})
    upload = encode(sideways, "JPEG", exif=exif.tobytes(), quality=95)
    assert decoded(upload).getexif().get_ifd(GPS_IFD)  # the corpus really carries GPS

    normalized = processor.normalize_upload(upload)

    out = decoded(normalized.data)
    assert out.size == (200, 400)
    assert out.getpixel((100, 50))[0] > 200  # the left (red) half is now on top
    assert out.getpixel((100, 350))[2] > 200
    assert len(out.getexif()) == 0
    assert "exif" not in out.info and "icc_profile" not in out.info
    assert b"Exif" not in normalized.data


def test_an_embedded_colour_profile_is_applied_then_dropped(processor):
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    upload = encode(Image.new("RGB", (64, 64), (30, 160, 90)), "JPEG", icc_profile=srgb)
    assert decoded(upload).info.get("icc_profile")

    out = decoded(processor.normalize_upload(upload).data)

    assert "icc_profile" not in out.info
    assert all(abs(a - b) < 12 for a, b in zip(out.getpixel((32, 32)), (30, 160, 90), strict=True))


def test_a_multi_picture_jpeg_from_a_phone_uses_its_main_picture(processor):
    main, depth = Image.new("RGB", (320, 240), (250, 20, 20)), Image.new("RGB", (160, 120))
    upload = encode(main, "MPO", save_all=True, append_images=[depth])
    assert decoded(upload).format == "MPO"

    out = decoded(processor.normalize_upload(upload).data)

    assert out.size == (320, 240) and out.getpixel((10, 10))[0] > 200


def test_a_heic_from_an_iphone_is_accepted(processor):
    pillow_heif = pytest.importorskip("pillow_heif")
    pillow_heif.register_heif_opener()
    heic = encode(photo(800, 600), "HEIF", quality=60)
    assert heic[4:12] == b"ftypheic"

    normalized = processor.normalize_upload(heic)

    assert normalized.content_type == "image/jpeg"
    assert decoded(normalized.data).size == (768, 576)


def test_a_webp_is_accepted(processor):
    normalized = processor.normalize_upload(encode(photo(300, 200), "WEBP"))
    assert decoded(normalized.data).size == (300, 200)


def test_a_12_megapixel_photo_shrinks_to_a_long_side_of_768(processor):
    upload = encode(photo(4000, 3000), "JPEG", quality=90)

    normalized = processor.normalize_upload(upload)

    assert normalized.content_type == "image/jpeg"
    assert decoded(normalized.data).size == (768, 576)
    assert len(normalized.data) <= 0.05 * len(upload)


def test_a_small_photo_is_not_enlarged(processor, jpeg):
    assert decoded(processor.normalize_upload(jpeg).data).size == (640, 480)


@pytest.mark.parametrize(("fmt", "content_type"), [("png", "image/png"), ("jpeg", "image/jpeg")])
def test_results_are_re_encoded_in_the_configured_format_without_metadata(fmt, content_type):
    exif = Image.Exif()
    exif[0x010F] = "Model Maker"
    model_output = encode(photo(256, 256), "PNG", exif=exif.tobytes())
    generated = GeneratedImage(data=model_output, content_type="image/png", model="m")

    stored = PillowImageProcessor(result_format=fmt).encode_result(generated)

    assert stored.content_type == content_type
    out = decoded(stored.data)
    assert out.format == fmt.upper() and out.size == (256, 256)
    assert len(out.getexif()) == 0


def test_garbage_from_the_model_is_a_refunded_generation_failure(processor):
    garbage = GeneratedImage(
        data=b"\x89PNG\r\n\x1a\n not really", content_type="image/png", model="m"
    )
    with pytest.raises(GenerationFailed) as raised:
        processor.encode_result(garbage)
    assert is_refunded(raised.value.code)


def test_an_unknown_result_format_is_refused_at_construction():
    with pytest.raises(ValueError, match="result_format"):
        PillowImageProcessor(result_format="gif")


def test_the_caller_may_ask_for_a_smaller_long_side_than_the_processors_own(processor):
    upload = encode(Image.new("RGB", (4000, 3000), (90, 120, 150)), "JPEG")
    assert decoded(processor.normalize_upload(upload, max_side=512).data).size == (512, 384)
