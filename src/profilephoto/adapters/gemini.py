"""Gemini image generation through google-genai, its failures classified for the domain."""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any

import httpx2
from google import genai
from google.genai import errors as genai_errors
from google.genai import types

from profilephoto.adapters.gemini_input import InputPolicy, MediaResolution
from profilephoto.adapters.gemini_pricing import PriceTable
from profilephoto.adapters.gemini_response import Answer, NoImageYet, added, interpret
from profilephoto.domain.errors import (
    GenerationFailed,
    InvalidImage,
    ModelAccessDenied,
    ModelUnavailable,
    TransientGenerationError,
)
from profilephoto.domain.models import GeneratedImage, ImageData, Style

log = logging.getLogger(__name__)

DEFAULT_MODEL = "gemini-nano-banana-2.1"
# Throttling, request timeout and server-side trouble: the same request may succeed later.
TRANSIENT_STATUS = frozenset({408, 429})
# What the Gemini API says when the key itself is wrong (it answers 400, not 401, for that).
BAD_KEY_MARKERS = ("API_KEY_INVALID", "API key not valid", "API key expired")
PART_RESOLUTIONS = {
    MediaResolution.LOW: types.PartMediaResolutionLevel.MEDIA_RESOLUTION_LOW,
    MediaResolution.MEDIUM: types.PartMediaResolutionLevel.MEDIA_RESOLUTION_MEDIUM,
    MediaResolution.HIGH: types.PartMediaResolutionLevel.MEDIA_RESOLUTION_HIGH,
}


class _ModelNotFound(Exception):
    """Internal: this model answered 404; the next configured one is tried."""


# The detail of a 429 that says how long to wait: {"@type": RETRY_INFO, "retryDelay": "53s"}
# (a google.protobuf.Duration in its JSON form), inside the body's error.details.
RETRY_INFO = "type.googleapis.com/google.rpc.RetryInfo"


def _network_errors() -> tuple[tuple[type[Exception], ...], tuple[type[Exception], ...]]:
    """(every transport failure, the timeouts among them) of the HTTP stacks the SDK uses.

    google-genai 3.x sends with httpx2, a declared dependency. It falls back to httpx when
    told to (GOOGLE_GENAI_HTTP_CLIENT=httpx) and httpx is there: that stack's errors count
    too, taken from the module the SDK itself loaded, since nothing here may import what the
    installs that ship do not declare (docs/deploy.md)."""
    stacks = [httpx2, *filter(None, [sys.modules.get("httpx")])]
    transport = tuple(stack.TransportError for stack in stacks)
    timeouts = tuple(stack.TimeoutException for stack in stacks)
    return transport, timeouts


