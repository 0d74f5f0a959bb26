from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from app.core.db import Database
from app.core.security import sha256_hex
from app.core.types import utcnow
from app.models import RefreshToken, User
from tests.auth.helpers import API, assert_problem, bearer, login, new_user, refresh


async def pair_for(client, db: Database) -> dict[str, str]:
    user = await new_user(db)
    r = await login(client, user.username)
    assert r.status_code == 200, r.text
    body: dict[str, str] = r.json()
    return body


async def token_row(db: Database, token: str) -> RefreshToken:
    async with db.writing() as session:
        stmt = select(RefreshToken).where(RefreshToken.token_hash == sha256_hex(token))
        return (await session.execute(stmt)).scalar_one()


class TestRefresh:
    async def test_rotation_returns_a_new_pair(self, client, db: Database, settings):
        first = await pair_for(client, db)
        r = await refresh(client, first["refresh_token"])
        assert r.status_code == 200, r.text
        body = r.json()
        assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in"}
        assert body["token_type"] == "bearer"
        assert body["expires_in"] == settings.access_token_ttl_seconds
        assert body["refresh_token"] != first["refresh_token"]
        assert r.headers["cache-control"] == "no-store"
        me = await client.get(f"{API}/me", headers=bearer(body["access_token"]))
        assert me.status_code == 200

    async def test_rotated_token_stays_in_the_family(self, client, db: Database):
        first = await pair_for(client, db)
        second = (await refresh(client, first["refresh_token"])).json()
        old, new = await token_row(db, first["refresh_token"]), await token_row(
            db, second["refresh_token"])
        assert old.replaced_at is not None and new.replaced_at is None
        assert old.family_id == new.family_id

    async def test_newest_token_keeps_rotating(self, client, db: Database):
        token = (await pair_for(client, db))["refresh_token"]
        for _ in range(3):
            r = await refresh(client, token)
            assert r.status_code == 200, r.text
            token = r.json()["refresh_token"]

    async def test_only_the_token_hash_is_stored(self, client, db: Database):
        token = (await pair_for(client, db))["refresh_token"]
        row = await token_row(db, token)
        assert row.token_hash == sha256_hex(token) != token

    async def test_reused_token_is_401(self, client, db: Database):
        first = await pair_for(client, db)
        assert (await refresh(client, first["refresh_token"])).status_code == 200
        r = await refresh(client, first["refresh_token"])
        assert_problem(r, 401, "refresh_token_reused")
        assert r.headers["www-authenticate"] == "Bearer"

    async def test_reuse_revokes_the_newest_token_of_the_family(self, client, db: Database):
        first = await pair_for(client, db)
        second = (await refresh(client, first["refresh_token"])).json()
        assert_problem(await refresh(client, first["refresh_token"]), 401,
                       "refresh_token_reused")
        # The revocation was committed although the reuse answered 401.
        assert_problem(await refresh(client, second["refresh_token"]), 401,
                       "refresh_token_invalid")
        assert (await token_row(db, second["refresh_token"])).revoked_at is not None

    async def test_reuse_does_not_touch_other_sessions(self, client, db: Database):
        user = await new_user(db)
        a = (await login(client, user.username)).json()
        b = (await login(client, user.username)).json()
        await refresh(client, a["refresh_token"])
        await refresh(client, a["refresh_token"])
        assert (await refresh(client, b["refresh_token"])).status_code == 200

    async def test_unknown_token_is_401(self, client):
        assert_problem(await refresh(client, "no-such-token"), 401, "refresh_token_invalid")

    async def test_expired_token_is_401(self, client, db: Database):
        token = (await pair_for(client, db))["refresh_token"]
        async with db.writing() as session:
            await session.execute(
                update(RefreshToken).where(RefreshToken.token_hash == sha256_hex(token))
                .values(expires_at=utcnow() - timedelta(seconds=1))
            )
            await session.commit()
        assert_problem(await refresh(client, token), 401, "refresh_token_invalid")

    async def test_disabled_user_cannot_refresh(self, client, db: Database):
        user = await new_user(db)
        token = (await login(client, user.username)).json()["refresh_token"]
        async with db.writing() as session:
            await session.execute(update(User).where(User.id == user.id).values(is_active=False))
            await session.commit()
        assert_problem(await refresh(client, token), 401, "refresh_token_invalid")
        # A refused refresh does not consume the token.
        assert (await token_row(db, token)).replaced_at is None

    async def test_empty_token_is_422(self, client):
        r = await client.post(f"{API}/auth/refresh", json={"refresh_token": ""})
        assert_problem(r, 422, "validation_error")


class TestLogout:
    async def test_logout_is_204_and_ends_the_session(self, client, db: Database):
        pair = await pair_for(client, db)
        r = await client.post(f"{API}/auth/logout", headers=bearer(pair["access_token"]))
        assert r.status_code == 204, r.text
        assert r.content == b""
        assert_problem(await refresh(client, pair["refresh_token"]), 401,
                       "refresh_token_invalid")

    async def test_logout_after_rotation_ends_the_rotated_token(self, client, db: Database):
        first = await pair_for(client, db)
        second = (await refresh(client, first["refresh_token"])).json()
        r = await client.post(f"{API}/auth/logout", headers=bearer(second["access_token"]))
        assert r.status_code == 204
        assert_problem(await refresh(client, second["refresh_token"]), 401,
                       "refresh_token_invalid")

    async def test_logout_leaves_other_sessions_alone(self, client, db: Database):
        user = await new_user(db)
        a = (await login(client, user.username)).json()
        b = (await login(client, user.username)).json()
        await client.post(f"{API}/auth/logout", headers=bearer(a["access_token"]))
        assert (await refresh(client, b["refresh_token"])).status_code == 200

    async def test_logout_without_token_is_401(self, client):
        r = await client.post(f"{API}/auth/logout")
        assert_problem(r, 401, "unauthorized")
