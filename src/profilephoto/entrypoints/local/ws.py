"""The WebSocket at `/ws?token=...`: the hub's live sockets, recorded by the Lambda handler."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocket, WebSocketDisconnect

from profilephoto.adapters.local.hub import WebSocketHub, loop_sender
from profilephoto.adapters.local.worker import LocalLambdaContext
from profilephoto.domain.errors import Unauthorized

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
POLICY_VIOLATION = 1008


def ws_event(
    route: str, connection_id: str, user_id: str, body: str | None = None
) -> dict[str, Any]:
    """What API Gateway sends a WebSocket route's Lambda after a REQUEST authorizer."""
    event_type = {"$connect": "CONNECT", "$disconnect": "DISCONNECT"}.get(route, "MESSAGE")
    event: dict[str, Any] = {
        "requestContext": {
            "routeKey": route,
            "eventType": event_type,
            "messageDirection": "IN",
            "stage": "local",
            "connectionId": connection_id,
            "connectedAt": int(time.time() * 1000),
            "requestTimeEpoch": int(time.time() * 1000),
            "apiId": "local",
            "authorizer": {"principalId": user_id, "sub": user_id},
        },
        "isBase64Encoded": False,
    }
    if body is not None:
        event["body"] = body
    return event


class WebSocketRoute:
    def __init__(
        self, hub: WebSocketHub, verify: Callable[[str], dict[str, Any]], handler: Handler
    ) -> None:
        self._hub = hub
        self._verify = verify
        self._handler = handler

    async def handle(self, websocket: WebSocket) -> None:
        try:
            user_id = str(self._verify(websocket.query_params.get("token", ""))["sub"])
        except Unauthorized:
            await websocket.close(code=POLICY_VIOLATION)
            return
        # API Gateway's connection ids look like this: 16 url-safe characters.
        connection_id = secrets.token_urlsafe(12)
        connected = await self._call("$connect", connection_id, user_id)
        if connected.get("statusCode") != 200:
            await websocket.close(code=POLICY_VIOLATION)
            return
        await websocket.accept()
        self._hub.register(
            user_id, connection_id, loop_sender(asyncio.get_running_loop(), websocket.send_text)
        )
        try:
            while True:
                text = await websocket.receive_text()
                answer = await self._call("$default", connection_id, user_id, text)
                if answer.get("body"):
                    await websocket.send_text(str(answer["body"]))
        except WebSocketDisconnect:
            pass
        finally:
            self._hub.unregister(connection_id)
            await self._call("$disconnect", connection_id, user_id)

    async def _call(
        self, route: str, connection_id: str, user_id: str, body: str | None = None
    ) -> dict[str, Any]:
        event = ws_event(route, connection_id, user_id, body)
        context = LocalLambdaContext(function_name="profilephoto-local-websocket")
        answer = await run_in_threadpool(self._handler, event, context)
        return answer if isinstance(answer, dict) else {}
