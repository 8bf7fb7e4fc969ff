"""Reading a Gemini 3 image answer: the image, or why there is none, and its token counts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from google.genai import types

from profilephoto.domain.errors import ContentBlocked, GenerationFailed

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
# The model answered without an image for no reason of the photo's: asking again may work.
RETRYABLE_FINISH_REASONS = frozenset({"NO_IMAGE", "IMAGE_OTHER"})
MAX_TEXT_IN_ERROR = 300
MODALITIES = {"TEXT": "Text", "IMAGE": "Image"}


class NoImageYet(GenerationFailed):
    """NO_IMAGE / IMAGE_OTHER: worth one more call before the job fails generation_failed.
    `usage` keeps the call's tokens: Google bills them even though no image came."""

    usage: dict[str, int] = {}


@dataclass(frozen=True)
class Answer:
    data: bytes
    content_type: str
    usage: dict[str, int]


def interpret(response: types.GenerateContentResponse, redact: Any) -> Answer:
    """The answer's final image, or ContentBlocked / NoImageYet / GenerationFailed.

    Thought parts (`thought: true`) are drafts the model shows while it thinks, never the
    result; their `thoughtSignature` is parsed by the SDK and needs nothing from us, since
    each call is a single turn.
    """
    feedback = response.prompt_feedback
    if feedback is not None and feedback.block_reason is not None:
        raise ContentBlocked(f"The model declined this photo ({_name(feedback.block_reason)})")
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
            continue
        if blob and blob.data and (blob.mime_type or "").startswith("image/"):
            return Answer(blob.data, blob.mime_type or "image/png", usage(response.usage_metadata))
    said = " ".join(p.text.strip() for p in parts if p.text and not p.thought)
    said = redact(said)[:MAX_TEXT_IN_ERROR]
    message = f"The model returned no image ({finish or 'no image'})" + (
        f": {said}" if said else ""
    )
    if finish in RETRYABLE_FINISH_REASONS:
        no_image = NoImageYet(message)
        no_image.usage = usage(response.usage_metadata)
        raise no_image
    raise GenerationFailed(message)


def added(first: dict[str, int], second: dict[str, int]) -> dict[str, int]:
    """Two calls' token counts summed, name by name."""
    return {name: first.get(name, 0) + second.get(name, 0) for name in {*first, *second}}


def usage(metadata: types.GenerateContentResponseUsageMetadata | None) -> dict[str, int]:
    """The token counts the model reported, under the names `metadata.usage` records,
    split by modality (`promptImageTokens`, `outputImageTokens`...) when it says how."""
    if metadata is None:
        return {}
    counts: dict[str, int | None] = {
        "promptTokens": metadata.prompt_token_count,
        "outputTokens": metadata.candidates_token_count,
        "thoughtsTokens": metadata.thoughts_token_count,
        "totalTokens": metadata.total_token_count,
    }
    for prefix, details in (
        ("prompt", metadata.prompt_tokens_details),
        ("output", metadata.candidates_tokens_details),
    ):
        for detail in details or []:
            modality = MODALITIES.get(_name(detail.modality)) if detail.modality else None
            if modality and isinstance(detail.token_count, int):
                key = f"{prefix}{modality}Tokens"
                counts[key] = (counts.get(key) or 0) + detail.token_count
    return {name: count for name, count in counts.items() if isinstance(count, int)}


def _name(value: Any) -> str:
    """An SDK enum's wire name (`IMAGE_SAFETY`), or the raw string a newer API sent."""
    return str(getattr(value, "value", value))
