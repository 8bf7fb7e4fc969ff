"""The hostile image corpus, made by code: each entry is bytes and the outcome we chose for it."""

from __future__ import annotations

import functools
import struct
from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image

from tests.integration.image_bytes import (
    encode,
    png_chunk,
    png_header_only,
    rgb16_png,
    webp_header_only,
    zero_png,
    zlib_zeros,
)

ACCEPTED, INVALID, TOO_LARGE = "accepted", "invalid_image", "image_too_large"
PAYLOAD = b"<script>alert('polyglot')</script>"


@dataclass(frozen=True)
class Case:
    """One hostile upload: how to build it, what must become of it, and why."""

    build: Callable[[], bytes]
    outcome: str
    why: str


def photo(width: int = 320, height: int = 240, mode: str = "RGB") -> Image.Image:
    noise = Image.effect_noise((width, height), 30)
    gradient = Image.linear_gradient("L").resize((width, height))
    return Image.merge("RGB", (gradient, noise, Image.blend(gradient, noise, 0.5))).convert(mode)


def jpeg(**options: object) -> bytes:
    return encode(photo(), "JPEG", quality=85, **options)


def jpeg_with_segments(segments: list[bytes]) -> bytes:
    """A JPEG with these marker segments inserted right after SOI."""
    data = jpeg()
    return data[:2] + b"".join(segments) + data[2:]


def app_segment(marker: int, payload: bytes) -> bytes:
    return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload


def exif_loop() -> bytes:
    """EXIF whose first IFD names itself as the next IFD, and whose EXIF pointer loops back."""
    tiff = b"MM\x00\x2a" + struct.pack(">I", 8)
    entries = [
        struct.pack(">HHII", 0x0112, 3, 1, 6 << 16),  # orientation 6
        struct.pack(">HHII", 0x8769, 4, 1, 8),  # the EXIF sub-IFD pointer: back to IFD0
    ]
    ifd = struct.pack(">H", len(entries)) + b"".join(entries) + struct.pack(">I", 8)
    return jpeg_with_segments([app_segment(0xE1, b"Exif\x00\x00" + tiff + ifd)])


def huge_icc_jpeg() -> bytes:
    """An ICC profile split over 200 APP2 segments (12 MB declared): garbage, dropped."""
    chunk = b"\x00" * 60_000
    count = 200
    return jpeg_with_segments(
        [
            app_segment(0xE2, b"ICC_PROFILE\x00" + bytes([n + 1, count]) + chunk)
            for n in range(count)
        ]
    )


def huge_exif_png() -> bytes:
    """A PNG carrying a 5 MB eXIf chunk of nonsense before its pixels."""
    data = encode(photo(), "PNG")
    ihdr_end = 8 + 25
    return (
        data[:ihdr_end] + png_chunk(b"eXIf", b"MM\x00\x2a" + b"\xff" * 5_000_000) + data[ihdr_end:]
    )


def text_bomb_png() -> bytes:
    """A PNG with a zTXt chunk that inflates to 1 GB of zeros."""
    body = zlib_zeros(1 << 30)
    data = encode(photo(), "PNG")
    ihdr_end = 8 + 25
    return data[:ihdr_end] + png_chunk(b"zTXt", b"Comment\x00\x00" + body) + data[ihdr_end:]


def big_progressive_jpeg() -> bytes:
    """24 MP, progressive: libjpeg keeps every coefficient at full size, whatever the draft."""
    picture = Image.linear_gradient("L").resize((6000, 4000)).convert("RGB")
    return encode(picture, "JPEG", quality=90, progressive=True)


def cmyk_jpeg() -> bytes:
    return encode(photo(mode="CMYK"), "JPEG", quality=85)


def grey16_png() -> bytes:
    return encode(Image.new("I;16", (64, 64), 40000), "PNG")


def patched_jpeg_size(width: int, height: int) -> bytes:
    """A real JPEG whose frame header (SOF0) claims another size."""
    data = bytearray(jpeg())
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


@functools.cache
def heic() -> bytes:
    import pillow_heif

    pillow_heif.register_heif_opener()
    return encode(photo(), "HEIF", quality=50)


def heic_claiming(width: int, height: int) -> bytes:
    """A HEIC whose image spatial extents (ispe) claim another size than its pixels."""
    data = bytearray(heic())
    at = data.index(b"ispe")
    data[at + 8 : at + 16] = struct.pack(">II", width, height)
    return bytes(data)


