"""The WebSocket use case: connections remembered per user for a socket's lifetime."""

from __future__ import annotations

import pytest

from profilephoto.domain.errors import InvalidRequest, Unauthorized
from profilephoto.services.connections import CONNECTION_TTL


def test_a_connection_is_remembered_until_a_little_after_api_gateway_closes_it(world):
    service = world.container.application().connections
    connection = service.connect("conn-1", "alice")
    assert world.uow.connections.list_for_user("alice") == [connection]
    assert connection.ttl == int((world.clock.now() + CONNECTION_TTL).timestamp())


def test_disconnecting_forgets_it_and_forgetting_twice_is_fine(world):
    service = world.container.application().connections
    service.connect("conn-1", "alice")
    service.disconnect("conn-1")
    service.disconnect("conn-1")
    assert world.uow.connections.list_for_user("alice") == []


def test_a_connection_without_a_user_or_an_id_is_refused(world):
    service = world.container.application().connections
    with pytest.raises(Unauthorized):
        service.connect("conn-1", None)
    with pytest.raises(InvalidRequest):
        service.connect("", "alice")
    assert world.uow.connections.list_for_user("alice") == []
