"""A face matcher that sees the same person in every image unless told otherwise."""

from __future__ import annotations

import threading

from profilephoto.adapters.memory.generator import sniff
from profilephoto.domain.errors import InvalidImage
from profilephoto.domain.face_embedding import FaceEmbedding
from profilephoto.domain.models import ImageData

# Two people as far apart as faces get (cosine 0), and one in between (cosine 0.6 to both).
THE_USER = FaceEmbedding.of([1.0, 0.0, 0.0])
A_STRANGER = FaceEmbedding.of([0.0, 1.0, 0.0])
A_LOOKALIKE = FaceEmbedding.of([0.6, 0.0, 0.8])


class InMemoryFaceMatcher:
    """Answers from what it was shown (`see`: a face, or None for no face), else THE_USER;
    `embedded` keeps every image it looked at."""

    def __init__(self) -> None:
        self.embedded: list[ImageData] = []
        self._known: dict[bytes, FaceEmbedding | None] = {}
        self._lock = threading.Lock()

    def see(self, data: bytes, face: FaceEmbedding | None) -> InMemoryFaceMatcher:
        """Report `face` whenever an image starting with these bytes is embedded (a result
        is stored with its AI label after the pixels)."""
        with self._lock:
            self._known[data] = face
        return self

    def embed(self, image: ImageData) -> FaceEmbedding | None:
        if sniff(image.data) is None:
            raise InvalidImage("The image is not a JPEG, PNG, WebP or HEIC image")
        with self._lock:
            self.embedded.append(image)
            seen = [known for known in self._known if image.data.startswith(known)]
            return self._known[max(seen, key=len)] if seen else THE_USER
