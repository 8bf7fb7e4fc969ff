"""Handler for the REST API: `POST /generate`, jobs (list, read, cancel, delete), usage, styles,
`DELETE /me`."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from profilephoto.domain.models import GenerationAccepted, Usage
from profilephoto.entrypoints.aws_lambda import http, runtime
from profilephoto.entrypoints.aws_lambda.commands import GenerateCommand
from profilephoto.entrypoints.aws_lambda.observability import logger, metrics
from profilephoto.entrypoints.aws_lambda.openapi import documented

IDEMPOTENCY_KEY = "Idempotency-Key"


def _build() -> APIGatewayRestResolver:
    app = http.new_resolver()

    @app.post("/generate")
    @documented(
        202,
        GenerationAccepted,
        body=GenerateCommand,
        headers={IDEMPOTENCY_KEY: "1-128 printable characters; a retry with it is safe"},
        errors=(400, 401, 403, 404, 409, 429, 503),
    )
    def generate() -> Response[Any]:
        """Queue a generation job for one of the caller's uploads."""
        who = http.identity(app)
        command = http.command(app, GenerateCommand)
        accepted = runtime.application().generation.request_generation(
            who,
            command.file_key,
            command.style,
            connection_id=command.connection_id,
            idempotency_key=app.current_event.headers.get(IDEMPOTENCY_KEY),
            file_keys=command.file_keys,
            count=command.count,
            aspect_ratio=command.aspect_ratio,
        )
        logger.info("generation accepted", extra={"jobId": accepted.job_id})
        return http.json_response(202, accepted.to_json_dict())

    @app.get("/jobs")
    @documented(200, "JobPageView", query="ListJobsQuery", errors=(400, 401, 503))
    def list_jobs() -> Response[Any]:
        """The caller's jobs, newest first, a page at a time."""
        query = app.current_event.query_string_parameters or {}
        page = runtime.application().queries.list_jobs(
            http.identity(app), query.get("limit"), query.get("nextToken")
        )
        return http.json_response(200, page)

    @app.get("/jobs/<job_id>")
    @documented(200, "JobView", errors=(401, 404, 503))
    def get_job(job_id: str) -> Response[Any]:
        """One of the caller's jobs, with a download URL once completed."""
        return http.json_response(
            200, runtime.application().queries.get_job(http.identity(app), job_id)
        )

    @app.delete("/jobs/<job_id>")
    @documented(200, "DeletedView", errors=(401, 404, 409, 503))
    def delete_job(job_id: str) -> Response[Any]:
        """Delete a finished job with its photos and results."""
        deleted = runtime.application().deletion.delete_job(http.identity(app), job_id)
        return http.json_response(200, deleted)

    @app.post("/jobs/<job_id>/cancel")
    @documented(200, "CanceledView", errors=(401, 404, 409, 503))
    def cancel_job(job_id: str) -> Response[Any]:
        """Cancel a job that has not finished; its units are given back."""
        canceled = runtime.application().cancellation.cancel_job(http.identity(app), job_id)
        return http.json_response(200, canceled)

    @app.delete("/me")
    @documented(202, "AccountDeletedView", errors=(401, 503))
    def delete_me() -> Response[Any]:
        """Delete the caller's photos, results, jobs, connections and record (not usage)."""
        deleted = runtime.application().account.delete_account(http.identity(app))
        return http.json_response(202, deleted)

    @app.get("/usage")
    @documented(200, Usage, errors=(401, 503))
    def usage() -> Response[Any]:
        """Today's usage against the daily limit."""
        used = runtime.application().queries.get_usage(http.identity(app))
        return http.json_response(200, used.to_json_dict())

    @app.get("/styles")
    @documented(200, "StylesView", errors=())
    def styles() -> Response[Any]:
        """The styles a job may ask for."""
        return http.json_response(200, {"styles": runtime.application().queries.list_styles()})

    return app


def resolver() -> APIGatewayRestResolver:
    """This handler's resolver, built once per runtime."""
    return runtime.once("api", _build)


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return resolver().resolve(event, context)
