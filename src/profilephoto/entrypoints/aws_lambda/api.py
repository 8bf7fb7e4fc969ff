"""Handler for the REST API: `POST /generate`, jobs (list, read, cancel, delete), usage, styles."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from profilephoto.entrypoints.aws_lambda import http, runtime
from profilephoto.entrypoints.aws_lambda.observability import logger, metrics


def _build() -> APIGatewayRestResolver:
    app = http.new_resolver()

    def services() -> Any:
        return runtime.container().services

    @app.post("/generate")
    def generate() -> Response[Any]:
        who = http.identity(app)
        request = http.body(app)
        accepted = (
            services()
            .generation_service()
            .request_generation(
                who,
                request.get("fileKey"),
                request.get("style"),
                connection_id=request.get("connectionId"),
                idempotency_key=app.current_event.headers.get("Idempotency-Key")
                or app.current_event.headers.get("idempotency-key"),
                file_keys=request.get("fileKeys"),
                count=request.get("count"),
                aspect_ratio=request.get("aspectRatio"),
            )
        )
        logger.info("generation accepted", extra={"jobId": accepted.job_id})
        return http.json_response(202, accepted.to_json_dict())

    @app.get("/jobs")
    def list_jobs() -> Response[Any]:
        query = app.current_event.query_string_parameters or {}
        page = (
            services()
            .query_service()
            .list_jobs(http.identity(app), query.get("limit"), query.get("nextToken"))
        )
        return http.json_response(200, page)

    @app.get("/jobs/<job_id>")
    def get_job(job_id: str) -> Response[Any]:
        return http.json_response(
            200, services().query_service().get_job(http.identity(app), job_id)
        )

    @app.delete("/jobs/<job_id>")
    def delete_job(job_id: str) -> Response[Any]:
        deleted = services().deletion_service().delete_job(http.identity(app), job_id)
        return http.json_response(200, deleted)

    @app.post("/jobs/<job_id>/cancel")
    def cancel_job(job_id: str) -> Response[Any]:
        canceled = services().cancellation_service().cancel_job(http.identity(app), job_id)
        return http.json_response(200, canceled)

    @app.get("/usage")
    def usage() -> Response[Any]:
        return http.json_response(
            200, services().query_service().get_usage(http.identity(app)).to_json_dict()
        )

    @app.get("/styles")
    def styles() -> Response[Any]:
        return http.json_response(200, {"styles": services().query_service().list_styles()})

    return app


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return runtime.once("api", _build).resolve(event, context)
