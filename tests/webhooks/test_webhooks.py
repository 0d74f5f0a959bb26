"""Webhook subscriptions, fan-out and signed delivery through the worker."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from sqlalchemy import func, select

from app.core import outbox
from app.core.auth import load_user_principal
from app.core.crypto import FieldCipher
from app.core.errors import Unprocessable
from app.core.permissions import Role
from app.models import OutboxEvent, WebhookDelivery, WebhookSubscription
from app.seed.accounts import create_client
from app.webhooks import service, signing
from app.webhooks.schemas import WebhookCreate
from app.webhooks.service import DELIVER_TOPIC, FANOUT_TOPIC
from tests.conftest import make_settings
from tests.factories import CIPHER, WEBHOOK_SECRET, World

API = "/api/v1"
PUBLIC_IP = "93.184.215.14"


async def load_user_principal_for(db, user_id: int):
    async with db.writing() as s:
        return await load_user_principal(s, user_id)


class TestSigning:
    def test_round_trip(self):
        body = b'{"id":"e1"}'
        header = signing.sign("k", int(time.time()), body)
        assert signing.verify("k", header, body)

    def test_tampered_body_fails(self):
        header = signing.sign("k", int(time.time()), b"{}")
        assert not signing.verify("k", header, b'{"x":1}')

    def test_wrong_secret_fails(self):
        header = signing.sign("k", int(time.time()), b"{}")
        assert not signing.verify("other", header, b"{}")

    def test_stale_timestamp_fails(self):
        header = signing.sign("k", int(time.time()) - 3600, b"{}")
        assert not signing.verify("k", header, b"{}")

    def test_garbage_header_fails(self):
        assert not signing.verify("k", "nonsense", b"{}")


class TestSubscriptions:
    async def test_admin_subscribes_a_client_in_scope(self, client, auth, world: World):
        r = await client.post(f"{API}/webhooks", headers=auth(world.user(Role.street_admin, "s1")),
                              json={"url": "https://hooks.example.test/a",
                                    "events": ["case.created"],
                                    "client_id": world.clients[0].client_id})
        assert r.status_code == 201, r.text
        assert r.json()["secret"].startswith("whsec_")
        got = await client.get(f"{API}/webhooks/{r.json()['id']}",
                               headers=auth(world.user(Role.street_admin, "s1")))
        assert got.json()["secret"] is None  # shown once only

    async def test_client_outside_scope_is_404(self, client, auth, world: World):
        r = await client.post(f"{API}/webhooks", headers=auth(world.user(Role.street_admin, "s1")),
                              json={"url": "https://hooks.example.test/a",
                                    "events": ["case.created"],
                                    "client_id": world.clients[1].client_id})
        assert r.status_code == 404

    async def test_list_shows_only_clients_in_scope(self, client, auth, world: World):
        r = await client.get(f"{API}/webhooks", headers=auth(world.user(Role.street_admin, "s2")))
        assert {w["client_id"] for w in r.json()["items"]} == {world.clients[1].client_id}

    async def test_unknown_event_is_422(self, client, auth, world: World):
        r = await client.post(f"{API}/webhooks", headers=auth(world.user(Role.district_admin)),
                              json={"url": "https://x.test/", "events": ["case.deleted"],
                                    "client_id": world.clients[0].client_id})
        assert r.status_code == 422

    async def test_delete(self, client, auth, world: World):
        h = auth(world.user(Role.district_admin))
        r = await client.delete(f"{API}/webhooks/{world.webhooks[0].id}", headers=h)
        assert r.status_code == 204
        assert (await client.get(f"{API}/webhooks/{world.webhooks[0].id}",
                                 headers=h)).status_code == 404


async def _publish(db, org_path: str, event_type: str = "case.created") -> str:
    async with db.writing() as s:
        event_id = service.publish(s, event_type, org_path=org_path, data={"id": 1})
        await s.commit()
    return event_id


async def public_resolve(host: str, port: int) -> list[str]:
    """The fixture world's receivers, as if on the public internet."""
    return [PUBLIC_IP]


async def _drain(db, settings, handler) -> list[httpx.Request]:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request)

    async with httpx.AsyncClient(transport=httpx.MockTransport(record)) as http:
        ctx = outbox.WorkerContext(db=db, settings=settings, http=http,
                                   extras={"resolve": public_resolve})
        while await outbox.run_once(ctx):
            pass
    return seen


