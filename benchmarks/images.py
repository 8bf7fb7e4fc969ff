"""Bytes and billed image tiles sent to the model for a 12 MP photo: normalized vs as uploaded."""

from __future__ import annotations

import io
import random
import time

from PIL import Image, ImageDraw, ImageFilter

from profilephoto.adapters.images import PillowImageProcessor

PHOTO_SIZE = (4000, 3000)  # a 12-megapixel phone photo
TARGET_BYTE_RATIO = 0.05
TARGET_TILES = 1

# Gemini's documented image billing (ai.google.dev/gemini-api/docs/tokens, "image" inputs;
# restated with the same formula at geminibyexample.com/027-calculate-input-tokens): an
# image with both sides <= 384 px is 258 tokens; a larger one is cropped and scaled into
# 768x768 tiles of 258 tokens each.
SMALL_SIDE, TILE_SIDE, TOKENS_PER_TILE = 384, 768, 258


def tiles(width: int, height: int) -> int:
    """How many 258-token tiles the documented formula bills for an image of this size."""
    if width <= SMALL_SIDE and height <= SMALL_SIDE:
        return 1
    return -(-width // TILE_SIDE) * -(-height // TILE_SIDE)


def realistic_photo(size: tuple[int, int] = PHOTO_SIZE, seed: int = 12) -> bytes:
    """A JPEG a phone could have taken: smooth light, shapes, fine sensor noise (seeded)."""
    width, height = size
    ramp = Image.linear_gradient("L").resize(size)
    across = Image.linear_gradient("L").rotate(90).resize(size)
    base = Image.merge("RGB", (ramp, across, Image.blend(ramp, across, 0.5)))
    draw = ImageDraw.Draw(base)
    rng = random.Random(seed)
    for _ in range(60):  # objects in the scene: edges JPEG must spend bits on
        x, y = rng.randrange(width), rng.randrange(height)
        r = rng.randrange(40, 600)
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
    base = base.filter(ImageFilter.GaussianBlur(3))
    tile = Image.frombytes("L", (512, 512), rng.randbytes(512 * 512))
    noise = Image.new("L", size)
    for x in range(0, width, 512):
        for y in range(0, height, 512):
            noise.paste(tile, (x, y))
    noisy = Image.blend(base, Image.merge("RGB", (noise, noise, noise)), 0.08)
    out = io.BytesIO()
    noisy.save(out, "JPEG", quality=92)  # what phone cameras typically write
    return out.getvalue()


def main() -> None:
    upload = realistic_photo()
    processor = PillowImageProcessor()  # defaults: MAX_IMAGE_SIDE=768, JPEG quality 85
    started = time.perf_counter()
    normalized = processor.normalize_upload(upload)
    elapsed_ms = (time.perf_counter() - started) * 1000
    with Image.open(io.BytesIO(normalized.data)) as sent:
        sent_size = sent.size

    rows = [
        ("sent as uploaded", PHOTO_SIZE, len(upload)),
        ("normalized (long side 768)", sent_size, len(normalized.data)),
    ]
    print(f"{'12 MP photo':<28}{'pixels':>11}{'bytes':>11}{'tiles':>7}{'tokens':>8}")
    for label, (width, height), size in rows:
        count = tiles(width, height)
        print(
            f"{label:<28}{f'{width}x{height}':>11}{size:>11,}{count:>7}{count * TOKENS_PER_TILE:>8}"
        )
    ratio = len(normalized.data) / len(upload)
    sent_tiles = tiles(*sent_size)
    verdict = "ok" if ratio <= TARGET_BYTE_RATIO and sent_tiles <= TARGET_TILES else "MISSED"
    print(
        f"bytes ratio {ratio:.1%} (target <= {TARGET_BYTE_RATIO:.0%}), "
        f"tiles {sent_tiles} (target {TARGET_TILES}), "
        f"{tiles(*PHOTO_SIZE) // sent_tiles}x fewer image tokens, "
        f"normalize took {elapsed_ms:.0f} ms: {verdict}"
    )


if __name__ == "__main__":
    main()
