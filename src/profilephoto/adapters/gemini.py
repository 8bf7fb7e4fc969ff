"""Gemini image generation through google-genai, its failures classified for the domain."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any

import httpx
from google import genai
from google.genai import errors as genai_errors
from google.genai import types

from profilephoto.domain.errors import (
    ContentBlocked,
    GenerationError,
    GenerationFailed,
    InvalidImage,
    TransientGenerationError,
)
from profilephoto.domain.models import GeneratedImage, ImageData, Style

log = logging.getLogger(__name__)

# Finish reasons that mean "the model refused this input", i.e. the user's photo.
BLOCKING_FINISH_REASONS = frozenset(
    {
        "SAFETY",
        "PROHIBITED_CONTENT",
        "BLOCKLIST",
        "SPII",
        "IMAGE_SAFETY",
        "IMAGE_PROHIBITED_CONTENT",
    }
)
# Throttling, request timeout and server-side trouble: the same request may succeed later.
TRANSIENT_STATUS = frozenset({408, 429})
MAX_TEXT_IN_ERROR = 300


def _network_errors() -> tuple[tuple[type[Exception], ...], tuple[type[Exception], ...]]:
    """(every transport failure, the timeouts among them) of the HTTP stacks the SDK may
    use: httpx, and httpx2 when it is installed."""
    transport: list[type[Exception]] = [httpx.TransportError]
    timeouts: list[type[Exception]] = [httpx.TimeoutException]
    try:
        import httpx2

        transport.append(httpx2.TransportError)
        timeouts.append(httpx2.TimeoutException)
    except ImportError:
        pass
    return tuple(transport), tuple(timeouts)


class GeminiImageGenerator:
    """Implements ImageGenerator with `models.generate_content` on an image model."""

    def __init__(
        self,
        api_key: str,
        model_name: str = "gemini-2.5-flash-image",
        timeout_seconds: float = 60.0,
        client: genai.Client | None = None,
        *,
        api_version: str = "v1beta",
    ) -> None:
        if not api_key and client is None:
            raise ValueError("GeminiImageGenerator needs an API key (GEMINI_API_KEY)")
        self._api_key = api_key
        self._model = model_name
        self._timeout_ms = max(1, int(timeout_seconds * 1000))
        self._api_version = api_version
        self._client = client
        self._lock = threading.Lock()
        self._transport, self._timeouts = _network_errors()

    def __repr__(self) -> str:  # the key stays out of any repr that reaches a log
        return f"GeminiImageGenerator(model_name={self._model!r})"

    @property
    def model_name(self) -> str:
        return self._model

    def generate(
        self, images: Sequence[ImageData], style: Style, *, aspect_ratio: str = "1:1"
    ) -> GeneratedImage:
        """The styled portrait, or TransientGenerationError / ContentBlocked / GenerationFailed."""
        if not images:
            raise InvalidImage("No photo to generate from")
        try:
            client = self._client_once()
        except Exception as error:
            log.error("gemini client could not be built", extra={"error": type(error).__name__})
            raise GenerationFailed("The Gemini client could not be configured") from None
        # The photos first (main one first), then the instruction, as the image-editing
        # docs lay a request out.
        contents = types.Content(
            role="user",
            parts=[
                *(types.Part.from_bytes(data=i.data, mime_type=i.content_type) for i in images),
                types.Part.from_text(text=style.prompt),
            ],
        )
        try:
            response = client.models.generate_content(
                model=self._model, contents=contents, config=self._config(aspect_ratio)
            )
        except Exception as error:
            raise self._classify(error) from None  # the cause may hold the key in its request
        return self._interpret(response)

    def _client_once(self) -> genai.Client:
        """Built on first use, then reused: never at import, never per call."""
        with self._lock:
            if self._client is None:
                # No base_url here: the SDK's own settings (GOOGLE_GEMINI_BASE_URL) decide.
                # No SDK retries either: the queue redelivers transient failures, with
                # backoff and an attempt budget the job record can see.
                self._client = genai.Client(
                    api_key=self._api_key,
                    vertexai=False,
                    http_options=types.HttpOptions(
                        timeout=self._timeout_ms, api_version=self._api_version
                    ),
                )
            return self._client

    def _config(self, aspect_ratio: str) -> types.GenerateContentConfig:
        # TEXT alongside IMAGE: when the model declines it says why, and we keep that text.
        return types.GenerateContentConfig(
            response_modalities=["TEXT", "IMAGE"],
            image_config=types.ImageConfig(aspect_ratio=aspect_ratio),
        )

    def _classify(self, error: Exception) -> GenerationError:
        """The one place vendor failures become domain errors; nothing of the SDK escapes."""
        if isinstance(error, genai_errors.APIError):
            status = error.code if isinstance(error.code, int) else 0
            detail = self._redact(f"{status} {error.status or ''} {error.message or ''}".strip())
            transient = status in TRANSIENT_STATUS or status >= 500 or status == 0
            log.warning(
                "gemini request failed",
                extra={"httpStatus": status, "apiStatus": error.status, "transient": transient},
            )
            if transient:
                return TransientGenerationError(f"Gemini is unavailable: {detail}")
            return GenerationFailed(f"Gemini refused the request: {detail}")
        if isinstance(error, self._transport):
            kind = "timed out" if isinstance(error, self._timeouts) else "could not be reached"
            log.warning("gemini transport failure", extra={"error": type(error).__name__})
            return TransientGenerationError(f"Gemini {kind} ({type(error).__name__})")
        if isinstance(error, ValueError):  # JSONDecodeError, the SDK's parse errors
            # A 200 whose body is not the JSON we expect is a cut-off or mangled transfer,
            # not the model's verdict on the photo: retry it, within the attempt budget.
            log.warning("gemini sent a malformed response", extra={"error": type(error).__name__})
            return TransientGenerationError("Gemini sent a malformed response")
        log.error("unexpected gemini client failure", extra={"error": type(error).__name__})
        return GenerationFailed(f"Gemini client failed: {type(error).__name__}")

    def _interpret(self, response: types.GenerateContentResponse) -> GeneratedImage:
        feedback = response.prompt_feedback
        if feedback is not None and feedback.block_reason is not None:
            reason = _name(feedback.block_reason)
            raise ContentBlocked(f"The model declined this photo ({reason})")
        candidate = response.candidates[0] if response.candidates else None
        if candidate is None:
            raise GenerationFailed("The model returned no candidate")
        finish = _name(candidate.finish_reason) if candidate.finish_reason else None
        if finish in BLOCKING_FINISH_REASONS:
            raise ContentBlocked(f"The model declined this photo ({finish})")
        parts = candidate.content.parts if candidate.content and candidate.content.parts else []
        for part in parts:
            blob = part.inline_data
            if part.thought:
                continue  # thinking image models show drafts first; only the answer counts
            if blob and blob.data and (blob.mime_type or "").startswith("image/"):
                return GeneratedImage(
                    data=blob.data,
                    content_type=blob.mime_type or "image/png",
                    model=self._model,
                    usage=_usage(response.usage_metadata),
                )
        said = " ".join(p.text.strip() for p in parts if p.text and not p.thought)
        said = self._redact(said)[:MAX_TEXT_IN_ERROR]
        reason = finish or "no image"
        raise GenerationFailed(
            f"The model returned no image ({reason})" + (f": {said}" if said else "")
        )

    def _redact(self, text: str) -> str:
        return text.replace(self._api_key, "[redacted]") if self._api_key else text


def _name(value: Any) -> str:
    """An SDK enum's wire name (`IMAGE_SAFETY`), or the raw string a newer API sent."""
    return str(getattr(value, "value", value))


def _usage(metadata: types.GenerateContentResponseUsageMetadata | None) -> dict[str, int]:
    """The token counts the model reported, under the names `metadata.usage` records."""
    if metadata is None:
        return {}
    counts = {
        "promptTokens": metadata.prompt_token_count,
        "outputTokens": metadata.candidates_token_count,
        "thoughtsTokens": metadata.thoughts_token_count,
        "totalTokens": metadata.total_token_count,
    }
    return {name: count for name, count in counts.items() if isinstance(count, int)}
