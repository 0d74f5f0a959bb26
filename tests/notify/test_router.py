"""The in-app inbox and WeChat subscription messages."""

from __future__ import annotations

import json

import httpx
import pytest
from sqlalchemy import select

from app.auth.wechat import WechatClient
from app.core import outbox
from app.core.permissions import Role
from app.models import OutboxEvent, User
from app.notify import service
from app.notify.wechat_messages import WECHAT_TOPIC
from tests.conftest import make_settings
from tests.factories import World

API = "/api/v1"


async def _notify(db, settings, users: set[int], title: str = "案件已受理", **kw) -> None:
    async with db.writing() as s:
        await service.notify(s, settings, users, kind="case_status", title=title, **kw)
        await s.commit()


class TestInbox:
    async def test_each_user_sees_only_their_own(self, client, auth, world: World, db,
                                                 settings):
        a, b = world.user(Role.grid_worker, "s1c1g1"), world.user(Role.grid_worker, "s1c1g2")
        await _notify(db, settings, {a.id}, "给甲")
        await _notify(db, settings, {b.id}, "给乙")
        r = await client.get(f"{API}/notifications", headers=auth(a))
        assert r.status_code == 200
        assert [n["title"] for n in r.json()["items"]] == ["给甲"]

    async def test_unread_filter_and_mark_read(self, client, auth, world: World, db, settings):
        a = world.user(Role.grid_head, "s1c1g1")
        await _notify(db, settings, {a.id}, "一")
        await _notify(db, settings, {a.id}, "二")
        items = (await client.get(f"{API}/notifications", headers=auth(a))).json()["items"]
        assert [n["title"] for n in items] == ["二", "一"]  # newest first
        r = await client.post(f"{API}/notifications/read", headers=auth(a),
                              json={"ids": [items[0]["id"]]})
        assert r.json() == {"updated": 1}
        unread = await client.get(f"{API}/notifications", params={"unread": "true"},
                                  headers=auth(a))
        assert [n["title"] for n in unread.json()["items"]] == ["一"]
        r = await client.post(f"{API}/notifications/read", headers=auth(a), json={"all": True})
        assert r.json() == {"updated": 1}

    async def test_cannot_mark_someone_elses(self, client, auth, world: World, db, settings):
        a, b = world.user(Role.grid_head, "s1c2g1"), world.user(Role.grid_head, "s2c1g1")
        await _notify(db, settings, {b.id}, "乙的")
        theirs = (await client.get(f"{API}/notifications", headers=auth(b))).json()["items"]
        r = await client.post(f"{API}/notifications/read", headers=auth(a),
                              json={"ids": [theirs[0]["id"]]})
        assert r.json() == {"updated": 0}
        again = (await client.get(f"{API}/notifications", headers=auth(b))).json()["items"]
        assert again[0]["read_at"] is None

    async def test_empty_request_is_422(self, client, auth, world: World):
        r = await client.post(f"{API}/notifications/read",
                              headers=auth(world.user(Role.member, "s1c1")), json={})
        assert r.status_code == 422


