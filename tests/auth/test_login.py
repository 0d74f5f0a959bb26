from __future__ import annotations

import base64
import os

import httpx
import pytest
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from app.core.db import Database
from app.core.security import hash_password
from app.main import create_app
from tests.auth.helpers import API, assert_problem, bearer, login, new_user, unique
from tests.conftest import make_settings
from tests.factories import PASSWORD

WRONG = "not-the-password"


class TestLogin:
    async def test_success_returns_token_pair(self, client, db: Database, settings):
        user = await new_user(db)
        r = await login(client, user.username)
        assert r.status_code == 200, r.text
        body = r.json()
        assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in"}
        assert body["token_type"] == "bearer"
        assert body["expires_in"] == settings.access_token_ttl_seconds
        assert body["access_token"] and body["refresh_token"]

    async def test_token_response_is_not_cached(self, client, db: Database):
        user = await new_user(db)
        r = await login(client, user.username)
        # RFC 6749 §5.1: responses carrying tokens must not be stored by caches.
        assert r.headers["cache-control"] == "no-store"
        assert r.headers["pragma"] == "no-cache"

    async def test_access_token_identifies_the_user(self, client, db: Database):
        user = await new_user(db)
        r = await login(client, user.username)
        me = await client.get(f"{API}/me", headers=bearer(r.json()["access_token"]))
        assert me.status_code == 200, me.text
        assert me.json()["id"] == user.id
        assert me.json()["username"] == user.username

    async def test_wrong_password_is_401(self, client, db: Database):
        user = await new_user(db)
        r = await login(client, user.username, WRONG)
        assert_problem(r, 401, "bad_credentials")

    async def test_unknown_user_is_401_with_same_code(self, client):
        r = await login(client, unique("ghost"))
        assert_problem(r, 401, "bad_credentials")

    async def test_disabled_user_is_401(self, client, db: Database):
        user = await new_user(db, is_active=False)
        r = await login(client, user.username)
        assert_problem(r, 401, "bad_credentials")

    async def test_user_without_password_cannot_log_in(self, client, db: Database):
        # WeChat-created accounts have no password hash.
        user = await new_user(db, password_hash=None)
        r = await login(client, user.username, "")
        assert r.status_code == 422
        r = await login(client, user.username, WRONG)
        assert_problem(r, 401, "bad_credentials")

    async def test_unknown_field_is_422(self, client, db: Database):
        r = await client.post(f"{API}/auth/login",
                              json={"username": "a", "password": "b", "remember": True})
        assert_problem(r, 422, "validation_error")

    async def test_fifth_failure_locks_the_account(self, client, db: Database):
        user = await new_user(db)
        for _ in range(4):
            assert_problem(await login(client, user.username, WRONG), 401, "bad_credentials")
        r = await login(client, user.username, WRONG)
        assert_problem(r, 429, "account_locked")
        assert 0 < int(r.headers["retry-after"]) <= 15 * 60

    async def test_right_password_is_refused_while_locked(self, client, db: Database):
        user = await new_user(db)
        for _ in range(5):
            await login(client, user.username, WRONG)
        r = await login(client, user.username, PASSWORD)
        assert_problem(r, 429, "account_locked")
        assert 0 < int(r.headers["retry-after"]) <= 15 * 60

    async def test_unknown_user_is_locked_too(self, client):
        # Otherwise the lockout itself would tell which usernames exist.
        name = unique("ghost")
        for _ in range(4):
            await login(client, name, WRONG)
        assert_problem(await login(client, name, WRONG), 429, "account_locked")

    async def test_success_clears_earlier_failures(self, client, db: Database):
        user = await new_user(db)
        for _ in range(4):
            await login(client, user.username, WRONG)
        assert (await login(client, user.username)).status_code == 200
        for _ in range(4):
            assert_problem(await login(client, user.username, WRONG), 401, "bad_credentials")
        assert (await login(client, user.username)).status_code == 200

    async def test_lock_is_per_account(self, client, db: Database):
        locked, other = await new_user(db), await new_user(db)
        for _ in range(5):
            await login(client, locked.username, WRONG)
        assert (await login(client, other.username)).status_code == 200


@pytest.fixture
async def strict_ip_client(db: Database):
    app = create_app(make_settings(login_ip_limit="3/minute"), db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://test") as c:
        yield c


class TestLoginIpLimit:
    async def test_failed_attempts_from_one_ip_are_limited(self, strict_ip_client, db: Database):
        users = [await new_user(db) for _ in range(4)]
        for user in users[:3]:  # three accounts, one failure each: no account is locked
            assert (await login(strict_ip_client, user.username, WRONG)).status_code == 401
        r = await login(strict_ip_client, users[3].username)  # even the right password
        assert_problem(r, 429, "login_rate_limited")
        assert int(r.headers["retry-after"]) > 0

    async def test_successful_logins_are_not_counted(self, strict_ip_client, db: Database):
        user = await new_user(db)
        for _ in range(6):
            assert (await login(strict_ip_client, user.username)).status_code == 200

    async def test_a_morning_burst_from_one_address_gets_in(self, db: Database):
        """200 grid workers behind one NAT at 08:30, with the default per-IP limit. Their
        hashes are cheap Argon2 (the cost is in the stored hash; verification is the real
        one), so the test measures the limit, not the CPU."""
        app = create_app(make_settings(login_ip_limit="30/minute"), db)
        cheap = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))
        users = [await new_user(db, password_hash=cheap.hash(PASSWORD)) for _ in range(200)]
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://test") as c:
            codes = [(await login(c, u.username)).status_code for u in users]
        assert codes == [200] * 200


@pytest.fixture
async def redis_client(db: Database):
    url = os.environ.get("REDIS_URL")
    if not url:
        pytest.skip("REDIS_URL is not set")
    app = create_app(make_settings(redis_url=url), db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://test") as c:
        yield c
    await app.state.limits.storage.reset()


class TestLoginLockoutRedis:
    async def test_lockout_works_through_redis(self, redis_client, db: Database):
        user = await new_user(db)
        for _ in range(4):
            assert_problem(await login(redis_client, user.username, WRONG), 401,
                           "bad_credentials")
        assert_problem(await login(redis_client, user.username, WRONG), 429, "account_locked")
        r = await login(redis_client, user.username)
        assert_problem(r, 429, "account_locked")
        assert 0 < int(r.headers["retry-after"]) <= 15 * 60

    async def test_success_clears_failures_in_redis(self, redis_client, db: Database):
        user = await new_user(db)
        for _ in range(4):
            await login(redis_client, user.username, WRONG)
        assert (await login(redis_client, user.username)).status_code == 200
        for _ in range(4):
            assert_problem(await login(redis_client, user.username, WRONG), 401,
                           "bad_credentials")



class TestDemoPasswordInProduction:
    async def test_demo_password_is_refused_in_production(self, db: Database):
        settings = make_settings(
            env="production", jwt_keys={"k1": "p" * 40},
            data_keys={"d1": base64.b64encode(b"k" * 32).decode()}, blind_index_key="b" * 40,
        )
        user = await new_user(db, "demo", password_hash=hash_password(settings.demo_password))
        app = create_app(settings, db)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://t") as c:
            r = await login(c, user.username, settings.demo_password)
        assert_problem(r, 401, "bad_credentials")
