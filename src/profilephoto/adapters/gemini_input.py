"""How much of each photo Gemini is sent: its media_resolution and its pixel size."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class MediaResolution(StrEnum):
    """Gemini 3's per-image token budget (docs/gemini.md, "Input policy")."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def tokens(self) -> int:
        """Input tokens the model spends on one image at this level (Google's media
        resolution table: 280 / 560 / 1,120)."""
        return _TOKENS[self]

    @property
    def long_side(self) -> int:
        """Pixels on the photo's longest side that this level can use: more is sent and
        billed for nothing, fewer throws away likeness the budget would have kept."""
        return _LONG_SIDE[self]


_TOKENS = {MediaResolution.LOW: 280, MediaResolution.MEDIUM: 560, MediaResolution.HIGH: 1120}
# HIGH spends the tokens a 1K (~1 MP) image costs on the output side, so ~1024 px; each level
# down halves the tokens and so the area: 1024 / sqrt(2) ~ 724, rounded up to JPEG's 8-pixel
# blocks at 768, and half of 1024 at 512 (docs/gemini.md has the arithmetic).
_LONG_SIDE = {MediaResolution.LOW: 512, MediaResolution.MEDIUM: 768, MediaResolution.HIGH: 1024}


@dataclass(frozen=True)
class InputPolicy:
    """The main photo carries the likeness; the other photos only confirm it."""

    main: MediaResolution = MediaResolution.HIGH
    references: MediaResolution = MediaResolution.MEDIUM

    def resolution(self, index: int) -> MediaResolution:
        """The level of photo `index` (0 = the main photo)."""
        return self.main if index == 0 else self.references

    def long_side(self, index: int) -> int:
        """The longest side, in pixels, photo `index` is shrunk to."""
        return self.resolution(index).long_side

    def image_tokens(self, photos: int) -> int:
        """Input image tokens of one model call with `photos` photos."""
        return sum(self.resolution(i).tokens for i in range(photos))
