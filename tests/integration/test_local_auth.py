"""Local bearer tokens: what is accepted and everything that is not."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from profilephoto.adapters.local.auth import LocalAuth
from profilephoto.adapters.local.keyfile import load_or_create_secret
from profilephoto.domain.errors import Unauthorized

SECRET = b"s" * 64  # long enough for the HS512 case below


@pytest.fixture
def auth() -> LocalAuth:
    return LocalAuth(SECRET)


def segment(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def test_an_issued_token_verifies_to_cognito_shaped_claims(auth):
    claims = auth.verify(auth.issue("alice", email="a@x.io", name="Alice"))
    assert claims["sub"] == "alice"
    assert (claims["email"], claims["name"]) == ("a@x.io", "Alice")
    assert (claims["iss"], claims["token_use"]) == ("profilephoto-local", "id")
    assert claims["exp"] > claims["iat"]


def test_optional_claims_are_left_out_when_not_given(auth):
    claims = auth.verify(auth.issue("bob"))
    assert "email" not in claims and "name" not in claims


def test_an_expired_token_is_unauthorized(auth):
    token = auth.issue(
        "alice", ttl=timedelta(minutes=5), now=datetime.now(UTC) - timedelta(hours=1)
    )
    with pytest.raises(Unauthorized):
        auth.verify(token)


def test_a_token_signed_with_another_secret_is_unauthorized(auth):
    with pytest.raises(Unauthorized):
        auth.verify(LocalAuth(b"o" * 32).issue("alice"))


def test_a_token_whose_claims_were_edited_is_unauthorized(auth):
    header, _, signature = auth.issue("alice").split(".")
    forged = segment(
        {"sub": "bob", "iss": "profilephoto-local", "token_use": "id", "iat": 1, "exp": 9999999999}
    )
    with pytest.raises(Unauthorized):
        auth.verify(f"{header}.{forged}.{signature}")


def test_an_unsigned_alg_none_token_is_unauthorized(auth):
    claims = {
        "sub": "alice",
        "iss": "profilephoto-local",
        "token_use": "id",
        "iat": 1,
        "exp": 9999999999,
    }
    token = f"{segment({'alg': 'none', 'typ': 'JWT'})}.{segment(claims)}."
    with pytest.raises(Unauthorized):
        auth.verify(token)


def test_another_algorithm_or_issuer_or_use_is_unauthorized(auth):
    now = int(datetime.now(UTC).timestamp())
    good = {
        "sub": "alice",
        "iss": "profilephoto-local",
        "token_use": "id",
        "iat": now,
        "exp": now + 60,
    }
    for claims, alg in [
        (good, "HS512"),
        ({**good, "iss": "someone-else"}, "HS256"),
        ({**good, "token_use": "access"}, "HS256"),
        ({k: v for k, v in good.items() if k != "exp"}, "HS256"),
        ({**good, "sub": ""}, "HS256"),
    ]:
        with pytest.raises(Unauthorized):
            auth.verify(jwt.encode(claims, SECRET, algorithm=alg))


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c", "...", "é" * 10])
def test_garbage_is_unauthorized(auth, token):
    with pytest.raises(Unauthorized):
        auth.verify(token)


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer ", "Basic abc", "token"])
def test_a_missing_or_malformed_authorization_header_is_unauthorized(auth, header):
    with pytest.raises(Unauthorized):
        auth.verify_header(header)


def test_a_bearer_header_yields_the_claims(auth):
    assert auth.verify_header(f"Bearer {auth.issue('alice')}")["sub"] == "alice"
    assert auth.verify_header(f"bearer  {auth.issue('bob')} ")["sub"] == "bob"


def test_the_raw_token_as_the_header_value_yields_the_claims_as_on_aws(auth):
    # API Gateway's Cognito authorizer takes the token itself (docs/deploy.md).
    assert auth.verify_header(auth.issue("carol"))["sub"] == "carol"
    assert auth.verify_header(f" {auth.issue('dan')} ")["sub"] == "dan"


def test_a_secret_from_the_data_dir_is_shared_by_every_process(tmp_path):
    issuer = LocalAuth(load_or_create_secret(tmp_path, "token"))
    verifier = LocalAuth(load_or_create_secret(tmp_path, "token"))
    assert verifier.verify(issuer.issue("alice"))["sub"] == "alice"


def test_a_short_secret_is_refused():
    with pytest.raises(ValueError):
        LocalAuth(b"short")


def test_user_ids_reserved_for_the_service_get_no_token():
    auth = LocalAuth(b"k" * 32)
    with pytest.raises(ValueError, match="reserved"):
        auth.issue("__global__")
