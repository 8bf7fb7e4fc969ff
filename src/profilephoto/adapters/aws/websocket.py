"""Notifier over the API Gateway Management API: push to every live WebSocket connection."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from profilephoto.adapters.aws.errors import error_code
from profilephoto.domain.errors import ProfilePhotoError
from profilephoto.domain.models import JobStatusMessage
from profilephoto.domain.ports import ConnectionRepository

if TYPE_CHECKING:
    from mypy_boto3_apigatewaymanagementapi import ApiGatewayManagementApiClient

logger = logging.getLogger(__name__)

GONE = "GoneException"


class ApiGatewayNotifier:
    """The client's endpoint_url is the WebSocket stage's management endpoint."""

    def __init__(
        self, client: ApiGatewayManagementApiClient, connections: ConnectionRepository
    ) -> None:
        self._client = client
        self._connections = connections

    def notify(self, user_id: str, message: JobStatusMessage) -> None:
        payload = json.dumps(message.to_json_dict(), separators=(",", ":")).encode()
        targets: list[str] = []
        try:
            targets = [c.connection_id for c in self._connections.list_for_user(user_id)]
        except ProfilePhotoError as error:
            # A push is a courtesy: clients can always poll, so the job must not fail here.
            logger.warning(
                "connections unavailable",
                extra={"userId": user_id, "jobId": message.job_id, "errorCode": error.code},
            )
        # Only the owner's sockets: a connectionId named at /generate may be anyone's, and
        # their socket must never receive this user's result URL.
        for connection_id in targets:
            self._post(connection_id, payload, user_id, message.job_id)

    def _post(self, connection_id: str, payload: bytes, user_id: str, job_id: str) -> None:
        context = {"userId": user_id, "jobId": job_id, "connectionId": connection_id}
        try:
            self._client.post_to_connection(ConnectionId=connection_id, Data=payload)
        except ClientError as error:
            if error_code(error) == GONE:
                logger.info("connection gone", extra=context)
                self._forget(connection_id, context)
                return
            logger.warning("push failed", extra=context | {"awsErrorCode": error_code(error)})
        except BotoCoreError as error:
            logger.warning("push failed", extra=context | {"awsErrorCode": type(error).__name__})

    def _forget(self, connection_id: str, context: dict[str, str]) -> None:
        try:
            self._connections.remove(connection_id)
        except ProfilePhotoError as error:
            logger.warning("stale connection kept", extra=context | {"errorCode": error.code})