class TestWechatMessages:
    @pytest.fixture
    def wx_settings(self):
        return make_settings(wechat_appid="wxtest", wechat_secret="s" * 32,
                             wechat_case_template_id="TPL-1")

    async def _with_openid(self, db, world: World) -> User:
        user = world.user(Role.grid_worker, "s2c2g2")
        async with db.writing() as s:
            row = await s.get(User, user.id)
            assert row is not None
            row.wechat_openid = "o-test-openid"
            await s.commit()
        return user

    async def test_not_configured_sends_nothing(self, db, world: World, settings):
        user = await self._with_openid(db, world)
        await _notify(db, settings, {user.id}, wechat={"code": "AJ1", "status": "已受理"})
        async with db.writing() as s:
            rows = (await s.execute(select(OutboxEvent).where(
                OutboxEvent.topic == WECHAT_TOPIC))).scalars().all()
        assert rows == []

    async def _run(self, db, wx_settings, handler) -> list[OutboxEvent]:
        seen: list[httpx.Request] = []

        def record(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            return handler(request)

        async with httpx.AsyncClient() as http:
            ctx = outbox.WorkerContext(db=db, settings=wx_settings, http=http)
            ctx.extras["wechat"] = WechatClient(wx_settings,
                                                transport=httpx.MockTransport(record))
            await outbox.run_once(ctx)
            await ctx.extras["wechat"].aclose()
        async with db.writing() as s:
            events = list((await s.execute(select(OutboxEvent).where(
                OutboxEvent.topic == WECHAT_TOPIC))).scalars())
        self.requests = seen
        return events

    async def test_sent_with_template_fields(self, db, world: World, wx_settings):
        user = await self._with_openid(db, world)
        await _notify(db, wx_settings, {user.id}, case_id=None,
                      wechat={"code": "AJ1", "status": "已受理", "time": "2026-11-27 10:00",
                              "note": "请及时处置"})

        def answer(request: httpx.Request) -> httpx.Response:
            if request.url.path == "/cgi-bin/stable_token":
                return httpx.Response(200, json={"access_token": "T", "expires_in": 7200})
            return httpx.Response(200, json={"errcode": 0, "errmsg": "ok"})

        [event] = await self._run(db, wx_settings, answer)
        assert event.status == "done"
        send = next(r for r in self.requests if r.url.path == "/cgi-bin/message/subscribe/send")
        body = json.loads(send.content)
        assert body["touser"] == "o-test-openid" and body["template_id"] == "TPL-1"
        assert body["data"]["character_string1"] == {"value": "AJ1"}
        assert body["data"]["phrase2"] == {"value": "已受理"}

    async def test_a_bulletin_goes_out_on_its_own_template(self, db, world: World):
        settings = make_settings(wechat_appid="wxtest", wechat_secret="s" * 32,
                                 wechat_case_template_id="TPL-1",
                                 wechat_bulletin_template_id="TPL-B")
        user = await self._with_openid(db, world)
        await _notify(db, settings, {user.id}, title="周通报",
                      wechat={"title": "重点任务周通报", "week": "2026-W42", "status": "已报 3"},
                      template="bulletin")

        def answer(request: httpx.Request) -> httpx.Response:
            if request.url.path == "/cgi-bin/stable_token":
                return httpx.Response(200, json={"access_token": "T", "expires_in": 7200})
            return httpx.Response(200, json={"errcode": 0, "errmsg": "ok"})

        [event] = await self._run(db, settings, answer)
        assert event.status == "done"
        send = next(r for r in self.requests if r.url.path == "/cgi-bin/message/subscribe/send")
        body = json.loads(send.content)
        assert body["template_id"] == "TPL-B"
        assert body["data"] == {"thing1": {"value": "重点任务周通报"},
                                "character_string2": {"value": "2026-W42"},
                                "thing3": {"value": "已报 3"}}

    async def test_refused_43101_is_not_retried(self, db, world: World, wx_settings):
        user = await self._with_openid(db, world)
        await _notify(db, wx_settings, {user.id}, wechat={"code": "AJ2", "status": "已结案"})

        def answer(request: httpx.Request) -> httpx.Response:
            if request.url.path == "/cgi-bin/stable_token":
                return httpx.Response(200, json={"access_token": "T", "expires_in": 7200})
            return httpx.Response(200, json={"errcode": 43101, "errmsg": "user refuse to accept"})

        [event] = await self._run(db, wx_settings, answer)
        assert event.status == "dead" and event.attempts == 1

    async def test_wechat_down_is_retried(self, db, world: World, wx_settings):
        user = await self._with_openid(db, world)
        await _notify(db, wx_settings, {user.id}, wechat={"code": "AJ3", "status": "已派遣"})

        def answer(request: httpx.Request) -> httpx.Response:
            if request.url.path == "/cgi-bin/stable_token":
                return httpx.Response(200, json={"access_token": "T", "expires_in": 7200})
            return httpx.Response(200, json={"errcode": -1, "errmsg": "system error"})

        [event] = await self._run(db, wx_settings, answer)
        assert event.status == "pending" and event.attempts == 1
