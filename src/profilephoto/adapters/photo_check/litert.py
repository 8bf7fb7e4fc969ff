"""PhotoInspector on LiteRT: BlazeFace full range, then short range, and luma measures in numpy."""

from __future__ import annotations

import io
import threading

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from profilephoto.adapters.photo_check.blazeface import (
    FULL_RANGE,
    SHORT_RANGE,
    BlazeFace,
    Boxes,
    ModelSpec,
)
from profilephoto.domain.errors import InvalidImage
from profilephoto.domain.models import ImageData
from profilephoto.domain.photo_measures import FaceBox, FaceLight, PhotoMeasures

# Sizes are reported in a frame of this long side, so the rules' sizes (a 64 px face) mean
# a share of the frame whatever the upload's resolution. Pixels are only ever scaled down:
# upscaling a small photo made the detector see a face in a cat.
INSPECTED_SIDE = 768
# Face measures ignore the box's outer 10 % on each side: hair, ears and background.
FACE_CORE = 0.8
BURNT_OUT = 250  # luma at which a pixel holds no detail
CROP_SIDE = 64  # the face is compared at one size, so sharpness does not follow resolution
FORMATS = ["JPEG", "PNG", "WEBP"]  # what the image seam hands over after normalising


class LiteRtPhotoInspector:
    """Implements PhotoInspector. The full-range model loads when it is built; the
    short-range one on the first photo that needs it, off the cold start's path."""

    def __init__(self, full: ModelSpec = FULL_RANGE, short: ModelSpec = SHORT_RANGE) -> None:
        self._full = BlazeFace(full)
        self._short_spec = short
        self._short: BlazeFace | None = None
        self._lock = threading.Lock()

    def _short_range(self) -> BlazeFace:
        with self._lock:
            if self._short is None:
                self._short = BlazeFace(self._short_spec)
            return self._short

    def inspect(self, image: ImageData) -> PhotoMeasures:
        rgb = _decode(image.data)
        luma = np.asarray(rgb.convert("L"), dtype=np.float32)
        boxes = self._full.detect(rgb)
        if not len(boxes):  # the short-range model sees the close-ups full range misses
            boxes = self._short_range().detect(rgb)
        scale = INSPECTED_SIDE / max(rgb.size)
        frame = (round(rgb.width * scale), round(rgb.height * scale))
        faces = _face_boxes(boxes, frame)
        return PhotoMeasures(
            width=frame[0],
            height=frame[1],
            mean_luma=float(luma.mean()),
            faces=faces,
            main_face=_face_light(luma, boxes[np.argmax(_areas(boxes))]) if faces else None,
            burnt_share=float((luma >= BURNT_OUT).mean()),
        )


def _decode(data: bytes) -> Image.Image:
    """The photo as RGB, no larger than INSPECTED_SIDE; InvalidImage if it is not one."""
    try:
        with Image.open(io.BytesIO(data), formats=FORMATS) as opened:
            opened.draft("RGB", (INSPECTED_SIDE, INSPECTED_SIDE))
            rgb = opened.convert("RGB")
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise InvalidImage(f"The photo could not be read ({type(error).__name__})") from None
    rgb.thumbnail((INSPECTED_SIDE, INSPECTED_SIDE), Image.Resampling.LANCZOS)
    return rgb


def _areas(boxes: Boxes) -> NDArray[np.float32]:
    return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])


def _face_boxes(boxes: Boxes, size: tuple[int, int]) -> tuple[FaceBox, ...]:
    width, height = size
    faces = [
        FaceBox(
            left=float(x0 * width),
            top=float(y0 * height),
            width=float((x1 - x0) * width),
            height=float((y1 - y0) * height),
            score=float(score),
        )
        for x0, y0, x1, y1, score in boxes
    ]
    return tuple(sorted(faces, key=lambda f: f.side, reverse=True))


def _face_light(luma: NDArray[np.float32], box: NDArray[np.float32]) -> FaceLight | None:
    """Light and sharpness of the core of a face box (relative to the image); None when it
    lies outside the image."""
    rows, cols = luma.shape
    x0, x1 = float(box[0]) * cols, float(box[2]) * cols
    y0, y1 = float(box[1]) * rows, float(box[3]) * rows
    margin_x, margin_y = (x1 - x0) * (1 - FACE_CORE) / 2, (y1 - y0) * (1 - FACE_CORE) / 2
    top, bottom = max(0, round(y0 + margin_y)), min(rows, round(y1 - margin_y))
    left, right = max(0, round(x0 + margin_x)), min(cols, round(x1 - margin_x))
    if bottom - top < 2 or right - left < 2:
        return None
    core = luma[top:bottom, left:right]
    return FaceLight(
        p95_luma=float(np.percentile(core, 95)),
        bright_share=float((core >= BURNT_OUT).mean()),
        sharpness=_sharpness(core),
    )


def _sharpness(core: NDArray[np.float32]) -> float:
    """Variance of the Laplacian over variance of the face at 64x64: edges relative to
    contrast, so a dim sharp face is not called blurry and a bright blurred one is."""
    crop = Image.fromarray(core.astype(np.uint8)).resize(
        (CROP_SIDE, CROP_SIDE), Image.Resampling.BILINEAR
    )
    pixels = np.asarray(crop, dtype=np.float32)
    spread = float(pixels.var())
    if spread == 0:
        return 0.0
    laplacian = (
        pixels[:-2, 1:-1]
        + pixels[2:, 1:-1]
        + pixels[1:-1, :-2]
        + pixels[1:-1, 2:]
        - 4 * pixels[1:-1, 1:-1]
    )
    return float(laplacian.var()) / spread
