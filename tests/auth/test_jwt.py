from __future__ import annotations

import base64
import json
import uuid
from datetime import timedelta
from typing import Any

import jwt
import pytest
from pydantic import ValidationError

from app.core.config import Settings
from app.core.db import Database
from app.core.security import issue_access_token
from app.core.types import utcnow
from tests.auth.helpers import API, assert_problem, bearer, login, new_user

OTHER_KEY = "another-key-that-is-long-enough-to-be-real!"


def claims_for(settings: Settings, user_id: int, **changes: Any) -> dict[str, Any]:
    now = utcnow()
    claims: dict[str, Any] = {
        "iss": settings.jwt_issuer, "aud": settings.jwt_audience, "sub": f"user:{user_id}",
        "iat": now, "nbf": now, "exp": now + timedelta(minutes=5), "jti": uuid.uuid4().hex,
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def sign(settings: Settings, claims: dict[str, Any], *, key: str | None = None,
         kid: str | None = None) -> str:
    kid = kid or settings.jwt_kid
    return jwt.encode(claims, key or settings.jwt_keys[settings.jwt_kid], algorithm="HS256",
                      headers={"kid": kid})


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


class TestAccessToken:
    async def test_header_and_claims(self, client, db: Database, settings):
        user = await new_user(db)
        token = (await login(client, user.username)).json()["access_token"]
        header = jwt.get_unverified_header(token)
        assert header["alg"] == "HS256"
        assert header["kid"] == settings.jwt_kid
        claims = jwt.decode(token, settings.jwt_keys[settings.jwt_kid], algorithms=["HS256"],
                            audience=settings.jwt_audience, issuer=settings.jwt_issuer)
        assert {"iss", "aud", "exp", "iat", "jti", "sub"} <= set(claims)
        assert claims["sub"] == f"user:{user.id}"
        assert claims["exp"] - claims["iat"] == settings.access_token_ttl_seconds

    async def test_every_token_has_its_own_jti(self, client, db: Database, settings):
        user = await new_user(db)
        tokens = [(await login(client, user.username)).json()["access_token"] for _ in range(2)]
        jtis = {jwt.decode(t, options={"verify_signature": False})["jti"] for t in tokens}
        assert len(jtis) == 2

    async def test_well_formed_token_is_accepted(self, client, db: Database, settings):
        user = await new_user(db)
        r = await client.get(f"{API}/me", headers=bearer(sign(settings, claims_for(settings,
                                                                                  user.id))))
        assert r.status_code == 200, r.text

    async def test_alg_none_is_401(self, client, db: Database, settings):
        user = await new_user(db)
        claims = json.loads(json.dumps(claims_for(settings, user.id), default=lambda d:
                                       int(d.timestamp())))
        token = f"{b64({'alg': 'none', 'typ': 'JWT', 'kid': settings.jwt_kid})}.{b64(claims)}."
        r = await client.get(f"{API}/me", headers=bearer(token))
        assert_problem(r, 401, "token_invalid")

    async def test_signed_with_another_key_is_401(self, client, db: Database, settings):
        user = await new_user(db)
        token = sign(settings, claims_for(settings, user.id), key=OTHER_KEY)
        assert_problem(await client.get(f"{API}/me", headers=bearer(token)), 401,
                       "token_invalid")

    async def test_unknown_kid_is_401(self, client, db: Database, settings):
        user = await new_user(db)
        token = sign(settings, claims_for(settings, user.id), kid="nope")
        assert_problem(await client.get(f"{API}/me", headers=bearer(token)), 401,
                       "token_invalid")

    async def test_expired_is_401(self, client, db: Database, settings):
        user = await new_user(db)
        token = issue_access_token(settings, subject=f"user:{user.id}", ttl_seconds=-10)
        assert_problem(await client.get(f"{API}/me", headers=bearer(token)), 401,
                       "token_expired")

    async def test_missing_jti_is_401(self, client, db: Database, settings):
        user = await new_user(db)
        token = sign(settings, claims_for(settings, user.id, jti=None))
        assert_problem(await client.get(f"{API}/me", headers=bearer(token)), 401,
                       "token_invalid")

    async def test_wrong_audience_is_401(self, client, db: Database, settings):
        user = await new_user(db)
        token = sign(settings, claims_for(settings, user.id, aud="someone-else"))
        assert_problem(await client.get(f"{API}/me", headers=bearer(token)), 401,
                       "token_invalid")

    async def test_wrong_issuer_is_401(self, client, db: Database, settings):
        user = await new_user(db)
        token = sign(settings, claims_for(settings, user.id, iss="evil"))
        assert_problem(await client.get(f"{API}/me", headers=bearer(token)), 401,
                       "token_invalid")

    async def test_token_of_disabled_user_is_401(self, client, db: Database, settings):
        user = await new_user(db, is_active=False)
        token = sign(settings, claims_for(settings, user.id))
        assert_problem(await client.get(f"{API}/me", headers=bearer(token)), 401,
                       "token_invalid")

    async def test_garbage_is_401(self, client):
        assert_problem(await client.get(f"{API}/me", headers=bearer("not.a.jwt")), 401,
                       "token_invalid")


class TestMe:
    async def test_no_token_is_401_with_bearer_challenge(self, client):
        r = await client.get(f"{API}/me")
        assert_problem(r, 401, "unauthorized")
        assert r.headers["www-authenticate"] == "Bearer"

    async def test_basic_scheme_is_401(self, client):
        r = await client.get(f"{API}/me", headers={"Authorization": "Basic dXNlcjpwYXNz"})
        assert r.status_code == 401
        assert r.headers["www-authenticate"] == "Bearer"


STRONG = {
    "jwt_keys": {"k2": "j" * 48},
    "jwt_kid": "k2",
    "data_keys": {"d2": base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()},
    "data_kid": "d2",
    "blind_index_key": "b" * 48,
}


class TestProductionSettings:
    def test_default_secrets_are_refused(self):
        with pytest.raises(ValidationError, match="refusing to start in production"):
            Settings(env="production")

    def test_short_jwt_key_is_refused(self):
        with pytest.raises(ValidationError, match="JWT key 'k2'"):
            Settings(env="production", **{**STRONG, "jwt_keys": {"k2": "short"}})

    def test_strong_keys_are_accepted(self):
        s = Settings(env="production", **STRONG)
        assert s.env == "production"