def animated_webp(frames: int = 200) -> bytes:
    images = [photo(64, 64).rotate(n) for n in range(frames)]
    return encode(images[0], "WEBP", save_all=True, append_images=images[1:], duration=10)


def animated_png(frames: int = 200) -> bytes:
    images = [photo(64, 64).rotate(n) for n in range(frames)]
    return encode(images[0], "PNG", save_all=True, append_images=images[1:])


def truncated(build: Callable[[], bytes], keep: float = 0.5) -> Callable[[], bytes]:
    return lambda: (data := build())[: int(len(data) * keep)]


CORPUS: dict[str, Case] = {
    # bombs and extreme shapes
    "PNG of 1 x 49,999,999 (194 KB)": Case(lambda: zero_png(1, 49_999_999), INVALID, "shape"),
    "WebP of 16383 x 3051 (2 KB)": Case(lambda: webp_header_only(16_383, 3_051), INVALID, "shape"),
    "PNG claiming 50000 x 50000": Case(lambda: png_header_only(50_000, 50_000), INVALID, "pixels"),
    "JPEG claiming 65000 x 65000": Case(
        lambda: patched_jpeg_size(65_000, 65_000), INVALID, "pixels"
    ),
    "HEIC claiming 60000 x 60000": Case(lambda: heic_claiming(60_000, 60_000), INVALID, "pixels"),
    "PNG of 7000 x 7000 black (49 MP, 70 KB)": Case(
        lambda: zero_png(7000, 7000), ACCEPTED, "budget"
    ),
    "progressive JPEG of 6000 x 4000": Case(big_progressive_jpeg, ACCEPTED, "budget"),
    # polyglots
    "JPEG with a script appended": Case(lambda: jpeg() + PAYLOAD, ACCEPTED, "re-encoded"),
    "PNG with a script after IEND": Case(
        lambda: encode(photo(), "PNG") + PAYLOAD, ACCEPTED, "re-encoded"
    ),
    "JPEG with a script in a comment": Case(
        lambda: jpeg_with_segments([app_segment(0xFE, PAYLOAD)]), ACCEPTED, "re-encoded"
    ),
    "JPEG magic then HTML": Case(lambda: b"\xff\xd8\xff\xe0" + PAYLOAD * 20, INVALID, "unreadable"),
    "GIF/JavaScript polyglot": Case(
        lambda: b"GIF89a/*" + b"\0" * 32 + b"*/=1;" + PAYLOAD, INVALID, "not accepted"
    ),
    # truncated
    "JPEG cut in half": Case(truncated(jpeg), INVALID, "unreadable"),
    "PNG cut in half": Case(truncated(lambda: encode(photo(), "PNG")), INVALID, "unreadable"),
    "WebP cut in half": Case(truncated(lambda: encode(photo(), "WEBP")), INVALID, "unreadable"),
    "HEIC cut in half": Case(truncated(heic), INVALID, "unreadable"),
    "JPEG of its first 100 bytes": Case(lambda: jpeg()[:100], INVALID, "unreadable"),
    # metadata
    "EXIF IFD that points to itself": Case(exif_loop, ACCEPTED, "metadata dropped"),
    "ICC profile of 12 MB in 200 segments": Case(huge_icc_jpeg, ACCEPTED, "metadata dropped"),
    "PNG with a 5 MB eXIf chunk": Case(huge_exif_png, ACCEPTED, "metadata dropped"),
    "PNG with a zTXt inflating to 1 GB": Case(text_bomb_png, INVALID, "Pillow's text limit"),
    # colour and depth
    "CMYK JPEG": Case(cmyk_jpeg, ACCEPTED, "converted"),
    "16-bit grey PNG": Case(grey16_png, ACCEPTED, "converted"),
    "16-bit RGB PNG": Case(lambda: rgb16_png(64, 64), ACCEPTED, "converted"),
    # many frames
    "animated WebP of 200 frames": Case(animated_webp, ACCEPTED, "first frame"),
    "animated PNG of 200 frames": Case(animated_png, ACCEPTED, "first frame"),
    # HEIC
    "HEIC from a phone": Case(heic, ACCEPTED, "decoded"),
}