class TestDelivery:
    async def test_signed_delivery_with_event_id(self, db, settings, world: World):
        event_id = await _publish(db, world.cases[0].org_path)
        seen = await _drain(db, settings, lambda r: httpx.Response(204))
        # Only the s1 client's subscription covers a case in s1.
        # Sent to the address checked at delivery, under the subscriber's name.
        assert [str(r.url) for r in seen] == [f"https://{PUBLIC_IP}/grid"]
        req = seen[0]
        assert req.headers["host"] == "hooks.example.test"
        assert req.headers[signing.EVENT_ID_HEADER] == event_id
        assert signing.verify(WEBHOOK_SECRET, req.headers[signing.SIGNATURE_HEADER], req.content)
        body = json.loads(req.content)
        assert body["id"] == event_id and body["type"] == "case.created"
        async with db.writing() as s:
            d = (await s.execute(select(WebhookDelivery).where(
                WebhookDelivery.event_id == event_id))).scalar_one()
        assert d.status == "delivered" and d.attempts == 1 and d.response_status == 204

    async def test_failure_is_retried_with_backoff(self, db, settings, world: World):
        event_id = await _publish(db, world.cases[0].org_path)
        seen = await _drain(db, settings, lambda r: httpx.Response(503))
        assert len(seen) == 1  # the retry is scheduled later, not immediately
        async with db.writing() as s:
            d = (await s.execute(select(WebhookDelivery).where(
                WebhookDelivery.event_id == event_id))).scalar_one()
            row = (await s.execute(select(OutboxEvent).where(
                OutboxEvent.topic == DELIVER_TOPIC))).scalars().all()
        assert d.status == "pending" and d.response_status == 503
        assert [e.status for e in row] == ["pending"] and row[0].available_at > row[0].created_at

    async def test_fan_out_twice_creates_no_duplicates(self, db, settings, world: World):
        event_id = await _publish(db, world.cases[0].org_path)
        async with db.writing() as s:
            fan = (await s.execute(select(OutboxEvent).where(
                OutboxEvent.topic == FANOUT_TOPIC))).scalar_one()
        async with httpx.AsyncClient() as http:
            ctx = outbox.WorkerContext(db=db, settings=settings, http=http)
            await service.fan_out(fan, ctx)
            await service.fan_out(fan, ctx)  # a re-claimed row after a crash
        async with db.writing() as s:
            n = await s.scalar(select(func.count()).where(WebhookDelivery.event_id == event_id))
        assert n == 1

    async def test_delivered_is_not_sent_again(self, db, settings, world: World):
        await _publish(db, world.cases[0].org_path)
        await _drain(db, settings, lambda r: httpx.Response(200))
        async with db.writing() as s:
            row = (await s.execute(select(OutboxEvent).where(
                OutboxEvent.topic == DELIVER_TOPIC))).scalar_one()
        seen: list[httpx.Request] = []
        async with httpx.AsyncClient(transport=httpx.MockTransport(
                lambda r: seen.append(r) or httpx.Response(200))) as http:
            await service.deliver(row, outbox.WorkerContext(
                db=db, settings=settings, http=http, extras={"resolve": public_resolve}))
        assert seen == []

    async def test_subscription_gets_only_events_created_after_it(self, db, settings,
                                                                 world: World):
        """Fan-out runs when the worker reaches the event, maybe long after it happened: a
        subscription made in between must not receive what happened before it existed."""
        before = await _publish(db, world.cases[0].org_path)
        async with db.writing() as s:
            late = WebhookSubscription(
                client_id=world.clients[0].id, url="https://late.example.test/hook",
                events=["case.created"],
                secret_cipher=CIPHER.encrypt(WEBHOOK_SECRET, context="webhook.secret"))
            s.add(late)
        after = await _publish(db, world.cases[0].org_path)
        seen = await _drain(db, settings, lambda r: httpx.Response(204))
        got = sorted((r.headers["host"], r.headers[signing.EVENT_ID_HEADER]) for r in seen)
        assert got == sorted([("hooks.example.test", before), ("hooks.example.test", after),
                              ("late.example.test", after)])

    async def test_unsubscribed_event_type_is_not_sent(self, db, settings, world: World):
        async with db.writing() as s:
            sub = await s.get(type(world.webhooks[0]), world.webhooks[0].id)
            assert sub is not None
            sub.events = ["case.overdue"]
            await s.commit()
        await _publish(db, world.cases[0].org_path, "case.created")
        assert await _drain(db, settings, lambda r: httpx.Response(200)) == []


class TestClientManagesItsOwn:
    async def test_client_token_subscribes_itself(self, client, db, world: World, settings):
        async with db.writing() as s:
            out = await create_client(s, name="热线", org_id=world.streets[0].id, scopes=None)
            await s.commit()
        token = (await client.post(f"{API}/auth/token", data={
            "grant_type": "client_credentials", "client_id": out["client_id"],
            "client_secret": out["client_secret"]})).json()["access_token"]
        h = {"Authorization": f"Bearer {token}"}
        r = await client.post(f"{API}/webhooks", headers=h, json={
            "url": "https://hotline.example.test/hook", "events": ["case.status_changed"]})
        assert r.status_code == 201, r.text
        listed = await client.get(f"{API}/webhooks", headers=h)
        assert [w["id"] for w in listed.json()["items"]] == [r.json()["id"]]
        other = await client.get(f"{API}/webhooks/{world.webhooks[0].id}", headers=h)
        assert other.status_code == 404

    async def test_plain_http_refused_in_production(self, db, world: World):
        data = WebhookCreate(url="http://plain.example.test/", events=["case.created"],
                             client_id=world.clients[0].client_id)
        admin = await load_user_principal_for(db, world.user(Role.district_admin).id)
        async with db.writing() as s:
            with pytest.raises(Unprocessable):
                await service.create(s, admin, data, FieldCipher.from_settings(make_settings()),
                                     production=True)
