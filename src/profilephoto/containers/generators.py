"""Factories for the image seams, imported lazily so API handlers never load genai or Pillow."""

from __future__ import annotations

from profilephoto.domain.ports import ImageGenerator, ImageProcessor
from profilephoto.settings import Settings


def image_generator(settings: Settings) -> ImageGenerator:
    """Gemini when GEMINI_API_KEY is set, otherwise the labelled offline stylizer (CONTRACT §6)."""
    if settings.gemini_api_key:
        from profilephoto.adapters.gemini import GeminiImageGenerator

        generator: ImageGenerator = GeminiImageGenerator(
            api_key=settings.gemini_api_key,
            model_name=settings.model_name,
            timeout_seconds=settings.gemini_timeout_seconds,
        )
        return generator
    from profilephoto.adapters.local.offline_stylizer import OfflineStylizer

    offline: ImageGenerator = OfflineStylizer()
    return offline


def image_processor(settings: Settings) -> ImageProcessor:
    from profilephoto.adapters.images import PillowImageProcessor

    return PillowImageProcessor(
        max_side=settings.max_image_side, result_format=settings.result_format
    )
