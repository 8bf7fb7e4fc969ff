"""Local bearer tokens: HS256 JWTs shaped like Cognito ID tokens, signed with a local secret."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from profilephoto.domain.errors import Unauthorized

ISSUER = "profilephoto-local"
DEFAULT_TTL = timedelta(days=30)
_REQUIRED = ["sub", "iss", "exp", "iat", "token_use"]


class LocalAuth:
    """Issues and verifies the tokens the local server accepts (`Authorization: Bearer`)."""

    def __init__(self, secret: bytes, issuer: str = ISSUER) -> None:
        if len(secret) < 32:
            # RFC 7518 §3.2: an HS256 key shorter than the hash output is guessable.
            raise ValueError("the token secret must be at least 32 bytes")
        self._secret = secret
        self._issuer = issuer

    def issue(
        self,
        user_id: str,
        email: str | None = None,
        name: str | None = None,
        ttl: timedelta = DEFAULT_TTL,
        now: datetime | None = None,
    ) -> str:
        if not user_id:
            raise ValueError("a token needs a user id")
        if user_id.startswith("__"):
            # Reserved for the service's own usage records (`__global__#date`).
            raise ValueError("user ids starting with '__' are reserved")
        issued = now or datetime.now(UTC)
        claims: dict[str, Any] = {
            "sub": user_id,
            "cognito:username": user_id,
            "iss": self._issuer,
            "token_use": "id",
            "iat": int(issued.timestamp()),
            "auth_time": int(issued.timestamp()),
            "exp": int((issued + ttl).timestamp()),
            "jti": uuid.uuid4().hex,
        }
        if email is not None:
            claims["email"] = email
        if name is not None:
            claims["name"] = name
        return jwt.encode(claims, self._secret, algorithm="HS256")

    def verify(self, token: str) -> dict[str, Any]:
        """The token's claims; Unauthorized for anything but a live token we issued."""
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._secret,
                algorithms=["HS256"],  # never taken from the token's own header
                issuer=self._issuer,
                options={"require": _REQUIRED},
            )
        except (jwt.PyJWTError, ValueError, TypeError) as error:
            raise Unauthorized("The token is not valid") from error
        if claims.get("token_use") != "id" or not isinstance(claims.get("sub"), str):
            raise Unauthorized("The token is not valid")
        if not claims["sub"]:
            raise Unauthorized("The token is not valid")
        return claims

    def verify_header(self, authorization: str | None) -> dict[str, Any]:
        """The claims of an `Authorization: <token>` header (what API Gateway's Cognito
        authorizer takes) or `Authorization: Bearer <token>`; Unauthorized otherwise."""
        value = (authorization or "").strip()
        scheme, _, token = value.partition(" ")
        if not token:
            token = value  # the raw token, as on AWS
        elif scheme.lower() != "bearer":
            raise Unauthorized()
        if not token.strip():
            raise Unauthorized()
        return self.verify(token.strip())
