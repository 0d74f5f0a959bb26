from __future__ import annotations

import json
from collections import Counter
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update

from app.auth import repository
from app.auth.wechat import WechatClient
from app.core.db import Database
from app.main import create_app
from app.models import AuditEntry, User
from app.seed.accounts import create_client
from tests.auth.helpers import API, assert_problem, bearer, new_user
from tests.conftest import make_settings
from tests.factories import World

SESSION_OK = {"openid": "oXYZ", "session_key": "tiihtNczf5v6AKRyjwEUhQ==",
              "unionid": "o6_bmasdasdsad6_2sgVt7hMZOPfL"}
INVALID_CODE = {"errcode": 40029, "errmsg": "invalid code"}
CODE_USED = {"errcode": 40163, "errmsg": "code been used"}
SYSTEM_ERROR = {"errcode": -1, "errmsg": "system error"}
QUOTA = {"errcode": 45011, "errmsg": "api minute-quota reach limit"}
TOKEN_OK = {"access_token": "ACCESS_TOKEN", "expires_in": 7200}
TOKEN_STALE = {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid"}
PHONE = "13812345678"
MASKED = "138****5678"


def phone_ok(number: str = PHONE) -> dict[str, Any]:
    return {"errcode": 0, "errmsg": "ok",
            "phone_info": {"phoneNumber": number, "purePhoneNumber": number,
                           "countryCode": "86",
                           "watermark": {"timestamp": 1637744274, "appid": "wxtest"}}}


Reply = dict[str, Any] | Callable[[httpx.Request], httpx.Response]


class FakeWechat:
    """Answers like api.weixin.qq.com; per-code replies are queues (last one repeats)."""

    def __init__(self) -> None:
        self.login: dict[str, list[Reply]] = {}
        self.phone: dict[str, list[Reply]] = {}
        self.token: list[Reply] = [TOKEN_OK]
        self.calls: Counter[str] = Counter()
        self.requests: list[httpx.Request] = []

    def _next(self, queue: list[Reply], request: httpx.Request) -> httpx.Response:
        reply = queue.pop(0) if len(queue) > 1 else queue[0]
        if callable(reply):
            return reply(request)
        return httpx.Response(200, json=reply)

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        self.calls[path] += 1
        if path == "/sns/jscode2session":
            code = request.url.params["js_code"]
            return self._next(self.login.get(code, [INVALID_CODE]), request)
        if path == "/cgi-bin/stable_token":
            return self._next(self.token, request)
        if path == "/wxa/business/getuserphonenumber":
            code = json.loads(request.content)["code"]
            return self._next(self.phone.get(code, [INVALID_CODE]), request)
        return httpx.Response(404, text="not found")

    def sent(self, path: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path == path]


def timeout(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("timed out", request=request)


@pytest.fixture(scope="module")
def wx_app(db: Database) -> FastAPI:
    settings = make_settings(wechat_appid="wxtest", wechat_secret="s" * 32,
                             wechat_api_base="https://api.weixin.qq.com")
    return create_app(settings, db)


@pytest.fixture
async def fake(wx_app: FastAPI) -> AsyncIterator[FakeWechat]:
    fake = FakeWechat()
    original = wx_app.state.wechat
    wx_app.state.wechat = WechatClient(wx_app.state.settings,
                                       transport=httpx.MockTransport(fake.handler))
    yield fake
    await wx_app.state.wechat.aclose()
    wx_app.state.wechat = original


@pytest.fixture
async def wx(wx_app: FastAPI, fake: FakeWechat) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=wx_app),
                                 base_url="http://test") as c:
        yield c


async def wechat_login(wx: httpx.AsyncClient, code: str) -> httpx.Response:
    return await wx.post(f"{API}/auth/wechat", json={"code": code})


async def bind_phone(wx: httpx.AsyncClient, token: str, code: str) -> httpx.Response:
    return await wx.post(f"{API}/auth/wechat/phone", json={"code": code}, headers=bearer(token))


async def load_user(db: Database, user_id: int) -> User:
    async with db.writing() as session:
        user = await session.get(User, user_id)
        assert user is not None
        return user


