"""FaceMatcher on onnxruntime: YuNet finds the largest face and its points, SFace embeds it."""

from __future__ import annotations

import io

from PIL import Image

from profilephoto.adapters.likeness.sface import SFace
from profilephoto.adapters.likeness.yunet import WIDE_SIDE, YuNet
from profilephoto.domain.errors import InvalidImage
from profilephoto.domain.face_embedding import FaceEmbedding
from profilephoto.domain.models import ImageData

# A larger image is decoded at about this size (JPEG's draft mode, then a cheap halving):
# plenty of pixels for a 112 px crop of a face, few enough to keep the decode cheap.
DECODED_SIDE = 1024
FORMATS = ["JPEG", "PNG", "WEBP"]  # what the image seam hands over (uploads and results)


class OnnxFaceMatcher:
    """Implements FaceMatcher. Both models load when it is built (about 11 MB)."""

    def __init__(self) -> None:
        self._detector = YuNet()
        self._recognizer = SFace()

    def embed(self, image: ImageData) -> FaceEmbedding | None:
        rgb = _decode(image.data)
        faces = self._detector.detect(rgb)
        if not len(faces):  # a face too small at a portrait's scale: look at the full canvas
            faces = self._detector.detect(rgb, side=WIDE_SIDE)
        if not len(faces):
            return None
        features = self._recognizer.embed(rgb, faces[0, 4:14].reshape(5, 2))
        try:
            return FaceEmbedding.of(features.tolist())
        except ValueError:  # a degenerate crop (all one colour) says nothing about anyone
            return None


def _decode(data: bytes) -> Image.Image:
    """The image as RGB, at most DECODED_SIDE a side; InvalidImage if it is not one."""
    try:
        with Image.open(io.BytesIO(data), formats=FORMATS) as opened:
            opened.draft("RGB", (DECODED_SIDE, DECODED_SIDE))
            rgb = opened.convert("RGB")
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise InvalidImage(f"The image could not be read ({type(error).__name__})") from None
    factor = max(rgb.size) // DECODED_SIDE
    return rgb.reduce(factor) if factor > 1 else rgb
