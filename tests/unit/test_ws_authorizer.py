"""The WebSocket authorizer admits exactly the Cognito tokens of this app, offline."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from profilephoto.entrypoints.aws_lambda import ws_authorizer
from profilephoto.entrypoints.aws_lambda.ws_authorizer import (
    CognitoTokenVerifier,
    authorize,
    verifier_from_settings,
)
from profilephoto.settings import ConfigurationError, load_settings

ISSUER = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_TestPool"
CLIENT = "app-client-1"
METHOD_ARN = "arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/$connect"
POOL_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwks(kid: str = "pool-key") -> dict[str, Any]:
    jwk = json.loads(RSAAlgorithm.to_jwk(POOL_KEY.public_key()))
    return {"keys": [{**jwk, "kid": kid, "alg": "RS256", "use": "sig"}]}


class LocalKeySet:
    """A signing-key source over an in-memory JWKS, as PyJWKClient is over Cognito's."""

    def __init__(self, key_set: dict[str, Any]) -> None:
        self._keys = jwt.PyJWKSet.from_dict(key_set)

    def get_signing_key_from_jwt(self, token: str) -> jwt.PyJWK:
        kid = jwt.get_unverified_header(token).get("kid")
        for key in self._keys.keys:
            if key.key_id == kid:
                return key
        raise jwt.PyJWKClientError(f"unknown kid {kid}")


def token(
    key: Any = POOL_KEY, kid: str = "pool-key", algorithm: str = "RS256", **overrides: Any
) -> str:
    now = int(time.time())
    claims = {
        "sub": "user-123",
        "iss": ISSUER,
        "aud": CLIENT,
        "token_use": "id",
        "email": "alice@example.com",
        "iat": now,
        "exp": now + 600,
        **overrides,
    }
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, key, algorithm=algorithm, headers={"kid": kid})


def connect_event(raw_token: str | None) -> dict[str, Any]:
    query = {"token": raw_token} if raw_token is not None else None
    return {"type": "REQUEST", "methodArn": METHOD_ARN, "queryStringParameters": query}


@pytest.fixture
def verifier() -> CognitoTokenVerifier:
    return CognitoTokenVerifier(ISSUER, frozenset({CLIENT}), LocalKeySet(jwks()))


def effect(response: dict[str, Any]) -> str:
    [statement] = response["policyDocument"]["Statement"]
    assert statement["Resource"] == METHOD_ARN
    return str(statement["Effect"])


def test_a_valid_id_token_is_allowed_with_its_sub_as_principal_and_context(verifier):
    response = authorize(verifier, connect_event(token()))

    assert effect(response) == "Allow"
    assert response["principalId"] == "user-123"
    assert response["context"] == {"sub": "user-123"}


def test_a_list_audience_that_names_this_app_is_allowed_as_rfc_7519_says(verifier):
    # RFC 7519 §4.1.3: `aud` may be an array; the token is for us when one member is ours.
    response = authorize(verifier, connect_event(token(aud=["another-client", CLIENT])))

    assert effect(response) == "Allow"
    assert response["principalId"] == "user-123"


def test_an_access_token_of_the_app_client_is_allowed(verifier):
    access = token(aud=None, token_use="access", client_id=CLIENT)

    assert effect(authorize(verifier, connect_event(access))) == "Allow"


@pytest.mark.parametrize(
    "raw_token",
    [
        pytest.param(None, id="no token"),
        pytest.param("", id="empty token"),
        pytest.param("not-a-jwt", id="garbage"),
        pytest.param(token(exp=int(time.time()) - 60), id="expired"),
        pytest.param(token(key=OTHER_KEY), id="signed by another key"),
        pytest.param(token(kid="unknown-key"), id="unknown key id"),
        pytest.param(token(iss="https://evil.example.com/pool"), id="another issuer"),
        pytest.param(token(aud="another-client"), id="another app client"),
        pytest.param(token(token_use="refresh"), id="not an id or access token"),
        pytest.param(token(sub=None), id="no subject"),
        pytest.param(token(sub=""), id="an empty subject"),
        pytest.param(token(sub="   "), id="a blank subject"),
        pytest.param(token(sub=123), id="a number as subject"),
        pytest.param(token(aud=["another-client", "a-third"]), id="a list of other audiences"),
        pytest.param(token(aud=[]), id="an empty list of audiences"),
        pytest.param(token(aud=[[CLIENT]]), id="a nested list of audiences"),
        pytest.param(token(aud={"client": CLIENT}), id="an object as audience"),
        pytest.param(
            token(aud=None, token_use="access", client_id=[CLIENT]), id="a list as client_id"
        ),
        pytest.param(
            token(key="a-shared-secret-of-at-least-32-bytes", algorithm="HS256"),
            id="symmetric algorithm",
        ),
    ],
)
def test_a_token_that_is_not_a_live_token_of_this_app_is_denied(verifier, raw_token):
    response = authorize(verifier, connect_event(raw_token))

    assert effect(response) == "Deny"
    assert "context" not in response


def test_missing_configuration_fails_naming_the_variable():
    with pytest.raises(ConfigurationError, match="COGNITO_ISSUER"):
        verifier_from_settings(load_settings(COGNITO_APP_CLIENT_IDS=CLIENT))
    with pytest.raises(ConfigurationError, match="COGNITO_APP_CLIENT_IDS"):
        verifier_from_settings(load_settings(COGNITO_ISSUER=ISSUER))


@pytest.fixture
def jwks_server() -> Iterator[tuple[str, list[str]]]:
    """A loopback stand-in for Cognito's JWKS endpoint that records each fetch."""
    fetched: list[str] = []
    body = json.dumps(jwks()).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            fetched.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/eu-west-1_TestPool", fetched
    finally:
        server.shutdown()
        server.server_close()


def test_the_handler_fetches_the_key_set_once_per_cold_start(jwks_server, monkeypatch):
    issuer, fetched = jwks_server
    monkeypatch.setenv("COGNITO_ISSUER", issuer)
    monkeypatch.setenv("COGNITO_APP_CLIENT_IDS", f"other-client, {CLIENT}")
    monkeypatch.setattr(ws_authorizer, "_verifier", None)

    first = ws_authorizer.handler(connect_event(token(iss=issuer)), None)
    second = ws_authorizer.handler(connect_event(token(iss=issuer, sub="user-456")), None)

    assert (first["principalId"], second["principalId"]) == ("user-123", "user-456")
    assert fetched == ["/eu-west-1_TestPool/.well-known/jwks.json"]
