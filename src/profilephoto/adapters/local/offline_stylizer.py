"""A deterministic Pillow 'generator' so the whole product runs with no model and no key."""

from __future__ import annotations

import io
import logging
import random
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

from PIL import Image, ImageChops, ImageDraw, ImageEnhance, ImageFilter, ImageOps

from profilephoto.domain.errors import InvalidImage
from profilephoto.domain.labels import DigitalSourceType
from profilephoto.domain.models import GeneratedImage, ImageData, Style

log = logging.getLogger(__name__)

# The longest side of every result, as Gemini's `1K` size is about 1024 pixels.
LONG_SIDE = 1024
MAX_INPUT_PIXELS = 50_000_000
RGB = tuple[int, int, int]
Size = tuple[int, int]


@dataclass(frozen=True)
class Look:
    """How one style grades the subject and treats what lies behind it."""

    saturation: float = 1.0
    contrast: float = 1.0
    brightness: float = 1.0
    tint: tuple[float, float, float] = (1.0, 1.0, 1.0)  # per-channel gain: warm, cool
    backdrop: tuple[RGB, RGB] | None = None  # top and bottom colour of a studio backdrop
    backdrop_mix: float = 0.0  # how much backdrop replaces the (blurred) real background
    background_blur: float = 0.0  # a shallow depth of field, in pixels
    grayscale: bool = False
    grain: int = 0  # amplitude of a fixed film grain
    vignette: float = 0.0  # how much the corners darken


NEUTRAL = Look(contrast=1.05)
LOOKS: dict[str, Look] = {
    "professional": Look(
        saturation=0.9,
        contrast=1.1,
        backdrop=((150, 152, 156), (88, 90, 95)),
        backdrop_mix=0.85,
        background_blur=18,
        vignette=0.25,
    ),
    "casual": Look(
        saturation=1.05,
        brightness=1.06,
        tint=(1.06, 1.02, 0.92),
        background_blur=14,
    ),
    "creative": Look(
        saturation=1.5,
        contrast=1.2,
        backdrop=((0, 150, 160), (190, 20, 130)),
        backdrop_mix=0.9,
        background_blur=10,
        vignette=0.15,
    ),
    "studio_bw": Look(
        contrast=1.35,
        backdrop=((60, 60, 60), (12, 12, 12)),
        backdrop_mix=0.9,
        background_blur=16,
        grayscale=True,
        grain=14,
        vignette=0.35,
    ),
    "outdoor": Look(
        saturation=1.1,
        brightness=1.04,
        tint=(1.1, 1.03, 0.84),
        backdrop=((255, 205, 130), (120, 140, 80)),
        backdrop_mix=0.35,
        background_blur=22,
    ),
    "tech": Look(
        contrast=1.05,
        brightness=1.08,
        tint=(0.97, 1.0, 1.06),
        backdrop=((235, 240, 245), (190, 200, 210)),
        backdrop_mix=0.5,
        background_blur=16,
    ),
    "academic": Look(
        saturation=0.8,
        tint=(1.05, 1.0, 0.9),
        backdrop=((120, 85, 55), (60, 40, 25)),
        backdrop_mix=0.6,
        background_blur=14,
        vignette=0.2,
    ),
}


@dataclass(frozen=True)
class Framing:
    """How one variant departs from seed 0's picture: a closer crop, a step aside, light."""

    zoom: float = 1.0  # share of the default crop kept
    across: float = 0.0  # shift of the crop, as a share of its width
    brightness: float = 1.0

    @classmethod
    def of(cls, seed: int) -> Framing:
        if seed == 0:
            return cls()
        rng = random.Random(seed)
        return cls(
            zoom=rng.uniform(0.86, 0.96),
            across=rng.uniform(-0.04, 0.04),
            brightness=rng.uniform(0.95, 1.06),
        )


