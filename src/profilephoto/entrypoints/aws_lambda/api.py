"""Handler for the REST API: `POST /generate`, jobs (list, read, cancel, delete), usage, styles."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from profilephoto.entrypoints.aws_lambda import http, runtime
from profilephoto.entrypoints.aws_lambda.commands import GenerateCommand
from profilephoto.entrypoints.aws_lambda.observability import logger, metrics


def _build() -> APIGatewayRestResolver:
    app = http.new_resolver()

    @app.post("/generate")
    def generate() -> Response[Any]:
        who = http.identity(app)
        command = http.command(app, GenerateCommand)
        accepted = runtime.application().generation.request_generation(
            who,
            command.file_key,
            command.style,
            connection_id=command.connection_id,
            idempotency_key=app.current_event.headers.get("Idempotency-Key"),
            file_keys=command.file_keys,
            count=command.count,
            aspect_ratio=command.aspect_ratio,
        )
        logger.info("generation accepted", extra={"jobId": accepted.job_id})
        return http.json_response(202, accepted.to_json_dict())

    @app.get("/jobs")
    def list_jobs() -> Response[Any]:
        query = app.current_event.query_string_parameters or {}
        page = runtime.application().queries.list_jobs(
            http.identity(app), query.get("limit"), query.get("nextToken")
        )
        return http.json_response(200, page)

    @app.get("/jobs/<job_id>")
    def get_job(job_id: str) -> Response[Any]:
        return http.json_response(
            200, runtime.application().queries.get_job(http.identity(app), job_id)
        )

    @app.delete("/jobs/<job_id>")
    def delete_job(job_id: str) -> Response[Any]:
        deleted = runtime.application().deletion.delete_job(http.identity(app), job_id)
        return http.json_response(200, deleted)

    @app.post("/jobs/<job_id>/cancel")
    def cancel_job(job_id: str) -> Response[Any]:
        canceled = runtime.application().cancellation.cancel_job(http.identity(app), job_id)
        return http.json_response(200, canceled)

    @app.get("/usage")
    def usage() -> Response[Any]:
        used = runtime.application().queries.get_usage(http.identity(app))
        return http.json_response(200, used.to_json_dict())

    @app.get("/styles")
    def styles() -> Response[Any]:
        return http.json_response(200, {"styles": runtime.application().queries.list_styles()})

    return app


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return runtime.once("api", _build).resolve(event, context)
