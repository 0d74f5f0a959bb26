"""Webhooks cannot be pointed inside the network (SSRF): refused at subscription in every
spelling, checked again at each delivery after resolving the name, and sent to the address
that was checked (DNS rebinding between the check and the connect cannot win)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from app.core import outbox
from app.core.permissions import Role
from app.main import create_app
from app.models import OutboxEvent, WebhookDelivery, WebhookSubscription
from app.webhooks import egress, service, signing
from app.webhooks.service import DELIVER_TOPIC
from tests.conftest import make_settings
from tests.factories import CIPHER, WEBHOOK_SECRET, World
from tests.webhooks.receiver import receiving, tls_pair

API = "/api/v1"
PUBLIC_IP = "93.184.215.14"

REFUSED = [
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "http://127.0.0.1/", "http://127.1/", "http://2130706433/", "http://0x7f.1/",
    "http://017700000001/", "http://127.0.0.1./", "http://[::1]/", "http://[::ffff:127.0.0.1]/",
    "http://[0:0:0:0:0:ffff:7f00:1]/", "http://[::127.0.0.1]/", "http://0.0.0.0/",
    "http://0/", "http://localhost/", "http://LOCALHOST./", "http://localhost:6379/",
    "http://api.localhost/", "http://10.0.0.5/", "http://172.16.3.4/", "http://192.168.1.1/",
    "http://100.64.0.1/", "http://[fd00::1]/", "http://[fe80::1]/", "http://224.0.0.1/",
    "http://[ff02::1]/", "http://240.0.0.1/", "http://255.255.255.255/", "http://198.18.0.1/",
    "http://[64:ff9b::a00:1]/", "http://[2002:a00:1::]/", "http://metadata.google.internal/",
    "http://receiver/",
    "https://user:pass@hooks.example.test/", "https://token@hooks.example.test/",
    "https://127.0.0.1/", "https://[::ffff:10.0.0.1]/", "https://169.254.169.254/",
]


def _body(world: World, url: str) -> dict[str, Any]:
    return {"url": url, "events": ["case.created"], "client_id": world.clients[0].client_id}


class TestSubscription:
    @pytest.mark.parametrize("url", REFUSED)
    async def test_inside_addresses_are_refused(self, client, auth, world: World, url: str):
        r = await client.post(f"{API}/webhooks", headers=auth(world.user(Role.district_admin)),
                              json=_body(world, url))
        assert r.status_code == 422, (url, r.text)
        assert r.json()["code"] == "webhook_url_refused"
        assert r.json()["errors"][0]["field"] == "url"

    async def test_public_name_is_accepted(self, client, auth, world: World):
        r = await client.post(f"{API}/webhooks", headers=auth(world.user(Role.district_admin)),
                              json=_body(world, "https://hooks.example.test/in"))
        assert r.status_code == 201, r.text

    async def test_allow_list_admits_an_internal_receiver(self, db, auth, world: World):
        app = create_app(make_settings(webhook_allow_hosts=["127.0.0.1/32", "hooks.internal"]),
                         db)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://t") as c:
            h = auth(world.user(Role.district_admin))
            for url in ("http://127.0.0.1:9999/hook", "http://hooks.internal/hook"):
                r = await c.post(f"{API}/webhooks", headers=h, json=_body(world, url))
                assert r.status_code == 201, r.text
            r = await c.post(f"{API}/webhooks", headers=h, json=_body(world, "http://127.0.0.2/"))
            assert r.status_code == 422  # the list admits exactly what it names

    @pytest.mark.parametrize("raw", ["http://127.1/", "http://0x7f.1/", "http://2130706433/",
                                     "http://0x7f000001/", "http://0177.0.0.1/"])
    def test_legacy_spellings_without_normalisation(self, raw: str):
        # URLs stored before the check existed were not normalised by pydantic.
        assert egress.refusal(raw, egress.Policy()) is not None


async def _only_subscription(db, world: World, url: str) -> int:
    """The street-1 client's webhooks replaced by one to `url` (inserted as is, as a row
    stored before this check existed would be)."""
    async with db.writing() as s:
        await s.execute(update(WebhookSubscription).values(is_active=False))
        sub = WebhookSubscription(client_id=world.clients[0].id, url=url, events=["case.created"],
                                  secret_cipher=CIPHER.encrypt(WEBHOOK_SECRET,
                                                               context="webhook.secret"))
        s.add(sub)
        await s.flush()
        return sub.id


async def _publish_and_drain(db, world: World, http: httpx.AsyncClient, resolve: Any,
                             settings=None) -> str:
    async with db.writing() as s:
        event_id = service.publish(s, "case.created", org_path=world.cases[0].org_path,
                                   data={"id": 1})
    ctx = outbox.WorkerContext(db=db, settings=settings or make_settings(), http=http,
                               extras={"resolve": resolve})
    while await outbox.run_once(ctx):
        pass
    return event_id


def _resolver(answers: dict[str, list[list[str]]], calls: list[str]) -> Any:
    async def resolve(host: str, port: int) -> list[str]:
        calls.append(host)
        if host not in answers or not answers[host]:
            raise OSError(f"no such host {host}")
        return answers[host].pop(0) if len(answers[host]) > 1 else answers[host][0]
    return resolve


async def _delivery(db, event_id: str) -> WebhookDelivery:
    async with db.reading() as s:
        return (await s.execute(select(WebhookDelivery).where(
            WebhookDelivery.event_id == event_id))).scalar_one()


class TestDelivery:
    async def test_name_that_now_resolves_inside_is_refused(self, db, world: World):
        await _only_subscription(db, world, "https://hooks.example.test/grid")
        seen: list[httpx.Request] = []
        calls: list[str] = []
        resolve = _resolver({"hooks.example.test": [["10.1.2.3"]]}, calls)
        async with httpx.AsyncClient(transport=httpx.MockTransport(
                lambda r: seen.append(r) or httpx.Response(204))) as http:
            event_id = await _publish_and_drain(db, world, http, resolve)
        assert seen == [] and calls == ["hooks.example.test"]
        d = await _delivery(db, event_id)
        assert d.status == "refused" and "10.1.2.3" in (d.last_error or "")
        async with db.reading() as s:
            row = (await s.execute(select(OutboxEvent).where(
                OutboxEvent.topic == DELIVER_TOPIC))).scalar_one()
        assert row.status == "dead"  # not retried: nothing is sent there

    async def test_one_inside_answer_among_public_ones_is_refused(self, db, world: World):
        await _only_subscription(db, world, "https://hooks.example.test/grid")
        seen: list[httpx.Request] = []
        resolve = _resolver({"hooks.example.test": [[PUBLIC_IP, "127.0.0.1"]]}, [])
        async with httpx.AsyncClient(transport=httpx.MockTransport(
                lambda r: seen.append(r) or httpx.Response(204))) as http:
            event_id = await _publish_and_drain(db, world, http, resolve)
        assert seen == [] and (await _delivery(db, event_id)).status == "refused"

    async def test_sent_to_the_checked_address_not_resolved_again(self, db, world: World):
        """Rebinding: the first answer is public, every later one is loopback. The request goes
        to the address that was checked, with the name in Host and as the TLS server name."""
        await _only_subscription(db, world, "https://hooks.example.test:8443/grid?x=1")
        seen: list[httpx.Request] = []
        calls: list[str] = []
        resolve = _resolver({"hooks.example.test": [[PUBLIC_IP], ["127.0.0.1"]]}, calls)
        async with httpx.AsyncClient(transport=httpx.MockTransport(
                lambda r: seen.append(r) or httpx.Response(204))) as http:
            event_id = await _publish_and_drain(db, world, http, resolve)
        assert calls == ["hooks.example.test"]
        [req] = seen
        assert str(req.url) == f"https://{PUBLIC_IP}:8443/grid?x=1"
        assert req.headers["host"] == "hooks.example.test:8443"
        assert req.extensions["sni_hostname"] == "hooks.example.test"
        assert (await _delivery(db, event_id)).status == "delivered"

    async def test_stored_legacy_loopback_url_is_refused(self, db, world: World):
        await _only_subscription(db, world, "http://0x7f.1:6379/")
        seen: list[httpx.Request] = []
        async with httpx.AsyncClient(transport=httpx.MockTransport(
                lambda r: seen.append(r) or httpx.Response(204))) as http:
            event_id = await _publish_and_drain(db, world, http, egress.system_resolve)
        assert seen == [] and (await _delivery(db, event_id)).status == "refused"


class TestRealReceiver:
    async def test_local_receiver_needs_the_allow_list(self, db, world: World):
        async with receiving() as receiver, httpx.AsyncClient() as http:
            await _only_subscription(db, world, f"http://127.0.0.1:{receiver.port}/hook")
            event_id = await _publish_and_drain(db, world, http, egress.system_resolve)
            assert receiver.seen == [] and (await _delivery(db, event_id)).status == "refused"

    async def test_allowed_local_receiver_gets_the_signed_delivery(self, db, world: World):
        settings = make_settings(webhook_allow_hosts=["127.0.0.1/32"])
        async with receiving() as receiver, httpx.AsyncClient() as http:
            await _only_subscription(db, world, f"http://receiver.test:{receiver.port}/hook")
            event_id = await _publish_and_drain(
                db, world, http, _resolver({"receiver.test": [["127.0.0.1"]]}, []), settings)
        [got] = receiver.seen
        assert got.target == "/hook" and got.headers["host"] == f"receiver.test:{receiver.port}"
        assert signing.verify(WEBHOOK_SECRET, got.headers["x-grid-signature"], got.body)
        assert json.loads(got.body)["id"] == event_id
        assert (await _delivery(db, event_id)).status == "delivered"

    async def test_https_to_the_pinned_address_checks_the_name_certificate(self, db,
                                                                        world: World):
        server_tls, client_tls = tls_pair("receiver.test")
        settings = make_settings(webhook_allow_hosts=["127.0.0.1/32"])
        resolve = _resolver({"receiver.test": [["127.0.0.1"]]}, [])
        async with receiving(server_tls) as receiver, httpx.AsyncClient(verify=client_tls) as http:
            await _only_subscription(db, world, f"https://receiver.test:{receiver.port}/h")
            event_id = await _publish_and_drain(db, world, http, resolve, settings)
        assert len(receiver.seen) == 1
        assert receiver.seen[0].headers["host"] == f"receiver.test:{receiver.port}"
        assert (await _delivery(db, event_id)).status == "delivered"
