"""Gemini's price table: the estimated cost of a call from its token counts."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from profilephoto.domain.errors import InvalidRequest


@dataclass(frozen=True)
class ModelPrice:
    """US dollars per million tokens, as Google's pricing page lists them."""

    input: float
    text_output: float  # text and thinking tokens
    image_output: float


# Gemini Developer API, paid tier, standard (not batch) prices, read 2026-11-30 (2.1:
# 2026-12-03); sources and the per-image figures they give are in docs/gemini.md ("Cost
# per job").
DEFAULT_PRICES: Mapping[str, ModelPrice] = {
    "gemini-nano-banana-2.1": ModelPrice(input=1.50, text_output=7.50, image_output=30.00),
    "gemini-3.1-flash-image": ModelPrice(input=0.50, text_output=3.00, image_output=60.00),
    "gemini-3-pro-image": ModelPrice(input=2.00, text_output=12.00, image_output=120.00),
    "gemini-2.5-flash-image": ModelPrice(input=0.30, text_output=2.50, image_output=30.00),
}
PER_MILLION = 1_000_000


@dataclass(frozen=True)
class PriceTable:
    prices: Mapping[str, ModelPrice] = field(default_factory=lambda: dict(DEFAULT_PRICES))

    def cost(self, model: str, usage: Mapping[str, int]) -> float | None:
        """Dollars for one call's `usage` (the names `metadata.usage` records), or None when
        the model has no price or reported no tokens.

        Without a per-modality split, every output token is priced as an image token: an
        image model's output is almost all image, and an estimate should not run low.
        """
        price = self.prices.get(model)
        if price is None or not usage:
            return None
        image_out = usage.get("outputImageTokens")
        if image_out is None:
            image_out = usage.get("outputTokens", 0)
            text_out = 0
        else:
            text_out = usage.get("outputTextTokens", usage.get("outputTokens", 0) - image_out)
        text_out += usage.get("thoughtsTokens", 0)
        dollars = (
            usage.get("promptTokens", 0) * price.input
            + max(text_out, 0) * price.text_output
            + image_out * price.image_output
        ) / PER_MILLION
        return round(dollars, 6)

    def with_overrides(self, text: str | None) -> PriceTable:
        """This table with a deployment's MODEL_PRICES (JSON) laid over it, e.g.
        `{"my-model": {"input": 0.5, "textOutput": 3, "imageOutput": 60}}`."""
        if not text or not text.strip():
            return self
        try:
            given = json.loads(text)
            overrides = {
                str(model): ModelPrice(
                    input=float(entry["input"]),
                    text_output=float(entry["textOutput"]),
                    image_output=float(entry["imageOutput"]),
                )
                for model, entry in given.items()
            }
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            raise InvalidRequest(
                "MODEL_PRICES must be a JSON object of "
                '{"model": {"input": n, "textOutput": n, "imageOutput": n}} '
                f"in dollars per million tokens ({type(error).__name__}: {error})"
            ) from None
        if any(p < 0 for price in overrides.values() for p in vars(price).values()):
            raise InvalidRequest("MODEL_PRICES may not hold negative prices")
        return PriceTable({**self.prices, **overrides})
