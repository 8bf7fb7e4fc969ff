"""SFace (OpenCV Zoo, 2021dec, int8 block-quantized) on onnxruntime: an aligned face, embedded."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from profilephoto.adapters.likeness.runtime import session

FILE = "face_recognition_sface_2021dec_int8bq.onnx"
SIDE = 112
# Where the five points (right eye, left eye, nose tip, right and left mouth corners) sit
# in the 112x112 crop SFace was trained on: the template of OpenCV's FaceRecognizerSF.
TEMPLATE = np.array(
    [
        [38.2946, 51.6963],
        [73.5318, 51.5014],
        [56.0252, 71.7366],
        [41.5493, 92.3655],
        [70.7299, 92.2041],
    ]
)


class SFace:
    """The recognizer; `embed` is safe across threads (onnxruntime sessions are)."""

    def __init__(self) -> None:
        self._session = session(FILE)
        tensor = self._session.get_inputs()[0]
        if list(tensor.shape) != [1, 3, SIDE, SIDE]:
            raise RuntimeError(f"{FILE}: unexpected input shape {tensor.shape}")
        self._input = tensor.name

    def embed(self, image: Image.Image, points: NDArray[np.float32]) -> NDArray[np.float32]:
        """The 128 numbers of the face whose five points (5x2, pixels of `image`) are given."""
        face = align(image, points)
        # RGB, 0-255, channels first: what OpenCV's blobFromImage(swapRB=True) makes of BGR.
        tensor = np.asarray(face, dtype=np.float32).transpose(2, 0, 1)[np.newaxis]
        (features,) = self._session.run(None, {self._input: np.ascontiguousarray(tensor)})
        return np.asarray(features[0], dtype=np.float32)


def align(image: Image.Image, points: NDArray[np.float32]) -> Image.Image:
    """The 112x112 crop in which the five points land on the template (a similarity warp)."""
    forward = similarity_transform(np.asarray(points, dtype=np.float64), TEMPLATE)
    inverse = np.linalg.inv(np.vstack([forward, [0.0, 0.0, 1.0]]))[:2]
    # OpenCV puts pixel centres on integers, Pillow at +0.5: shift both ends by half a pixel.
    a, b, c = inverse[0]
    d, e, f = inverse[1]
    c += 0.5 - 0.5 * (a + b)
    f += 0.5 - 0.5 * (d + e)
    return image.transform(
        (SIDE, SIDE), Image.Transform.AFFINE, (a, b, c, d, e, f), Image.Resampling.BILINEAR
    )


def similarity_transform(
    source: NDArray[np.float64], target: NDArray[np.float64]
) -> NDArray[np.float64]:
    """The 2x3 rotation, uniform scale and shift that maps `source` points closest to
    `target` in least squares, never a mirror image (Umeyama, 1991)."""
    source_mean, target_mean = source.mean(axis=0), target.mean(axis=0)
    src, dst = source - source_mean, target - target_mean
    covariance = dst.T @ src / len(source)
    u, singular, vt = np.linalg.svd(covariance)
    signs = np.ones(2)
    if np.linalg.det(covariance) < 0:
        signs[1] = -1.0
    rotation = u @ np.diag(signs) @ vt
    variance = (src**2).sum() / len(source)
    scale = float((singular * signs).sum() / variance) if variance else 1.0
    shift = target_mean - scale * rotation @ source_mean
    return np.hstack([scale * rotation, shift[:, None]])
