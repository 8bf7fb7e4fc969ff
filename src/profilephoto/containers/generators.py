"""Factories for the image seams, imported lazily so API handlers never load genai or Pillow."""

from __future__ import annotations

from pathlib import Path

from profilephoto.domain.ports import (
    ContentLabeler,
    FaceMatcher,
    ImageGenerator,
    ImageProcessor,
    PhotoInspector,
)
from profilephoto.settings import Settings


def gemini_api_key(settings: Settings) -> str | None:
    """GEMINI_API_KEY, else the SecureString named by GEMINI_API_KEY_PARAMETER (read once)."""
    if settings.gemini_api_key or not settings.gemini_api_key_parameter:
        return settings.gemini_api_key
    import boto3

    from profilephoto.settings import ConfigurationError

    try:
        parameter = boto3.client("ssm").get_parameter(
            Name=settings.gemini_api_key_parameter, WithDecryption=True
        )
    except Exception as exc:  # any failure here is a deployment mistake: say which variable
        raise ConfigurationError(
            f"GEMINI_API_KEY_PARAMETER: cannot read {settings.gemini_api_key_parameter!r} "
            f"({type(exc).__name__})"
        ) from exc
    return str(parameter["Parameter"]["Value"])


def image_generator(settings: Settings) -> ImageGenerator:
    """Gemini when a key is configured, otherwise the labelled offline stylizer (docs/api.md §6)."""
    api_key = gemini_api_key(settings)
    if api_key:
        from profilephoto.adapters.gemini import GeminiImageGenerator

        generator: ImageGenerator = GeminiImageGenerator(
            api_key=api_key,
            model_name=settings.model_name,
            timeout_seconds=settings.gemini_timeout_seconds,
            fallbacks=settings.fallbacks,
            image_size=settings.image_size,
            input_policy=settings.input_policy(),
            prices=settings.price_table(),
        )
        return generator
    from profilephoto.adapters.local.offline_stylizer import OfflineStylizer

    offline: ImageGenerator = OfflineStylizer(delay_seconds=settings.offline_delay_seconds)
    return offline


def image_processor(settings: Settings) -> ImageProcessor:
    from profilephoto.adapters.decode_budget import DecodeBudget, budget_bytes
    from profilephoto.adapters.images import PillowImageProcessor

    side = settings.service_config().main_photo_side
    budget = budget_bytes(settings.function_memory_mb, settings.decode_memory_mb)
    return PillowImageProcessor(
        max_side=side, result_format=settings.result_format, budget=DecodeBudget(budget)
    )


def photo_inspector(settings: Settings) -> PhotoInspector:
    """BlazeFace on LiteRT when QUALITY_CHECK=on; otherwise nothing is loaded at all."""
    if settings.quality_check == "off":
        from profilephoto.adapters.system import UncheckedPhotos

        return UncheckedPhotos()
    try:
        # The interpreter too, which the inspector loads only at its first photo: where
        # ai-edge-litert is missing this is the place to say so, not every job's batch.
        import ai_edge_litert.interpreter  # noqa: F401

        from profilephoto.adapters.photo_check.litert import LiteRtPhotoInspector
    except ImportError as missing:  # ai-edge-litert 1.4.0 has no wheel past Python 3.12
        from profilephoto.settings import ConfigurationError

        raise ConfigurationError(
            f"QUALITY_CHECK=on needs ai-edge-litert and numpy ({missing.name} is missing); "
            "install them or set QUALITY_CHECK=off"
        ) from missing
    return LiteRtPhotoInspector()


def content_labeler(settings: Settings, data_dir: Path | None) -> ContentLabeler:
    """XMP and C2PA on every result (docs/api.md, "AI-generated label"). Signing keys come
    from the data directory's own chain (local) or the C2PA_SECRET_ARN secret (AWS); they
    are read at the first result, so the API functions never load c2pa at all."""
    from profilephoto.adapters.labels.c2pa_labeler import C2paContentLabeler

    if settings.c2pa_signing == "off":
        return C2paContentLabeler(None)
    if data_dir is not None:
        from profilephoto.adapters.labels.certificates import load_or_create_local

        return C2paContentLabeler(lambda: load_or_create_local(data_dir))
    if not settings.c2pa_secret_arn:
        from profilephoto.settings import ConfigurationError

        raise ConfigurationError(
            "C2PA_SECRET_ARN: required on AWS while C2PA_SIGNING=auto (the Secrets Manager "
            "secret with the signing certificate chain and key; docs/deploy.md)"
        )
    import boto3

    from profilephoto.adapters.aws.signing_secret import secret_credentials

    arn = settings.c2pa_secret_arn
    return C2paContentLabeler(lambda: secret_credentials(boto3.client("secretsmanager"), arn))


def face_matcher(settings: Settings) -> FaceMatcher:
    """YuNet + SFace on onnxruntime when LIKENESS_CHECK=on; otherwise nothing is loaded."""
    if settings.likeness_check == "off":
        from profilephoto.adapters.system import UnmatchedFaces

        return UnmatchedFaces()
    try:
        from profilephoto.adapters.likeness.onnx import OnnxFaceMatcher
    except ImportError as missing:
        from profilephoto.settings import ConfigurationError

        raise ConfigurationError(
            f"LIKENESS_CHECK=on needs onnxruntime and numpy ({missing.name} is missing); "
            "install them or set LIKENESS_CHECK=off"
        ) from missing
    return OnnxFaceMatcher()
