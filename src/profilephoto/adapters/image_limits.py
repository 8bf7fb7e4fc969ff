"""What an image's header must promise before a pixel is decoded, and what decoding it costs."""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image

# Pillow keeps every mode we accept in at most 4 bytes a pixel (RGB is padded to 4).
BYTES_PER_PIXEL = 4
# Whole-picture buffers a decoder holds besides Pillow's own (measured with Pillow 13 and
# pillow-heif 1.8: libwebp's canvas and the bytes Pillow copies from; libheif's output).
DECODER_BUFFERS = {"WEBP": 2, "HEIF": 1}
JPEG_FORMATS = frozenset({"JPEG", "MPO"})
# A progressive JPEG keeps every DCT coefficient (2 bytes) of every band at full size,
# whatever scale it is drafted to.
COEFFICIENT_BYTES = 2
# The shrunk copies, the re-encoded JPEG and the decoders' small state.
FIXED_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class ShapeLimits:
    """The shapes a photo may have. The defaults let every phone and camera photo under
    50 MP through (8064x6048 sensors, 4:1 panoramas) and nothing built to exhaust memory:
    a 1 x 49,999,999 PNG (2 GB to decode) or a 16383 x 3051 WebP (1 GB)."""

    max_pixels: int = 50_000_000
    max_side: int = 10_000
    max_aspect: float = 4.0

    def refusal(self, width: int, height: int) -> str | None:
        """Why a picture of this size is refused, or None when it may be decoded."""
        if width < 1 or height < 1:
            return f"it claims to be {width} by {height} pixels"
        if width * height > self.max_pixels:
            return (
                f"it is {width} by {height} pixels, more than the "
                f"{self.max_pixels // 1_000_000} megapixels we accept"
            )
        if max(width, height) > self.max_side:
            return f"it is {width} by {height} pixels; a side may be at most {self.max_side:,}"
        if max(width, height) > self.max_aspect * min(width, height):
            return f"it is {width} by {height} pixels, longer than {self.max_aspect:g} to 1"
        return None


def decode_cost(image: Image.Image, full_size: tuple[int, int], working_copies: int) -> int:
    """Bytes a decode of `image` (already drafted) may hold at its peak.

    The decoded picture, the decoder's own buffer where it has one, and `working_copies`
    more pictures of the decoded size (mode conversion, rotation, the metadata-free copy).
    """
    width, height = image.size
    copies = 1 + working_copies + DECODER_BUFFERS.get(image.format or "", 0)
    cost = FIXED_BYTES + width * height * BYTES_PER_PIXEL * copies
    if image.format in JPEG_FORMATS and image.info.get("progressive"):
        cost += full_size[0] * full_size[1] * len(image.getbands()) * COEFFICIENT_BYTES
    return cost
