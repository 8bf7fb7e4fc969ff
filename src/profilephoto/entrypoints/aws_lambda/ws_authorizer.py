"""WebSocket $connect REQUEST authorizer: verifies the Cognito JWT given as `token` query param."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Protocol

import jwt

from profilephoto.settings import ConfigurationError, Settings, load_settings

log = logging.getLogger(__name__)

ALGORITHMS = ["RS256"]


class SigningKeySource(Protocol):
    def get_signing_key_from_jwt(self, token: str) -> jwt.PyJWK:
        """The public key the token's `kid` names; raises jwt.PyJWKClientError if unknown."""


class InvalidToken(Exception):
    """The token is missing, malformed, expired, or not issued for this app."""


class CognitoTokenVerifier:
    """Checks signature, expiry, issuer and app client of a Cognito ID or access token."""

    def __init__(self, issuer: str, client_ids: frozenset[str], keys: SigningKeySource) -> None:
        self._issuer, self._client_ids, self._keys = issuer, client_ids, keys

    def verify(self, token: str | None) -> dict[str, Any]:
        if not token:
            raise InvalidToken("no token")
        try:
            key = self._keys.get_signing_key_from_jwt(token)
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=ALGORITHMS,
                issuer=self._issuer,
                # Cognito access tokens carry no `aud`; the client is checked below for both kinds.
                options={"verify_aud": False, "require": ["exp", "iss", "sub", "token_use"]},
            )
        except (jwt.PyJWTError, jwt.PyJWKClientError) as exc:
            raise InvalidToken(type(exc).__name__) from exc
        use = claims.get("token_use")
        client = claims.get("aud") if use == "id" else claims.get("client_id")
        if use not in ("id", "access") or not self._names_this_app(client, use):
            raise InvalidToken("token not issued for this app")
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub.strip():
            raise InvalidToken("token has no subject")
        return claims

    def _names_this_app(self, client: object, use: str) -> bool:
        """An id token's `aud` may be one string or, as RFC 7519 §4.1.3 allows, a list of
        them, one of which must be ours; an access token's `client_id` is one string."""
        if isinstance(client, str):
            return client in self._client_ids
        if use == "id" and isinstance(client, list):
            return any(isinstance(c, str) and c in self._client_ids for c in client)
        return False


def verifier_from_settings(settings: Settings) -> CognitoTokenVerifier:
    """COGNITO_ISSUER and COGNITO_APP_CLIENT_IDS (comma-separated), as the template sets them."""
    issuer = (settings.cognito_issuer or "").rstrip("/")
    clients = frozenset(c.strip() for c in settings.cognito_app_client_ids.split(","))
    if not issuer:
        raise ConfigurationError("missing required environment variable(s): COGNITO_ISSUER")
    if not clients - {""}:
        raise ConfigurationError("missing required environment variable(s): COGNITO_APP_CLIENT_IDS")
    # PyJWKClient caches the key set, so the JWKS is fetched once per cold start.
    keys = jwt.PyJWKClient(f"{issuer}/.well-known/jwks.json", cache_keys=True, timeout=5)
    return CognitoTokenVerifier(issuer, clients - {""}, keys)


def authorize(verifier: CognitoTokenVerifier, event: Mapping[str, Any]) -> dict[str, Any]:
    """The IAM policy API Gateway expects: Allow with principalId = sub, or Deny."""
    method_arn = event.get("methodArn", "*")
    token = (event.get("queryStringParameters") or {}).get("token")
    try:
        sub = verifier.verify(token)["sub"]
    except InvalidToken as exc:
        # A Deny (403) rather than an exception: bad tokens are not authorizer errors.
        log.info("websocket connect denied", extra={"reason": str(exc)})
        return _policy("anonymous", "Deny", method_arn)
    return {**_policy(sub, "Allow", method_arn), "context": {"sub": sub}}


def _policy(principal: str, effect: str, resource: str) -> dict[str, Any]:
    statement = {"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}
    return {
        "principalId": principal,
        "policyDocument": {"Version": "2012-10-17", "Statement": [statement]},
    }


_verifier: CognitoTokenVerifier | None = None


def handler(event: Mapping[str, Any], context: object) -> dict[str, Any]:
    global _verifier
    if _verifier is None:
        _verifier = verifier_from_settings(load_settings())
    return authorize(_verifier, event)
