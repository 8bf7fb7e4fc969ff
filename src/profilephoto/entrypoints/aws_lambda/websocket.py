"""Handler for the WebSocket API: remember connections per user, answer pings."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from profilephoto.domain.errors import InvalidRequest, Unauthorized
from profilephoto.entrypoints.aws_lambda import observability, runtime


def _user_id(context: dict[str, Any]) -> str | None:
    authorizer = context.get("authorizer") or {}
    claims = authorizer.get("claims")
    claims = claims if isinstance(claims, dict) else {}
    for candidate in (authorizer.get("principalId"), authorizer.get("sub"), claims.get("sub")):
        if isinstance(candidate, str) and candidate:
            return candidate
    return None


@observability.lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = event.get("requestContext") or {}
    route, connection_id = request.get("routeKey"), request.get("connectionId")
    if not isinstance(connection_id, str) or not connection_id:
        return {"statusCode": 400, "body": "missing connectionId"}
    connections = runtime.application().connections
    try:
        if route == "$connect":
            connections.connect(connection_id, _user_id(request))
            return {"statusCode": 200, "body": "connected"}
        if route == "$disconnect":
            connections.disconnect(connection_id)
            return {"statusCode": 200, "body": "disconnected"}
    except InvalidRequest as exc:
        return {"statusCode": 400, "body": exc.message}
    except Unauthorized:
        return {"statusCode": 401, "body": "unauthorized"}
    return {"statusCode": 200, "body": json.dumps({"type": "pong", "connectionId": connection_id})}