class OfflineStylizer:
    """Implements ImageGenerator with a head-and-shoulders crop and a per-style grade.

    It cannot tell a face from a wall: it assumes a selfie (subject centred, face in the
    upper third) and separates subject from background with a fixed soft silhouette.
    With several photos it styles the first (the main one); the others are for a model's
    likeness, which a grade cannot use.

    `delay_seconds` (OFFLINE_DELAY_SECONDS) makes each call take at least that long, as a
    model's does, so cancelling a running job can be tried by hand.
    """

    def __init__(self, delay_seconds: float = 0.0) -> None:
        self._delay = delay_seconds
        self._grain = _grain_tile()
        self._silhouettes: dict[Size, Image.Image] = {}
        self._lock = threading.Lock()

    @property
    def model_name(self) -> str:
        return "offline-stylizer"

    def generate(
        self,
        images: Sequence[ImageData],
        style: Style,
        *,
        aspect_ratio: str = "1:1",
        seed: int = 0,
    ) -> GeneratedImage:
        """A PNG of `aspect_ratio`, longest side 1024; the same input and seed give the same
        bytes, another seed a slightly other framing and light, as a model's variants differ."""
        if not images:
            raise InvalidImage("No photo to stylize")
        answer_at = time.monotonic() + self._delay
        size = output_size(aspect_ratio)
        framing = Framing.of(seed)
        portrait = _head_and_shoulders(_decode(images[0].data), size, framing)
        look = LOOKS.get(style.id, NEUTRAL)
        if framing.brightness != 1.0:
            look = replace(look, brightness=look.brightness * framing.brightness)
        subject = _grade(portrait, look)
        background = self._background(portrait, look)
        result = Image.composite(subject, background, self._silhouette(size))
        if look.grain:
            result = self._add_grain(result, look.grain)
        if look.vignette:
            result = _vignette(result, look.vignette)
        out = io.BytesIO()
        result.save(out, "PNG")
        time.sleep(max(0.0, answer_at - time.monotonic()))
        return GeneratedImage(
            data=out.getvalue(),
            content_type="image/png",
            model=self.model_name,
            # Filters, not a trained model: IPTC's algorithmicMedia (docs/api.md).
            source_type=DigitalSourceType.ALGORITHMIC_MEDIA,
        )

    def _background(self, portrait: Image.Image, look: Look) -> Image.Image:
        background = _grade(portrait, look)
        if look.background_blur:
            background = background.filter(ImageFilter.GaussianBlur(look.background_blur))
        if look.backdrop and look.backdrop_mix:
            backdrop = _vertical_gradient(*look.backdrop, size=portrait.size)
            if look.grayscale:
                backdrop = ImageOps.grayscale(backdrop).convert("RGB")
            background = Image.blend(background, backdrop, look.backdrop_mix)
        return background

    def _silhouette(self, size: Size) -> Image.Image:
        with self._lock:  # one mask per shape, built once: blurring it is the slow part
            if size not in self._silhouettes:
                self._silhouettes[size] = _silhouette(size)
            return self._silhouettes[size]

    def _add_grain(self, image: Image.Image, amplitude: int) -> Image.Image:
        grain = self._grain.crop((0, 0, *image.size))
        grain = grain.point(lambda v: 128 + (v - 128) * amplitude // 128)
        return ImageChops.add(image, Image.merge("RGB", (grain, grain, grain)), offset=-128)


def output_size(aspect_ratio: str) -> Size:
    """Width and height of a `W:H` ratio with its longest side LONG_SIDE; ValueError if bad."""
    try:
        across, down = (int(part) for part in aspect_ratio.split(":"))
    except ValueError:
        raise ValueError(f"aspect ratio {aspect_ratio!r} is not W:H") from None
    if across < 1 or down < 1:
        raise ValueError(f"aspect ratio {aspect_ratio!r} is not W:H")
    if across >= down:
        return LONG_SIDE, max(1, round(LONG_SIDE * down / across))
    return max(1, round(LONG_SIDE * across / down)), LONG_SIDE


def _decode(data: bytes) -> Image.Image:
    try:
        with Image.open(io.BytesIO(data), formats=["JPEG", "PNG", "WEBP"]) as opened:
            width, height = opened.size
            if width * height > MAX_INPUT_PIXELS:
                raise InvalidImage(f"{width}x{height} pixels is too large to stylize")
            opened.load()
            return ImageOps.exif_transpose(opened).convert("RGB")
    except InvalidImage:
        raise
    except Exception:  # any decoder failure means the input is not a usable image
        log.info("offline stylizer could not decode the photo", exc_info=True)
        raise InvalidImage("We couldn't read this file as a photo (JPEG, PNG or WebP)") from None


def _head_and_shoulders(image: Image.Image, size: Size, framing: Framing) -> Image.Image:
    """A crop of the output's shape, centred across (give or take the framing's step), with
    the face assumed in the upper third of a selfie."""
    width, height = image.size
    shape = size[0] / size[1]
    crop_w, crop_h = (width, width / shape) if width / height < shape else (height * shape, height)
    if height > width:
        # tighter on tall selfies, where the body fills the bottom
        crop_w, crop_h = crop_w * 0.95, crop_h * 0.95
    crop_w, crop_h = crop_w * framing.zoom, crop_h * framing.zoom
    crop_w, crop_h = max(1, round(crop_w)), max(1, round(crop_h))
    left = min(max(0, (width - crop_w) // 2 + round(framing.across * crop_w)), width - crop_w)
    top = int((height - crop_h) * 0.3)  # keep the head: crop mostly from below
    frame = image.crop((left, top, left + crop_w, top + crop_h))
    return frame.resize(size, Image.Resampling.LANCZOS)


def _grade(image: Image.Image, look: Look) -> Image.Image:
    if look.grayscale:
        image = ImageOps.grayscale(image).convert("RGB")
    if look.tint != (1.0, 1.0, 1.0):
        channels = [
            band.point(lambda v, gain=gain: min(255, round(v * gain)))
            for band, gain in zip(image.split(), look.tint, strict=True)
        ]
        image = Image.merge("RGB", channels)
    for enhancer, amount in (
        (ImageEnhance.Color, look.saturation),
        (ImageEnhance.Contrast, look.contrast),
        (ImageEnhance.Brightness, look.brightness),
    ):
        if amount != 1.0:
            image = enhancer(image).enhance(amount)
    return image


def _silhouette(size: Size) -> Image.Image:
    """A soft mask of a head over shoulders: white where the subject probably is.

    Drawn on the 1024 square and scaled, so a taller frame gets a taller figure."""
    mask = Image.new("L", (LONG_SIDE, LONG_SIDE), 0)
    draw = ImageDraw.Draw(mask)
    draw.ellipse((282, 110, 742, 690), fill=255)  # head and neck
    draw.ellipse((40, 640, 984, 1500), fill=255)  # shoulders, running off the bottom
    return mask.filter(ImageFilter.GaussianBlur(48)).resize(size, Image.Resampling.BILINEAR)


def _vertical_gradient(top: RGB, bottom: RGB, size: Size) -> Image.Image:
    ramp = Image.linear_gradient("L").resize(size)
    return Image.composite(Image.new("RGB", size, bottom), Image.new("RGB", size, top), ramp)


def _vignette(image: Image.Image, strength: float) -> Image.Image:
    edges = Image.radial_gradient("L").resize(image.size).point(lambda v: min(255, v * 2 // 3))
    darker = ImageEnhance.Brightness(image).enhance(1.0 - strength)
    return Image.composite(darker, image, edges)


def _grain_tile() -> Image.Image:
    """Film grain from a fixed seed, so the output never varies between runs."""
    rng = random.Random(1024)
    tile = Image.frombytes("L", (128, 128), bytes(rng.randrange(256) for _ in range(128 * 128)))
    grain = Image.new("L", (LONG_SIDE, LONG_SIDE))
    for x in range(0, LONG_SIDE, 128):
        for y in range(0, LONG_SIDE, 128):
            grain.paste(tile, (x, y))
    return grain
