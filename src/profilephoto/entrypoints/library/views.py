"""What the library returns: the HTTP API's views as typed objects, snake_case."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from profilephoto.domain.models import JobStatus


class View(BaseModel):
    """Read from the API's camelCase JSON; fields a newer server adds are ignored."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, frozen=True, extra="ignore"
    )


class JobError(View):
    """Why a job failed or was refused; `code` is one of docs/api.md's error codes."""

    code: str
    message: str
    charged: bool | None = Field(None, description="whether the job's units stayed spent")
    reason: str | None = None
    photo_index: int | None = None


class Job(View):
    """A job as `GET /jobs/{jobId}` shows it."""

    job_id: str
    status: JobStatus
    style: str
    count: int = 1
    aspect_ratio: str = "1:1"
    created_at: datetime
    updated_at: datetime
    processing_time: int | None = Field(None, description="milliseconds")
    error: JobError | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    result_url: str | None = None
    result_urls: list[str] = Field(default_factory=list)
    expires_at: datetime | None = None
    ai_generated: bool | None = None

    @property
    def finished(self) -> bool:
        """Completed, failed or canceled: the job will not change again."""
        return self.status.is_terminal


class JobPage(View):
    """A page of a user's jobs, newest first; pass `next_token` for the next one."""

    items: list[Job]
    next_token: str | None = None


class Usage(View):
    """Today's usage against the daily limit (`GET /usage`)."""

    date: str
    used: int
    limit: int
    remaining_quota: int
    resets_at: datetime


class Style(View):
    id: str
    name: str
    description: str
