"""A generator that follows a script and an image seam that only checks magic bytes."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from profilephoto.domain.errors import GenerationFailed, InvalidImage
from profilephoto.domain.models import GeneratedImage, ImageData, Style

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_SIGNATURES = (
    (PNG_SIGNATURE, "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)


def sniff(data: bytes) -> str | None:
    """The image type the leading bytes declare (JPEG, PNG, WebP, HEIC/HEIF), or None."""
    for signature, content_type in _SIGNATURES:
        if data.startswith(signature):
            return content_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:8] == b"ftyp" and data[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"heif"):
        return "image/heic"
    return None


@dataclass(frozen=True)
class GeneratorCall:
    """What one `generate` call was asked: the photos (main first), the style, the shape
    and the seed (its answer does not depend on the seed: a test tells calls apart by it)."""

    images: tuple[ImageData, ...]
    style: Style
    aspect_ratio: str
    seed: int = 0


Outcome = Exception | GeneratedImage | None


class ScriptedImageGenerator:
    """Plays its script in order (an exception is raised, an image is returned as it is,
    None succeeds), then succeeds."""

    def __init__(
        self,
        script: list[Outcome] | None = None,
        model: str = "scripted-fake",
        cost_usd: float | None = None,
    ) -> None:
        self.script = list(script or [])
        self.calls: list[GeneratorCall] = []
        self._model = model
        self.cost_usd = cost_usd  # what each unscripted call reports it cost
        self._lock = threading.Lock()

    @property
    def model_name(self) -> str:
        return self._model

    def then(self, *outcomes: Outcome) -> ScriptedImageGenerator:
        with self._lock:
            self.script.extend(outcomes)
        return self

    def generate(
        self,
        images: Sequence[ImageData],
        style: Style,
        *,
        aspect_ratio: str = "1:1",
        seed: int = 0,
    ) -> GeneratedImage:
        if not images:
            raise InvalidImage("No photo to generate from")
        with self._lock:
            self.calls.append(GeneratorCall(tuple(images), style, aspect_ratio, seed))
            outcome = self.script.pop(0) if self.script else None
        if isinstance(outcome, GeneratedImage):
            return outcome
        if outcome is not None:
            raise outcome
        asked = b"".join(image.data for image in images) + style.id.encode() + aspect_ratio.encode()
        digest = hashlib.sha256(asked).digest()
        return GeneratedImage(
            data=PNG_SIGNATURE + digest,
            content_type="image/png",
            model=self._model,
            usage={"promptTokens": 10, "outputTokens": 20},
            cost_usd=self.cost_usd,
        )


class PassthroughImageProcessor:
    """Trusts nothing but the signature: unknown bytes are InvalidImage; no pixels touched."""

    def __init__(self) -> None:
        self.max_sides: list[int | None] = []  # the size asked for, one entry per photo

    def normalize_upload(self, data: bytes, max_side: int | None = None) -> ImageData:
        self.max_sides.append(max_side)
        content_type = sniff(data)
        if content_type is None:
            raise InvalidImage("The upload is not a JPEG, PNG, WebP or HEIC image")
        return ImageData(data=data, content_type=content_type)

    def encode_result(self, image: GeneratedImage) -> ImageData:
        content_type = sniff(image.data)
        if content_type is None:
            raise GenerationFailed("The model returned something that is not an image")
        return ImageData(data=image.data, content_type=content_type)