class TestWechatLogin:
    async def test_first_login_creates_the_user(self, wx, fake: FakeWechat, db: Database):
        fake.login["c1"] = [SESSION_OK]
        r = await wechat_login(wx, "c1")
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["is_new"] is True
        assert body["token_type"] == "bearer"
        assert body["access_token"] and body["refresh_token"] and body["expires_in"] > 0
        assert set(body["user"]) == {"id", "username", "display_name", "phone"}
        assert body["user"]["phone"] is None
        user = await load_user(db, body["user"]["id"])
        assert user.wechat_openid == "oXYZ"
        assert user.wechat_unionid == SESSION_OK["unionid"]
        assert user.password_hash is None

    async def test_session_key_never_leaves_the_server(self, wx, fake: FakeWechat):
        fake.login["c1"] = [SESSION_OK]
        r = await wechat_login(wx, "c1")
        assert r.status_code == 200
        assert "session_key" not in r.text
        assert SESSION_OK["session_key"] not in r.text

    async def test_jscode2session_is_called_with_app_credentials(self, wx, fake: FakeWechat):
        fake.login["c1"] = [SESSION_OK]
        await wechat_login(wx, "c1")
        (sent,) = fake.sent("/sns/jscode2session")
        assert sent.method == "GET"
        assert dict(sent.url.params) == {"appid": "wxtest", "secret": "s" * 32,
                                         "js_code": "c1", "grant_type": "authorization_code"}

    async def test_second_login_finds_the_same_user(self, wx, fake: FakeWechat):
        fake.login["c1"] = [SESSION_OK]
        fake.login["c2"] = [SESSION_OK]
        first = (await wechat_login(wx, "c1")).json()
        r = await wechat_login(wx, "c2")
        assert r.status_code == 200, r.text
        assert r.json()["is_new"] is False
        assert r.json()["user"]["id"] == first["user"]["id"]

    async def test_tokens_work(self, wx, fake: FakeWechat):
        fake.login["c1"] = [SESSION_OK]
        body = (await wechat_login(wx, "c1")).json()
        me = await wx.get(f"{API}/me", headers=bearer(body["access_token"]))
        assert me.status_code == 200, me.text
        assert me.json()["id"] == body["user"]["id"]
        r = await wx.post(f"{API}/auth/refresh", json={"refresh_token": body["refresh_token"]})
        assert r.status_code == 200, r.text

    async def test_invalid_code_is_401(self, wx, fake: FakeWechat):
        fake.login["bad"] = [INVALID_CODE]
        assert_problem(await wechat_login(wx, "bad"), 401, "wechat_code_invalid")

    async def test_retried_code_returns_the_same_user(self, wx, fake: FakeWechat):
        fake.login["c1"] = [SESSION_OK, CODE_USED]
        first = (await wechat_login(wx, "c1")).json()
        r = await wechat_login(wx, "c1")
        assert r.status_code == 200, r.text
        assert r.json()["user"]["id"] == first["user"]["id"]
        assert r.json()["refresh_token"] != first["refresh_token"]
        # Answered from our own record of the code: WeChat was asked only once.
        assert fake.calls["/sns/jscode2session"] == 1

    async def test_used_code_never_seen_is_401(self, wx, fake: FakeWechat):
        fake.login["old"] = [CODE_USED]
        assert_problem(await wechat_login(wx, "old"), 401, "wechat_code_invalid")

    async def test_wechat_system_error_is_503(self, wx, fake: FakeWechat):
        fake.login["c1"] = [SYSTEM_ERROR]
        assert_problem(await wechat_login(wx, "c1"), 503, "wechat_unavailable")

    async def test_timeout_is_503(self, wx, fake: FakeWechat):
        fake.login["c1"] = [timeout]
        assert_problem(await wechat_login(wx, "c1"), 503, "wechat_unavailable")

    async def test_non_json_answer_is_503(self, wx, fake: FakeWechat):
        fake.login["c1"] = [lambda req: httpx.Response(502, text="<html>Bad Gateway</html>")]
        assert_problem(await wechat_login(wx, "c1"), 503, "wechat_unavailable")

    async def test_malformed_errcode_is_503(self, wx, fake: FakeWechat):
        fake.login["c1"] = [{"errcode": "oops", "errmsg": "?"}]
        assert_problem(await wechat_login(wx, "c1"), 503, "wechat_unavailable")

    async def test_failed_exchange_can_be_retried(self, wx, fake: FakeWechat):
        fake.login["c1"] = [timeout, SESSION_OK]
        assert (await wechat_login(wx, "c1")).status_code == 503
        r = await wechat_login(wx, "c1")
        assert r.status_code == 200, r.text
        assert r.json()["is_new"] is True

    async def test_quota_is_429(self, wx, fake: FakeWechat):
        fake.login["c1"] = [QUOTA]
        r = await wechat_login(wx, "c1")
        assert_problem(r, 429, "wechat_rate_limited")
        assert int(r.headers["retry-after"]) > 0

    async def test_disabled_account_is_refused(self, wx, fake: FakeWechat, db: Database):
        fake.login["c1"] = [SESSION_OK]
        fake.login["c2"] = [SESSION_OK]
        user_id = (await wechat_login(wx, "c1")).json()["user"]["id"]
        async with db.writing() as session:
            await session.execute(update(User).where(User.id == user_id).values(is_active=False))
            await session.commit()
        assert_problem(await wechat_login(wx, "c2"), 403, "account_disabled")
        # Nor does replaying the code that created it hand out tokens.
        assert_problem(await wechat_login(wx, "c1"), 403, "account_disabled")

    async def test_unionid_is_filled_in_later(self, wx, fake: FakeWechat, db: Database):
        fake.login["c1"] = [{"openid": "oXYZ", "session_key": "k"}]
        fake.login["c2"] = [SESSION_OK]
        user_id = (await wechat_login(wx, "c1")).json()["user"]["id"]
        assert (await load_user(db, user_id)).wechat_unionid is None
        await wechat_login(wx, "c2")
        assert (await load_user(db, user_id)).wechat_unionid == SESSION_OK["unionid"]

    async def test_concurrent_first_login_finds_the_winner(
        self, wx, fake: FakeWechat, db: Database, monkeypatch
    ):
        # Two first logins race: ours looked before the other one inserted the openid.
        fake.login["c1"] = [SESSION_OK]
        async with db.writing() as session:
            winner = User(username="wx_winner", display_name="微信用户", wechat_openid="oXYZ")
            session.add(winner)
            await session.commit()
        real, looked = repository.user_by_openid, []

        async def racing(session, openid):
            looked.append(openid)
            return None if len(looked) == 1 else await real(session, openid)

        monkeypatch.setattr(repository, "user_by_openid", racing)
        r = await wechat_login(wx, "c1")
        assert r.status_code == 200, r.text
        assert r.json()["user"]["id"] == winner.id
        assert r.json()["is_new"] is False

    async def test_not_configured_is_503(self, client):
        # The session's app has no appid/secret.
        assert_problem(await client.post(f"{API}/auth/wechat", json={"code": "c1"}), 503,
                       "wechat_not_configured")


