"""A photo inspector that sees one clear face in every image unless told otherwise."""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any

from profilephoto.adapters.memory.generator import sniff
from profilephoto.domain.errors import InvalidImage
from profilephoto.domain.models import ImageData
from profilephoto.domain.photo_measures import FaceBox, FaceLight, PhotoMeasures

SIDE = 768


def portrait_measures(**changes: Any) -> PhotoMeasures:
    """What a good selfie measures: one large, well-lit, sharp face in a 768 px square."""
    good = PhotoMeasures(
        width=SIDE,
        height=SIDE,
        mean_luma=120.0,
        faces=(FaceBox(left=234.0, top=180.0, width=300.0, height=300.0, score=0.95),),
        main_face=FaceLight(p95_luma=200.0, bright_share=0.0, sharpness=0.3),
    )
    return replace(good, **changes)


class InMemoryPhotoInspector:
    """Answers from what it was shown (`see`), then from its script (`then`), else a good
    portrait; `inspected` keeps every photo it looked at."""

    def __init__(self) -> None:
        self.inspected: list[ImageData] = []
        self._known: dict[bytes, PhotoMeasures] = {}
        self._script: list[PhotoMeasures] = []
        self._lock = threading.Lock()

    def see(self, data: bytes, measures: PhotoMeasures) -> InMemoryPhotoInspector:
        """Report `measures` whenever these exact bytes are inspected."""
        with self._lock:
            self._known[data] = measures
        return self

    def then(self, *measures: PhotoMeasures) -> InMemoryPhotoInspector:
        """Report these for the next inspections, in order."""
        with self._lock:
            self._script.extend(measures)
        return self

    def inspect(self, image: ImageData) -> PhotoMeasures:
        if sniff(image.data) is None:
            raise InvalidImage("The photo is not a JPEG, PNG, WebP or HEIC image")
        with self._lock:
            self.inspected.append(image)
            if image.data in self._known:
                return self._known[image.data]
            return self._script.pop(0) if self._script else portrait_measures()
