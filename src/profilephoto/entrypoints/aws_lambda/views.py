"""The REST API's answers as pydantic models, for the OpenAPI document (docs/openapi.json)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from profilephoto.domain.models import JobStatus


class View(BaseModel):
    """camelCase on the wire; more fields may come (clients ignore what they do not know)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow")


class ErrorBody(View):
    """Every error: a message for people and a stable code for programs (docs/api.md §3)."""

    error: str
    code: str = Field(examples=["invalid_request"])


class JobError(View):
    code: str = Field(examples=["generation_failed"])
    message: str


class JobView(View):
    """One of the caller's jobs; `resultUrl` is a short-lived download URL once completed."""

    job_id: str
    status: JobStatus
    style: str
    created_at: str
    updated_at: str
    processing_time: int | None = None
    error: JobError | None = None
    metadata: dict[str, object] | None = None
    result_url: str | None = None


class JobPageView(View):
    items: list[JobView]
    next_token: str | None


class DeletedView(View):
    job_id: str
    deleted: bool


class AccountDeletedView(View):
    deleted: bool


class CanceledView(View):
    job_id: str
    status: JobStatus


class StyleView(View):
    id: str
    name: str
    description: str


class StylesView(View):
    styles: list[StyleView]


class ListJobsQuery(View):
    """`GET /jobs`'s query string."""

    limit: int = Field(default=20, ge=1, le=100)
    next_token: str = Field(description="the `nextToken` of the previous page")
