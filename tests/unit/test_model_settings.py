"""The model settings: MODEL_NAME, MODEL_FALLBACKS, IMAGE_SIZE, media resolutions, MODEL_PRICES."""

from __future__ import annotations

import pytest

from profilephoto.adapters.gemini_input import MediaResolution
from profilephoto.settings import ConfigurationError, load_settings


def test_the_defaults_are_nano_banana_2_1_at_1k_falling_back_to_3_1_then_pro():
    settings = load_settings()
    assert (settings.model_name, settings.image_size, settings.fallbacks) == (
        "gemini-nano-banana-2.1",
        "1K",
        ["gemini-3.1-flash-image", "gemini-3-pro-image"],
    )


def test_a_size_the_default_model_does_not_offer_is_refused_at_start_naming_both():
    with pytest.raises(ConfigurationError, match=r"IMAGE_SIZE=512 .* MODEL_NAME=gemini-nano"):
        load_settings(IMAGE_SIZE="512")


def test_a_size_a_fallback_does_not_offer_is_refused_too():
    with pytest.raises(ConfigurationError, match="MODEL_FALLBACKS=gemini-3-pro-image"):
        load_settings(
            IMAGE_SIZE="512",
            MODEL_NAME="gemini-3.1-flash-image",
            MODEL_FALLBACKS="gemini-3-pro-image",
        )


def test_512_is_fine_on_a_model_that_offers_it_and_unknown_models_are_not_checked():
    only_3_1 = load_settings(
        IMAGE_SIZE="512", MODEL_NAME="gemini-3.1-flash-image", MODEL_FALLBACKS=""
    )
    assert only_3_1.image_size == "512"
    assert load_settings(IMAGE_SIZE="512", MODEL_NAME="my-model", MODEL_FALLBACKS="").image_size


def test_fallbacks_keep_their_order_without_blanks_repeats_or_the_main_model():
    settings = load_settings(MODEL_NAME="a", MODEL_FALLBACKS=" b, ,a,c,b ")
    assert settings.fallbacks == ["b", "c"]


@pytest.mark.parametrize("size", ["1k", "8K", "1024"])
def test_an_image_size_the_model_does_not_offer_fails_naming_the_variable(size):
    with pytest.raises(ConfigurationError, match="IMAGE_SIZE"):
        load_settings(IMAGE_SIZE=size)


def test_the_media_resolutions_reach_the_input_policy_and_the_photo_sizes():
    settings = load_settings(PHOTO_MEDIA_RESOLUTION="medium", REFERENCE_MEDIA_RESOLUTION="low")
    policy, config = settings.input_policy(), settings.service_config()
    assert (policy.main, policy.references) == (MediaResolution.MEDIUM, MediaResolution.LOW)
    assert (config.photo_side(0), config.photo_side(1), config.photo_side(2)) == (768, 512, 512)


def test_an_unknown_media_resolution_fails_naming_the_variable():
    with pytest.raises(ConfigurationError, match="REFERENCE_MEDIA_RESOLUTION"):
        load_settings(REFERENCE_MEDIA_RESOLUTION="ultra")


def test_model_prices_reach_the_price_table_and_a_bad_one_fails_at_cold_start():
    prices = '{"x": {"input": 1, "textOutput": 2, "imageOutput": 3}}'
    assert "x" in load_settings(MODEL_PRICES=prices).price_table().prices
    with pytest.raises(ConfigurationError, match="MODEL_PRICES"):
        load_settings(MODEL_PRICES="{nope")
