"""The REST API's answers as pydantic view models: the one place domain values become what
clients see. The handlers serialize through them and docs/openapi.json is generated from them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from profilephoto.domain.models import (
    JOB_ID_PATTERN,
    GenerationAccepted,
    Job,
    JobStatus,
    Style,
    UploadTicket,
    Usage,
    iso_z,
)
from profilephoto.services.queries import JobDetails, JobDetailsPage


class View(BaseModel):
    """camelCase on the wire, snake_case in Python; a field that is None is left out."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, frozen=True, defer_build=True
    )

    def to_json(self) -> dict[str, Any]:
        """The JSON body, as the handlers send it."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class ErrorBody(View):
    """Every error: a message for people and a stable code for programs (docs/api.md §3);
    some codes add fields (`remainingQuota`, `styles`, `allowedTypes`, `maxBytes`)."""

    model_config = ConfigDict(extra="allow")

    error: str
    code: str = Field(examples=["invalid_request"])


class JobErrorView(View):
    """Why a job failed, and whether it used one of the day's generations."""

    code: str = Field(examples=["generation_failed"])
    message: str
    charged: bool
    reason: str | None = Field(default=None, description="photo_rejected only: why")
    photo_index: int | None = Field(
        default=None, ge=0, description="photo_rejected only: which photo (0 = the main one)"
    )


class JobView(View):
    """One of the caller's jobs (docs/api.md §4.1); `resultUrls` are short-lived downloads."""

    job_id: str = Field(pattern=JOB_ID_PATTERN)
    status: JobStatus
    style: str
    count: int = Field(ge=1, description="images asked for")
    aspect_ratio: str = Field(examples=["1:1"])
    created_at: str = Field(examples=["2026-11-29T21:33:28.123Z"])
    updated_at: str
    processing_time: int | None = Field(default=None, ge=0, description="milliseconds")
    error: JobErrorView | None = None
    metadata: dict[str, Any] = Field(
        description="the model, token counts, cost and more (docs/api.md §4.1)"
    )
    result_url: str | None = Field(default=None, description="the first of `resultUrls`")
    result_urls: list[str] | None = Field(
        default=None, description="completed only: one presigned GET per image, in order"
    )
    expires_at: str | None = Field(
        default=None, description="when the job and its results are deleted (retention on)"
    )
    ai_generated: bool | None = Field(
        default=None,
        description="completed only: true, every result is labelled as made by AI "
        "(XMP and a signed C2PA manifest, docs/api.md §4.7)",
    )


class JobPageView(View):
    items: list[JobView]
    next_token: str | None = Field(description="null on the last page")

    def to_json(self) -> dict[str, Any]:
        # `nextToken` is null, not absent, on the last page (docs/api.md §3.4).
        return {**super().to_json(), "nextToken": self.next_token}


class UploadTicketView(View):
    upload_url: str
    method: str = Field(examples=["PUT"])
    file_key: str = Field(examples=["uploads/USER_ID/1764400000000_0123456789abcdef.jpg"])
    expires_in: int = Field(ge=1, description="seconds")
    headers: dict[str, str] = Field(description="send these with the PUT, as they are")


class GenerationAcceptedView(View):
    job_id: str = Field(pattern=JOB_ID_PATTERN)
    status: JobStatus
    remaining_quota: int = Field(ge=0)


class UsageView(View):
    date: str = Field(examples=["2026-12-03"])
    used: int = Field(ge=0)
    limit: int = Field(ge=0)
    remaining_quota: int = Field(ge=0)
    resets_at: str


class StyleView(View):
    id: str
    name: str
    description: str


class StylesView(View):
    styles: list[StyleView]


class CanceledView(View):
    job_id: str
    status: Literal["canceled"]


class DeletedView(View):
    job_id: str
    deleted: Literal[True]


class AccountDeletedView(View):
    deleted: Literal[True]


def job_view(details: JobDetails) -> JobView:
    """What the owner sees of a job: no prompt, no storage references."""
    job, error = details.job, details.job.error
    return JobView(
        job_id=job.job_id,
        status=job.status,
        style=job.style,
        count=job.count,
        aspect_ratio=job.aspect_ratio,
        created_at=iso_z(job.created_at),
        updated_at=iso_z(job.updated_at),
        processing_time=job.processing_time,
        error=None
        if error is None
        else JobErrorView(
            code=error.code,
            message=error.message,
            charged=details.charged,
            reason=error.reason,
            photo_index=error.photo_index,
        ),
        metadata=job.metadata,
        result_url=details.result_urls[0] if details.result_urls else None,
        result_urls=list(details.result_urls) or None,
        expires_at=iso_z(details.expires_at) if details.expires_at else None,
        ai_generated=True if details.ai_generated else None,
    )


def canceled_view(job: Job) -> CanceledView:
    return CanceledView(job_id=job.job_id, status="canceled")


def deleted_view(job: Job) -> DeletedView:
    return DeletedView(job_id=job.job_id, deleted=True)


def job_page_view(page: JobDetailsPage) -> JobPageView:
    return JobPageView(items=[job_view(item) for item in page.items], next_token=page.next_token)


def ticket_view(ticket: UploadTicket) -> UploadTicketView:
    return UploadTicketView(
        upload_url=ticket.upload_url,
        method=ticket.method,
        file_key=ticket.file_key,
        expires_in=ticket.expires_in,
        headers=ticket.headers,
    )


def accepted_view(accepted: GenerationAccepted) -> GenerationAcceptedView:
    return GenerationAcceptedView(
        job_id=accepted.job_id, status=accepted.status, remaining_quota=accepted.remaining_quota
    )


def usage_view(usage: Usage) -> UsageView:
    return UsageView(
        date=usage.date,
        used=usage.used,
        limit=usage.limit,
        remaining_quota=usage.remaining_quota,
        resets_at=iso_z(usage.resets_at),
    )


def styles_view(styles: list[Style]) -> StylesView:
    return StylesView(
        styles=[StyleView(id=s.id, name=s.name, description=s.description) for s in styles]
    )
