"""The likeness check after the model: each result's face against the user's photos, a poor
one made again (bounded), results ordered best first and the ones still poor named."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from profilephoto.domain.errors import InvalidImage, ProfilePhotoError
from profilephoto.domain.face_embedding import FaceEmbedding, centroid
from profilephoto.domain.models import GeneratedImage, ImageData
from profilephoto.domain.ports import FaceMatcher

log = logging.getLogger(__name__)

# SFace's published cosine threshold for "the same person" (OpenCV Zoo's sface.py); on the
# validation set it lies between the worst same-person and best other-person scores
# (docs/api.md, "Likeness").
DEFAULT_MIN = 0.363

Made = tuple[GeneratedImage, ImageData]  # one model answer, and the image as it is stored


@dataclass(frozen=True)
class LikenessPolicy:
    """LIKENESS_MIN: the cosine a result's face must reach; LIKENESS_RETRIES: how many more
    model calls one image may get to reach it."""

    min_score: float = DEFAULT_MIN
    retries: int = 1


@dataclass(frozen=True)
class Scored:
    """One image of a job: the answer kept, its likeness, and every answer paid for."""

    made: GeneratedImage
    image: ImageData
    calls: tuple[GeneratedImage, ...]  # the kept one among them
    checked: bool = False
    score: float | None = None  # None when checked: the result shows no face

    def below(self, policy: LikenessPolicy) -> bool:
        """Checked, and no face or a face short of the bar."""
        return self.checked and (self.score is None or self.score < policy.min_score)


class LikenessCheck:
    """The rule; `None` policy (LIKENESS_CHECK=off) makes every call a pass-through."""

    def __init__(self, matcher: FaceMatcher, policy: LikenessPolicy | None) -> None:
        self._matcher, self._policy = matcher, policy

    def reference(self, photos: Sequence[ImageData]) -> FaceEmbedding | None:
        """Who the results must look like: the centroid of the faces in the job's photos;
        None (no check) when the check is off or no photo shows a face."""
        if self._policy is None:
            return None
        faces = [face for face in map(self._matcher.embed, photos) if face is not None]
        return centroid(faces) if faces else None

    def best_of(self, make: Callable[[], Made], reference: FaceEmbedding | None) -> Scored:
        """`make()` once; while the best answer is below the bar, again, up to the policy's
        retries. A retry that fails keeps what was made: the image is still delivered."""
        generated, image = make()
        if reference is None or self._policy is None:
            return Scored(generated, image, (generated,))
        best = Scored(generated, image, (generated,), True, self._score(image, reference))
        calls = [generated]
        for _ in range(self._policy.retries):
            if not best.below(self._policy):
                break
            try:
                generated, image = make()
            except ProfilePhotoError as error:  # keep the best so far: it is still delivered
                log.info("likeness retry failed", extra={"code": error.code})
                break
            calls.append(generated)
            score = self._score(image, reference)
            if _rank(score) > _rank(best.score):
                best = Scored(generated, image, (), True, score)
        return Scored(best.made, best.image, tuple(calls), True, best.score)

    def _score(self, image: ImageData, reference: FaceEmbedding) -> float | None:
        try:
            face = self._matcher.embed(image)
        except InvalidImage:  # nothing a face matcher can read is a face
            return None
        return None if face is None else face.similarity(reference)

    def summary(self, images: Sequence[Scored]) -> tuple[list[Scored], dict[str, object], int]:
        """The images best first, what the job's metadata says of their likeness, and how
        many are below the bar (each of their units goes back). Unchecked: as they came."""
        if self._policy is None or not any(s.checked for s in images):
            return list(images), {}, 0
        ordered = sorted(images, key=lambda s: _rank(s.score), reverse=True)
        low = sum(s.below(self._policy) for s in ordered)
        metadata: dict[str, object] = {
            "likeness": [None if s.score is None else round(s.score, 3) for s in ordered],
            "likenessMin": self._policy.min_score,
            "likenessRetries": sum(len(s.calls) - 1 for s in ordered),
        }
        if low:
            metadata |= {"lowLikeness": True, "lowLikenessImages": low}
        return ordered, metadata, low


def _rank(score: float | None) -> float:
    return -2.0 if score is None else score  # no face ranks below every face
