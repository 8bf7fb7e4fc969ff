"""Handler for the WebSocket API: remember connections per user, answer pings."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from profilephoto.domain.models import Connection
from profilephoto.entrypoints.aws_lambda import runtime
from profilephoto.entrypoints.aws_lambda.observability import logger

# API Gateway closes a WebSocket after two hours; the record should not outlive it by much.
CONNECTION_TTL = timedelta(hours=2, minutes=5)


def _user_id(context: dict[str, Any]) -> str | None:
    authorizer = context.get("authorizer") or {}
    claims = authorizer.get("claims")
    claims = claims if isinstance(claims, dict) else {}
    for candidate in (authorizer.get("principalId"), authorizer.get("sub"), claims.get("sub")):
        if isinstance(candidate, str) and candidate:
            return candidate
    return None


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = event.get("requestContext") or {}
    route, connection_id = request.get("routeKey"), request.get("connectionId")
    if not isinstance(connection_id, str) or not connection_id:
        return {"statusCode": 400, "body": "missing connectionId"}
    uow = runtime.container().uow()
    if route == "$connect":
        user_id = _user_id(request)
        if user_id is None:
            return {"statusCode": 401, "body": "unauthorized"}
        now = runtime.container().clock().now()
        uow.connections.add(
            Connection(
                connection_id=connection_id,
                user_id=user_id,
                connected_at=now,
                ttl=int((now + CONNECTION_TTL).timestamp()),
            )
        )
        logger.info("connected", extra={"userId": user_id})
        return {"statusCode": 200, "body": "connected"}
    if route == "$disconnect":
        uow.connections.remove(connection_id)
        return {"statusCode": 200, "body": "disconnected"}
    return {"statusCode": 200, "body": json.dumps({"type": "pong", "connectionId": connection_id})}
