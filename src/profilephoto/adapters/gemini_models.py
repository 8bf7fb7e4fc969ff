"""What each Gemini image model offers (docs/gemini.md, "Models"): output sizes, status."""

from __future__ import annotations

from collections.abc import Sequence

# imageConfig.imageSize values per model. 2.1 dropped 512 (Google's changelog, 2026-10-06:
# "1K, 2K and 4K"); a model not listed here is not checked.
IMAGE_SIZES: dict[str, tuple[str, ...]] = {
    "gemini-nano-banana-2.1": ("1K", "2K", "4K"),
    "gemini-3.1-flash-image": ("512", "1K", "2K", "4K"),
    "gemini-3-pro-image": ("1K", "2K", "4K"),
}
# Deprecated by Google but still answering (the day it was deprecated).
DEPRECATED = {"gemini-3.1-flash-image": "2026-10-06"}
SUCCESSOR = "gemini-nano-banana-2.1"


def size_refusals(size: str, models: Sequence[tuple[str, str]]) -> list[str]:
    """One sentence per (variable, model) that does not offer `size`, naming both."""
    return [
        f"IMAGE_SIZE={size} is not offered by {variable}={model} "
        f"(it offers {', '.join(IMAGE_SIZES[model])})"
        for variable, model in models
        if model in IMAGE_SIZES and size not in IMAGE_SIZES[model]
    ]