@pytest.fixture
async def wx_user(wx, fake: FakeWechat) -> dict[str, Any]:
    fake.login["me"] = [SESSION_OK]
    r = await wechat_login(wx, "me")
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


class TestWechatPhone:
    async def test_binds_and_masks_the_phone(self, wx, fake: FakeWechat, wx_user):
        fake.phone["p1"] = [phone_ok()]
        r = await bind_phone(wx, wx_user["access_token"], "p1")
        assert r.status_code == 200, r.text
        assert r.json() == {"id": wx_user["user"]["id"], "username": wx_user["user"]["username"],
                            "display_name": "微信用户", "phone": MASKED}
        assert PHONE not in r.text

    async def test_calls_wechat_with_the_app_token(self, wx, fake: FakeWechat, wx_user):
        fake.phone["p1"] = [phone_ok()]
        await bind_phone(wx, wx_user["access_token"], "p1")
        (token_req,) = fake.sent("/cgi-bin/stable_token")
        assert token_req.method == "POST"
        assert json.loads(token_req.content) == {
            "grant_type": "client_credential", "appid": "wxtest", "secret": "s" * 32,
            "force_refresh": False}
        (phone_req,) = fake.sent("/wxa/business/getuserphonenumber")
        assert phone_req.method == "POST"
        assert phone_req.url.params["access_token"] == "ACCESS_TOKEN"
        assert json.loads(phone_req.content) == {"code": "p1"}

    async def test_app_token_is_cached(self, wx, fake: FakeWechat, wx_user):
        fake.phone["p1"] = [phone_ok()]
        fake.phone["p2"] = [phone_ok()]
        assert (await bind_phone(wx, wx_user["access_token"], "p1")).status_code == 200
        assert (await bind_phone(wx, wx_user["access_token"], "p2")).status_code == 200
        assert fake.calls["/cgi-bin/stable_token"] == 1
        assert fake.calls["/wxa/business/getuserphonenumber"] == 2

    async def test_stale_app_token_is_refreshed_once(self, wx, fake: FakeWechat, wx_user):
        fake.token = [TOKEN_OK, {"access_token": "FRESH_TOKEN", "expires_in": 7200}]
        fake.phone["p1"] = [TOKEN_STALE, phone_ok()]
        r = await bind_phone(wx, wx_user["access_token"], "p1")
        assert r.status_code == 200, r.text
        assert r.json()["phone"] == MASKED
        first, second = fake.sent("/cgi-bin/stable_token")
        assert json.loads(first.content)["force_refresh"] is False
        assert json.loads(second.content)["force_refresh"] is True
        tokens = [r.url.params["access_token"]
                  for r in fake.sent("/wxa/business/getuserphonenumber")]
        assert tokens == ["ACCESS_TOKEN", "FRESH_TOKEN"]

    async def test_token_still_stale_after_refresh_is_503(self, wx, fake: FakeWechat, wx_user):
        fake.phone["p1"] = [TOKEN_STALE]
        r = await bind_phone(wx, wx_user["access_token"], "p1")
        assert_problem(r, 503, "wechat_unavailable")
        assert fake.calls["/cgi-bin/stable_token"] == 2

    async def test_phone_is_stored_encrypted(self, wx, wx_app, fake: FakeWechat, wx_user,
                                             db: Database):
        fake.phone["p1"] = [phone_ok()]
        await bind_phone(wx, wx_user["access_token"], "p1")
        user = await load_user(db, wx_user["user"]["id"])
        assert user.phone_cipher and PHONE not in user.phone_cipher
        assert user.phone_index and PHONE not in user.phone_index
        cipher = wx_app.state.cipher
        assert cipher.decrypt(user.phone_cipher, context="user.phone") == PHONE

    async def test_rebinding_own_phone_is_fine(self, wx, fake: FakeWechat, wx_user):
        fake.phone["p1"] = [phone_ok()]
        fake.phone["p2"] = [phone_ok()]
        assert (await bind_phone(wx, wx_user["access_token"], "p1")).status_code == 200
        r = await bind_phone(wx, wx_user["access_token"], "p2")
        assert r.status_code == 200, r.text

    async def test_phone_of_another_user_is_409(self, wx, fake: FakeWechat, wx_user,
                                                auth, db: Database):
        fake.phone["p1"] = [phone_ok()]
        fake.phone["p2"] = [phone_ok()]
        assert (await bind_phone(wx, wx_user["access_token"], "p1")).status_code == 200
        other = await new_user(db)
        r = await wx.post(f"{API}/auth/wechat/phone", json={"code": "p2"}, headers=auth(other))
        assert_problem(r, 409, "phone_taken")
        assert (await load_user(db, other.id)).phone_cipher is None

    async def test_phone_bound_concurrently_is_409(self, wx, fake: FakeWechat, wx_user, auth,
                                                  db: Database, monkeypatch):
        fake.phone["p1"] = [phone_ok()]
        fake.phone["p2"] = [phone_ok()]
        assert (await bind_phone(wx, wx_user["access_token"], "p1")).status_code == 200
        other = await new_user(db)

        async def looked_too_early(session, index):
            return None

        monkeypatch.setattr(repository, "user_by_phone_index", looked_too_early)
        r = await wx.post(f"{API}/auth/wechat/phone", json={"code": "p2"}, headers=auth(other))
        assert_problem(r, 409, "phone_taken")

    async def test_invalid_phone_code_is_401(self, wx, fake: FakeWechat, wx_user):
        fake.phone["bad"] = [INVALID_CODE]
        assert_problem(await bind_phone(wx, wx_user["access_token"], "bad"), 401,
                       "wechat_code_invalid")

    async def test_phone_timeout_is_503(self, wx, fake: FakeWechat, wx_user):
        fake.phone["p1"] = [timeout]
        assert_problem(await bind_phone(wx, wx_user["access_token"], "p1"), 503,
                       "wechat_unavailable")

    async def test_without_token_is_401(self, wx):
        r = await wx.post(f"{API}/auth/wechat/phone", json={"code": "p1"})
        assert_problem(r, 401, "unauthorized")

    async def test_client_token_is_403(self, wx, fake: FakeWechat, db: Database,
                                       world: World):
        async with db.writing() as session:
            creds = await create_client(session, name="x", org_id=world.root.id, scopes=None)
            await session.commit()
        token = (await wx.post(f"{API}/auth/token", data={
            "grant_type": "client_credentials", "client_id": creds["client_id"],
            "client_secret": creds["client_secret"]})).json()["access_token"]
        fake.phone["p1"] = [phone_ok()]
        assert_problem(await bind_phone(wx, token, "p1"), 403, "forbidden")
        assert fake.calls["/wxa/business/getuserphonenumber"] == 0


class TestWechatAudit:
    async def _rows(self, db: Database, action: str) -> list[Any]:
        async with db.reading() as s:
            return list((await s.execute(select(AuditEntry).where(
                AuditEntry.action == action).order_by(AuditEntry.id))).scalars())

    async def test_sign_in_is_audited(self, wx, fake: FakeWechat, db: Database):
        fake.login["audited"] = [{**SESSION_OK, "openid": "oAudited"}]
        r = await wechat_login(wx, "audited")
        assert r.status_code == 200, r.text
        [row] = await self._rows(db, "auth.wechat_login")
        assert row.actor == f"user:{r.json()['user']['id']}" and row.detail == {"is_new": True}

    async def test_refused_code_is_audited(self, wx, fake: FakeWechat, db: Database):
        assert (await wechat_login(wx, "never-issued")).status_code == 401
        [row] = await self._rows(db, "auth.wechat_login_failed")
        assert row.actor == "anonymous" and row.detail == {"errcode": 40029} and row.ip
