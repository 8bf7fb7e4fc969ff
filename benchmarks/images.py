"""Bytes, image tokens and input cost a job sends the model, normalized vs as uploaded."""

from __future__ import annotations

import io
import random
import time

from PIL import Image, ImageDraw, ImageFilter

from profilephoto.adapters.gemini_input import InputPolicy, MediaResolution
from profilephoto.adapters.gemini_pricing import DEFAULT_PRICES
from profilephoto.adapters.images import PillowImageProcessor

PHOTO_SIZE = (4000, 3000)  # a 12-megapixel phone photo
TARGET_BYTE_RATIO = 0.05
MODEL = "gemini-3.1-flash-image"
# Gemini 3 bills an input image by its media resolution, not its pixels: sent as uploaded
# (no media_resolution), an image gets the default for images, high (docs/gemini.md).
UPLOADED = MediaResolution.HIGH


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
    policy = InputPolicy()
    processor = PillowImageProcessor()
    photos = [realistic_photo(seed=seed) for seed in (12, 13, 14)]
    started = time.perf_counter()
    sent = [
        processor.normalize_upload(photo, max_side=policy.long_side(i)).data
        for i, photo in enumerate(photos)
    ]
    elapsed_ms = (time.perf_counter() - started) * 1000 / len(photos)
    dollars_per_token = DEFAULT_PRICES[MODEL].input / 1_000_000

    print(f"{'per job':<34}{'bytes':>12}{'image tokens':>14}{'input $':>10}")
    for count, label in ((1, "one 12 MP photo"), (3, "three 12 MP photos")):
        uploaded_bytes = sum(len(p) for p in photos[:count])
        uploaded_tokens = count * UPLOADED.tokens
        sent_bytes = sum(len(d) for d in sent[:count])
        sent_tokens = policy.image_tokens(count)
        for how, size, tokens in (
            ("as uploaded", uploaded_bytes, uploaded_tokens),
            ("normalized", sent_bytes, sent_tokens),
        ):
            cost = tokens * dollars_per_token
            print(f"{f'{label}, {how}':<34}{size:>12,}{tokens:>14,}{cost:>10.5f}")
    sides = ", ".join(
        f"{'x'.join(map(str, Image.open(io.BytesIO(d)).size))} {policy.resolution(i)}"
        for i, d in enumerate(sent)
    )
    ratio = sum(len(d) for d in sent) / sum(len(p) for p in photos)
    token_ratio = policy.image_tokens(3) / (3 * UPLOADED.tokens)
    verdict = "ok" if ratio <= TARGET_BYTE_RATIO else "MISSED"
    print(
        f"sent: {sides}; bytes ratio {ratio:.1%} (target <= {TARGET_BYTE_RATIO:.0%}), "
        f"image tokens {token_ratio:.0%} of as uploaded, "
        f"normalize {elapsed_ms:.0f} ms per photo: {verdict}"
    )


if __name__ == "__main__":
    main()
