"""Handler for `POST /upload/presigned`: validate, presign, no AWS call."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from profilephoto.entrypoints.aws_lambda import http, observability, runtime
from profilephoto.entrypoints.aws_lambda.commands import UploadCommand
from profilephoto.entrypoints.aws_lambda.openapi import documented
from profilephoto.entrypoints.aws_lambda.rest import Response, Router
from profilephoto.entrypoints.aws_lambda.views import UploadTicketView, ticket_view


def _build() -> Router:
    app = http.new_resolver()

    @app.post("/upload/presigned")
    @documented(200, UploadTicketView, body=UploadCommand, errors=(400, 401, 429, 503))
    def presign() -> Response:
        """A URL to upload one photo to, valid for a short while."""
        who = http.identity(app)
        command = http.command(app, UploadCommand)
        ticket = runtime.application().uploads.request_upload(who, command.to_request())
        return http.view_response(200, ticket_view(ticket))

    return app


def resolver() -> Router:
    """This handler's resolver, built once per runtime."""
    return runtime.once("file_transfer", _build)


@observability.lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return resolver().resolve(event, context)
