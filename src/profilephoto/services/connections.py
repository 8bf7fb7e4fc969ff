"""Use case of the WebSocket API: remember each user's live connections while they live."""

from __future__ import annotations

import logging
from datetime import timedelta

from profilephoto.domain.errors import InvalidRequest, Unauthorized
from profilephoto.domain.models import Connection
from profilephoto.domain.ports import Clock, ConnectionRepository

log = logging.getLogger(__name__)

# API Gateway closes a WebSocket after two hours; the record should not outlive it by much.
CONNECTION_TTL = timedelta(hours=2, minutes=5)
MAX_ID = 128


class ConnectionService:
    def __init__(self, connections: ConnectionRepository, clock: Clock) -> None:
        self._connections, self._clock = connections, clock

    def connect(self, connection_id: str, user_id: str | None) -> Connection:
        """Remember the caller's connection until the socket's lifetime has surely ended."""
        _check_id(connection_id)
        if not user_id or len(user_id) > MAX_ID:
            raise Unauthorized()
        now = self._clock.now()
        connection = Connection(
            connection_id=connection_id,
            user_id=user_id,
            connected_at=now,
            ttl=int((now + CONNECTION_TTL).timestamp()),
        )
        self._connections.add(connection)
        log.info("connected", extra={"userId": user_id})
        return connection

    def disconnect(self, connection_id: str) -> None:
        """Forget a connection (an unknown one included: API Gateway may tell us twice)."""
        _check_id(connection_id)
        self._connections.remove(connection_id)


def _check_id(connection_id: str) -> None:
    if not connection_id or len(connection_id) > MAX_ID:
        raise InvalidRequest("missing connectionId")
