"""Photos to run the product with: a real public-domain portrait, and a drawn stand-in."""

from __future__ import annotations

import io
from importlib.resources import files


def public_domain_portrait() -> bytes:
    """NASA's portrait of Eileen Collins as JPEG bytes (samples/SOURCE.md): what `demo` uses."""
    return files("profilephoto.entrypoints").joinpath("samples", "eileen_collins.jpg").read_bytes()


def sample_portrait(width: int = 640, height: int = 800, seed: int = 7) -> bytes:
    """A drawn head-and-shoulders figure before a soft backdrop, as JPEG bytes (for tests
    that need a cheap image of a given size)."""
    from PIL import Image, ImageDraw, ImageFilter

    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(height):  # a window-lit wall: warm at the top, cooler below
        t = y / height
        draw.line(
            [(0, y), (width, y)], fill=(int(214 - 70 * t), int(196 - 40 * t), int(170 + 20 * t))
        )
    cx = width // 2
    head_w, head_h = width * 0.34, height * 0.32
    top = height * 0.16
    shirt = (52 + seed % 40, 78, 120)
    draw.ellipse([cx - width * 0.44, height * 0.62, cx + width * 0.44, height * 1.30], fill=shirt)
    draw.rectangle(
        [cx - width * 0.07, top + head_h * 0.8, cx + width * 0.07, height * 0.66],
        fill=(224, 172, 140),
    )
    draw.ellipse([cx - head_w / 2, top, cx + head_w / 2, top + head_h], fill=(232, 184, 150))
    draw.chord(
        [cx - head_w / 2 - 6, top - 14, cx + head_w / 2 + 6, top + head_h * 0.55],
        180,
        360,
        fill=(70, 46, 32),
    )
    eye_y = top + head_h * 0.48
    for dx in (-head_w * 0.2, head_w * 0.2):
        draw.ellipse([cx + dx - 9, eye_y - 6, cx + dx + 9, eye_y + 6], fill=(250, 250, 250))
        draw.ellipse([cx + dx - 5, eye_y - 5, cx + dx + 5, eye_y + 5], fill=(60, 40, 30))
    draw.arc(
        [cx - head_w * 0.18, top + head_h * 0.58, cx + head_w * 0.18, top + head_h * 0.80],
        20,
        160,
        fill=(160, 70, 70),
        width=4,
    )
    image = image.filter(ImageFilter.GaussianBlur(1.2))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()
