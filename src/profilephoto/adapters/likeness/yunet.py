"""YuNet (OpenCV Zoo, 2023mar, int8 block-quantized) on onnxruntime: a face and its 5 points."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from profilephoto.adapters.likeness.runtime import session

FILE = "face_detection_yunet_2023mar_int8bq.onnx"
STRIDES = (8, 16, 32)
DIVISOR = 32  # the input's sides are padded to multiples of this, as OpenCV pads
# OpenCV Zoo's demo defaults (models/face_detection_yunet/demo.py).
MIN_SCORE = 0.6
NMS_IOU = 0.3
# The model finds faces of about 10 to 300 pixels: a portrait's face at this long side is
# well inside that range; a small face in a wide shot needs the larger one.
PORTRAIT_SIDE = 320
WIDE_SIDE = 640

# Rows of 15: x0, y0, x1, y1, then (x, y) of the right eye, left eye, nose tip, right and
# left mouth corners, then the score; in pixels of the image given to `detect`.
Faces = NDArray[np.float32]


class YuNet:
    """The detector; `detect` is safe across threads (onnxruntime sessions are)."""

    def __init__(self) -> None:
        self._session = session(FILE)
        (tensor,) = self._session.get_inputs()
        if list(tensor.shape) != [1, 3, "height", "width"]:
            raise RuntimeError(f"{FILE}: unexpected input shape {tensor.shape}")
        self._input = tensor.name
        self._outputs = [f"{kind}_{s}" for kind in ("cls", "obj", "bbox", "kps") for s in STRIDES]

    def detect(self, image: Image.Image, side: int = PORTRAIT_SIDE) -> Faces:
        """Faces in an RGB image, largest first, once it is scaled to `side` on its long side."""
        scale = side / max(image.size)
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        padded = (_padded(size[0]), _padded(size[1]))
        canvas = Image.new("RGB", padded)
        # reducing_gap: a cheap box shrink first, then the filter over far fewer pixels.
        canvas.paste(image.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0), (0, 0))
        # OpenCV hands the model BGR pixels, 0-255, channels first.
        pixels = np.asarray(canvas, dtype=np.float32)[:, :, ::-1]
        tensor = np.ascontiguousarray(pixels.transpose(2, 0, 1)[np.newaxis])
        outputs = self._session.run(self._outputs, {self._input: tensor})
        faces = _decode([o[0] for o in outputs], width=padded[0])
        faces[:, :14] /= scale
        areas = (faces[:, 2] - faces[:, 0]) * (faces[:, 3] - faces[:, 1])
        return faces[np.argsort(-areas)]


def _padded(side: int) -> int:
    return -(-side // DIVISOR) * DIVISOR


def _decode(outputs: list[NDArray[np.float32]], width: int) -> Faces:
    """Every grid cell above MIN_SCORE as a face, then non-maximum suppression (as OpenCV's
    FaceDetectorYN does: score = sqrt(cls * obj), offsets in cells, sizes as exp)."""
    found = []
    for n, stride in enumerate(STRIDES):
        cls, obj, box, kps = (outputs[n + k * len(STRIDES)] for k in range(4))
        score = np.sqrt(np.clip(cls[:, 0], 0, 1) * np.clip(obj[:, 0], 0, 1))
        keep = np.nonzero(score >= MIN_SCORE)[0]
        if not len(keep):
            continue
        cells = width // stride
        col = (keep % cells).astype(np.float32)
        row = (keep // cells).astype(np.float32)
        cx, cy = (col + box[keep, 0]) * stride, (row + box[keep, 1]) * stride
        w, h = np.exp(box[keep, 2]) * stride, np.exp(box[keep, 3]) * stride
        points = kps[keep].reshape(-1, 5, 2)
        points = (points + np.stack([col, row], axis=1)[:, None, :]) * stride
        found.append(
            np.concatenate(
                [
                    np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1),
                    points.reshape(-1, 10),
                    score[keep, None],
                ],
                axis=1,
            )
        )
    if not found:
        return np.zeros((0, 15), dtype=np.float32)
    return _nms(np.concatenate(found).astype(np.float32))


def _nms(faces: Faces) -> Faces:
    ordered = faces[np.argsort(-faces[:, 14])]
    kept = []
    while len(ordered):
        best, rest = ordered[0], ordered[1:]
        kept.append(best)
        width = np.minimum(best[2], rest[:, 2]) - np.maximum(best[0], rest[:, 0])
        height = np.minimum(best[3], rest[:, 3]) - np.maximum(best[1], rest[:, 1])
        inter = np.clip(width, 0, None) * np.clip(height, 0, None)
        union = (best[2] - best[0]) * (best[3] - best[1])
        union = union + (rest[:, 2] - rest[:, 0]) * (rest[:, 3] - rest[:, 1]) - inter
        ordered = rest[inter <= NMS_IOU * np.maximum(union, 1e-6)]
    return np.stack(kept)
