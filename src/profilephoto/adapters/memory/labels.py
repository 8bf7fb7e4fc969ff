"""A labeler that appends a readable, hash-bound note instead of XMP and C2PA."""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass

from profilephoto.adapters.memory.faults import FaultInjector
from profilephoto.domain.labels import DigitalSourceType, FoundLabel
from profilephoto.domain.models import GeneratedImage, ImageData

# After the image's own end (PNG IEND, JPEG EOI, the WebP RIFF size): decoders skip it.
MARK = b"\x00profilephoto-memory-label:"
SIGNER = "memory fake"


@dataclass(frozen=True)
class RecordedLabel:
    content_type: str
    model: str
    source_type: DigitalSourceType


class RecordingLabeler(FaultInjector):
    """Implements ContentLabeler: each label is recorded (`.labels`) and appended to the
    bytes with the SHA-256 of what it labels, so a changed file reads as not intact, as a
    signed C2PA manifest does. `fail_next(LabelingFailed())` makes the next label fail."""

    def __init__(self) -> None:
        super().__init__()
        self.labels: list[RecordedLabel] = []
        self._lock = threading.Lock()

    def label(self, image: ImageData, origin: GeneratedImage) -> ImageData:
        self._maybe_fail("label")
        note = {
            "sourceType": str(origin.source_type),
            "model": origin.model,
            "sha256": hashlib.sha256(image.data).hexdigest(),
        }
        with self._lock:
            self.labels.append(RecordedLabel(image.content_type, origin.model, origin.source_type))
        labelled = image.data + MARK + json.dumps(note).encode()
        return image.model_copy(update={"data": labelled})

    def read(self, data: bytes) -> FoundLabel | None:
        at = data.rfind(MARK)
        if at < 0:
            return None
        try:
            note = json.loads(data[at + len(MARK) :])
            source_type = DigitalSourceType(note["sourceType"])
        except (ValueError, KeyError, TypeError):
            return None
        intact = hashlib.sha256(data[:at]).hexdigest() == note.get("sha256")
        return FoundLabel(source_type, note.get("model"), signed=True, intact=intact, signer=SIGNER)
