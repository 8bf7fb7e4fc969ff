"""What a face matcher reports: a unit-length embedding of one face, compared by cosine."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class FaceEmbedding:
    """One face as a unit vector: two faces of one person point the same way."""

    vector: tuple[float, ...]

    @staticmethod
    def of(values: Sequence[float]) -> FaceEmbedding:
        """The embedding along `values`, scaled to unit length; ValueError for a zero vector."""
        norm = math.sqrt(math.fsum(v * v for v in values))
        if not norm or not math.isfinite(norm):
            raise ValueError("a face embedding needs a finite, non-zero vector")
        return FaceEmbedding(tuple(float(v) / norm for v in values))

    def similarity(self, other: FaceEmbedding) -> float:
        """Cosine similarity, -1 (opposite) ... 1 (the same direction)."""
        try:
            dot = math.fsum(a * b for a, b in zip(self.vector, other.vector, strict=True))
        except ValueError:
            raise ValueError("embeddings of different models cannot be compared") from None
        return max(-1.0, min(1.0, dot))


def centroid(embeddings: Sequence[FaceEmbedding]) -> FaceEmbedding:
    """The direction of the mean of several faces of one person (their common likeness)."""
    if not embeddings:
        raise ValueError("the centroid of no face")
    width = len(embeddings[0].vector)
    return FaceEmbedding.of(
        [math.fsum(e.vector[i] for e in embeddings) / len(embeddings) for i in range(width)]
    )