class GeminiImageGenerator:
    """Implements ImageGenerator with `models.generate_content` on an image model."""

    def __init__(
        self,
        api_key: str,
        model_name: str = DEFAULT_MODEL,
        timeout_seconds: float = 60.0,
        client: genai.Client | None = None,
        *,
        api_version: str = "v1beta",
        fallbacks: Sequence[str] = (),
        image_size: str = "1K",
        input_policy: InputPolicy | None = None,
        prices: PriceTable | None = None,
    ) -> None:
        if not api_key and client is None:
            raise ValueError("GeminiImageGenerator needs an API key (GEMINI_API_KEY)")
        self._api_key = api_key
        self._model = model_name
        self._models = (model_name, *(m for m in fallbacks if m != model_name))
        self._image_size = image_size
        self._input = input_policy or InputPolicy()
        self._prices = prices or PriceTable()
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
        self,
        images: Sequence[ImageData],
        style: Style,
        *,
        aspect_ratio: str = "1:1",
        seed: int = 0,
    ) -> GeneratedImage:
        """The styled portrait from the first model that exists (MODEL_NAME, then each of
        MODEL_FALLBACKS); ModelUnavailable when none does. The seed is not sent: unseeded,
        the model answers each call differently, as variants should be."""
        if not images:
            raise InvalidImage("No photo to generate from")
        client = self._client_or_fail()
        contents = _contents(images, style, self._input)
        config = self._config(aspect_ratio)
        for model in self._models:
            try:
                answer = self._ask(client, model, contents, config)
            except _ModelNotFound:
                log.warning("gemini model not found, trying the next", extra={"model": model})
                continue
            return GeneratedImage(
                data=answer.data,
                content_type=answer.content_type,
                model=model,
                usage=answer.usage,
                cost_usd=self._prices.cost(model, answer.usage),
            )
        log.error(
            "no configured gemini model exists: set MODEL_NAME or MODEL_FALLBACKS",
            extra={"models": list(self._models), "operatorError": True},
        )
        raise ModelUnavailable(
            f"No configured image model is available ({', '.join(self._models)})"
        )

    def model_exists(self, name: str) -> bool:
        """Whether `name` is a model this key may call (`models.get`); ModelAccessDenied for
        a refused key, TransientGenerationError when Gemini cannot answer now."""
        client = self._client_or_fail()
        try:
            client.models.get(model=name)
        except Exception as error:
            classified = self._classify(error)
            if isinstance(classified, _ModelNotFound):
                return False
            raise classified from None
        return True

    def _ask(
        self,
        client: genai.Client,
        model: str,
        contents: types.Content,
        config: types.GenerateContentConfig,
    ) -> Answer:
        """One model's answer; a NO_IMAGE / IMAGE_OTHER answer is asked again once (and its
        tokens are added to the answer's: they are billed too)."""
        spent: dict[str, int] = {}
        for attempt in (1, 2):
            try:
                response = client.models.generate_content(
                    model=model, contents=contents, config=config
                )
            except Exception as error:
                raise self._classify(error) from None  # the cause may hold the key
            try:
                answer = interpret(response, self._redact)
            except NoImageYet as no_image:
                spent = added(spent, no_image.usage)
                if attempt == 2:
                    raise GenerationFailed(no_image.message) from None
                log.info(
                    "gemini answered without an image, asking once more",
                    extra={"model": model, "reason": no_image.message[:80]},
                )
                continue
            return replace(answer, usage=added(spent, answer.usage)) if spent else answer
        raise AssertionError("unreachable")  # pragma: no cover

    def _client_or_fail(self) -> genai.Client:
        try:
            return self._client_once()
        except Exception as error:
            log.error("gemini client could not be built", extra={"error": type(error).__name__})
            raise GenerationFailed("The Gemini client could not be configured") from None

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
            image_config=types.ImageConfig(aspect_ratio=aspect_ratio, image_size=self._image_size),
        )

    def _classify(self, error: Exception) -> Exception:
        """The one place vendor failures become domain errors; nothing of the SDK escapes."""
        if isinstance(error, genai_errors.APIError):
            status = error.code if isinstance(error.code, int) else 0
            detail = self._redact(f"{status} {error.status or ''} {error.message or ''}".strip())
            if status == 404:
                return _ModelNotFound(detail)
            said = f"{error.message or ''} {error.details or ''}"
            if status in (401, 403) or any(marker in said for marker in BAD_KEY_MARKERS):
                # Not the user's doing and not going away by itself: page the operator.
                log.error(
                    "gemini refused the API key: fix GEMINI_API_KEY or its project's access",
                    extra={"httpStatus": status, "apiStatus": error.status, "operatorError": True},
                )
                return ModelAccessDenied(f"Gemini refused the API key ({status})")
            transient = status in TRANSIENT_STATUS or status >= 500 or status == 0
            log.warning(
                "gemini request failed",
                extra={"httpStatus": status, "apiStatus": error.status, "transient": transient},
            )
            if transient:
                return TransientGenerationError(
                    f"Gemini is unavailable: {detail}",
                    retry_after=retry_delay(error.details),
                    throttled=status == 429,
                )
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

    def _redact(self, text: str) -> str:
        return text.replace(self._api_key, "[redacted]") if self._api_key else text


def _contents(images: Sequence[ImageData], style: Style, policy: InputPolicy) -> types.Content:
    """The photos first, main one first, then the instruction, as the image-editing docs
    lay a request out; each photo carries its media resolution."""
    parts = [
        types.Part.from_bytes(
            data=image.data,
            mime_type=image.content_type,
            media_resolution=PART_RESOLUTIONS[policy.resolution(index)],
        )
        for index, image in enumerate(images)
    ]
    return types.Content(
        role="user", parts=[*parts, types.Part.from_text(text=_instruction(style, len(images)))]
    )


def retry_delay(body: Any) -> timedelta | None:
    """The RetryInfo `retryDelay` of an error body (the SDK keeps it as `APIError.details`),
    or None when there is none or it does not parse."""
    error = body.get("error", body) if isinstance(body, dict) else None
    details = error.get("details") if isinstance(error, dict) else None
    for detail in details if isinstance(details, list) else []:
        if not isinstance(detail, dict) or detail.get("@type") != RETRY_INFO:
            continue
        text = detail.get("retryDelay")
        if isinstance(text, str) and text.endswith("s"):
            try:
                seconds = float(text[:-1])
            except ValueError:
                return None
            return timedelta(seconds=seconds) if 0 <= seconds < 86_400 else None
    return None


def _name(value: Any) -> str:
    """An SDK enum's wire name (`IMAGE_SAFETY`), or the raw string a newer API sent."""
    return str(getattr(value, "value", value))


def _instruction(style: Style, photos: int) -> str:
    """The style prompt, preceded, when there are several photos, by which one is which."""
    if photos == 1:
        return style.prompt
    return (
        f"The first photo is the main photo of the person. The other {photos - 1} "
        f"{'photo shows' if photos == 2 else 'photos show'} the same person and are "
        "references for their likeness only: keep their face and identity exactly, but take "
        "pose, clothing and framing from the main photo.\n\n" + style.prompt
    )
