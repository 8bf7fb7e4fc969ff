"""The price table: a job's estimated cost from the token counts the model reported."""

from __future__ import annotations

import pytest

from profilephoto.adapters.gemini_pricing import ModelPrice, PriceTable
from profilephoto.domain.errors import InvalidRequest

FLASH = "gemini-3.1-flash-image"
# One 1K portrait from one high-resolution photo, as the fake endpoint reports it.
USAGE = {
    "promptTokens": 1390,
    "promptTextTokens": 270,
    "promptImageTokens": 1120,
    "outputTokens": 1120,
    "outputImageTokens": 1120,
    "thoughtsTokens": 233,
    "totalTokens": 2743,
}


def test_a_1k_portrait_on_flash_image_costs_about_seven_cents():
    # 1390 x $0.50 + 233 x $3.00 + 1120 x $60.00, per million tokens
    assert PriceTable().cost(FLASH, USAGE) == pytest.approx(0.000695 + 0.000699 + 0.0672)


def test_text_output_is_priced_as_text_and_thinking_as_text():
    usage = {
        "promptTokens": 0,
        "outputTokens": 1200,
        "outputImageTokens": 1120,
        "outputTextTokens": 80,
        "thoughtsTokens": 20,
    }
    assert PriceTable().cost(FLASH, usage) == pytest.approx((100 * 3.0 + 1120 * 60.0) / 1e6)


def test_without_a_modality_split_every_output_token_is_priced_as_an_image():
    usage = {"promptTokens": 1000, "outputTokens": 1120}
    assert PriceTable().cost(FLASH, usage) == pytest.approx((1000 * 0.5 + 1120 * 60.0) / 1e6)


def test_a_model_without_a_price_or_a_call_without_counts_has_no_cost():
    assert PriceTable().cost("offline-stylizer", USAGE) is None
    assert PriceTable().cost(FLASH, {}) is None


def test_a_deployment_overrides_a_price_and_adds_a_model():
    table = PriceTable().with_overrides(
        '{"gemini-3.1-flash-image": {"input": 0.25, "textOutput": 1.5, "imageOutput": 30},'
        ' "my-model": {"input": 1, "textOutput": 1, "imageOutput": 1}}'
    )
    assert table.prices[FLASH] == ModelPrice(input=0.25, text_output=1.5, image_output=30)
    assert table.cost("my-model", {"promptTokens": 1_000_000}) == 1.0
    assert table.prices["gemini-3-pro-image"] == PriceTable().prices["gemini-3-pro-image"]


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        '["a"]',
        '{"m": {"input": 1}}',
        '{"m": {"input": -1, "textOutput": 1, "imageOutput": 1}}',
    ],
)
def test_a_malformed_override_is_refused_saying_what_it_should_be(text):
    with pytest.raises(InvalidRequest, match="MODEL_PRICES"):
        PriceTable().with_overrides(text)


def test_nano_banana_2_1_costs_about_half_of_3_1_for_a_1k_portrait():
    """docs/gemini.md, "Cost per job": $30 per million image tokens, 1,120 per 1K image."""
    usage = {
        "promptTokens": 1390,
        "outputTokens": 1120,
        "thoughtsTokens": 233,
        "outputImageTokens": 1120,
    }
    table = PriceTable()
    new, old = (
        table.cost("gemini-nano-banana-2.1", usage),
        table.cost("gemini-3.1-flash-image", usage),
    )
    assert new == pytest.approx(0.0013900 * 1.5 + 0.000233 * 7.5 + 0.00112 * 30, abs=1e-6)
    assert 0.5 < new / old < 0.6
