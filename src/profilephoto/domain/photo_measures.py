"""What a photo inspector reports: the faces it found, the light and sharpness of the main one."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FaceBox:
    """One face the detector found, in pixels of the inspected image."""

    left: float
    top: float
    width: float
    height: float
    score: float

    @property
    def side(self) -> float:
        """The side of the square of the same area: one size for tall and wide boxes."""
        return float((max(self.width, 0.0) * max(self.height, 0.0)) ** 0.5)

    def overlap(self, other: FaceBox) -> float:
        """Share of the smaller box covered by the other: near 1 for two boxes of one face."""
        width = min(self.left + self.width, other.left + other.width) - max(self.left, other.left)
        height = min(self.top + self.height, other.top + other.height) - max(self.top, other.top)
        smaller = min(self.width * self.height, other.width * other.height)
        if width <= 0 or height <= 0 or smaller <= 0:
            return 0.0
        return width * height / smaller


@dataclass(frozen=True)
class FaceLight:
    """Light and sharpness of the central 80 % of the main face, in luma (0-255)."""

    p95_luma: float  # a percentile, so darker skin under good light is not called dark
    bright_share: float  # share of face pixels at or above 250: burnt out
    sharpness: float  # variance of the Laplacian / variance of the 64x64 face crop


@dataclass(frozen=True)
class PhotoMeasures:
    """What an inspector saw: faces largest first, the whole image's light, the main face's."""

    width: int
    height: int
    mean_luma: float
    faces: tuple[FaceBox, ...] = ()
    main_face: FaceLight | None = None
    burnt_share: float = 0.0  # share of the whole image's pixels at or above 250
