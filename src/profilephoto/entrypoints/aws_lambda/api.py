"""Handler for the REST API: `POST /generate`, jobs (list, read, cancel, delete), usage, styles,
`DELETE /me`."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from profilephoto.entrypoints.aws_lambda import http, observability, runtime
from profilephoto.entrypoints.aws_lambda import views as v
from profilephoto.entrypoints.aws_lambda.commands import GenerateCommand, ListJobsQuery
from profilephoto.entrypoints.aws_lambda.observability import logger
from profilephoto.entrypoints.aws_lambda.openapi import documented
from profilephoto.entrypoints.aws_lambda.rest import Response, Router

IDEMPOTENCY_KEY = "Idempotency-Key"


def _build() -> Router:
    app = http.new_resolver()

    @app.post("/generate")
    @documented(
        202,
        v.GenerationAcceptedView,
        body=GenerateCommand,
        headers={IDEMPOTENCY_KEY: "1-128 printable characters; a retry with it is safe"},
        errors=(400, 401, 403, 404, 409, 429, 503),
    )
    def generate() -> Response:
        """Queue a generation job for one of the caller's uploads."""
        who = http.identity(app)
        command = http.command(app, GenerateCommand)
        request = command.request(app.current_request.header(IDEMPOTENCY_KEY))
        accepted = runtime.application().generation.request_generation(who, request)
        logger.info("generation accepted", extra={"jobId": accepted.job_id})
        return http.view_response(202, v.accepted_view(accepted))

    @app.get("/jobs")
    @documented(200, v.JobPageView, query=ListJobsQuery, errors=(400, 401, 503))
    def list_jobs() -> Response:
        """The caller's jobs, newest first, a page at a time."""
        query = app.current_request.query
        page = runtime.application().queries.list_jobs(
            http.identity(app), query.get("limit"), query.get("nextToken")
        )
        return http.view_response(200, v.job_page_view(page))

    @app.get("/jobs/<job_id>")
    @documented(200, v.JobView, errors=(401, 404, 503))
    def get_job(job_id: str) -> Response:
        """One of the caller's jobs, with a download URL once completed."""
        details = runtime.application().queries.get_job(http.identity(app), job_id)
        return http.view_response(200, v.job_view(details))

    @app.delete("/jobs/<job_id>")
    @documented(200, v.DeletedView, errors=(401, 404, 409, 503))
    def delete_job(job_id: str) -> Response:
        """Delete a finished job with its photos and results."""
        deleted = runtime.application().deletion.delete_job(http.identity(app), job_id)
        return http.view_response(200, v.deleted_view(deleted))

    @app.post("/jobs/<job_id>/cancel")
    @documented(200, v.CanceledView, errors=(401, 404, 409, 503))
    def cancel_job(job_id: str) -> Response:
        """Cancel a job that has not finished; its units are given back."""
        canceled = runtime.application().cancellation.cancel_job(http.identity(app), job_id)
        return http.view_response(200, v.canceled_view(canceled))

    @app.delete("/me")
    @documented(202, v.AccountDeletedView, errors=(401, 503))
    def delete_me() -> Response:
        """Delete the caller's photos, results, jobs, connections and record (not usage)."""
        runtime.application().account.delete_account(http.identity(app))
        return http.view_response(202, v.AccountDeletedView(deleted=True))

    @app.get("/usage")
    @documented(200, v.UsageView, errors=(401, 503))
    def usage() -> Response:
        """Today's usage against the daily limit."""
        used = runtime.application().queries.get_usage(http.identity(app))
        return http.view_response(200, v.usage_view(used))

    @app.get("/styles")
    @documented(200, v.StylesView, errors=(401,))
    def styles() -> Response:
        """The styles a job may ask for (signed-in callers only, as on AWS)."""
        http.identity(app)
        return http.view_response(200, v.styles_view(runtime.application().queries.list_styles()))

    return app


def resolver() -> Router:
    """This handler's resolver, built once per runtime."""
    return runtime.once("api", _build)


@observability.lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return resolver().resolve(event, context)
