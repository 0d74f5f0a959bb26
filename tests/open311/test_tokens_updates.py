"""GET tokens/{token}.{fmt} and FixMyStreet's servicerequestupdates.{fmt}."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from app.core.permissions import Role
from app.core.types import utcnow
from tests.cases.helpers import act
from tests.factories import World
from tests.open311.conftest import MakeKey
from tests.open311.helpers import (
    BASE,
    error_of,
    ok_json,
    ok_xml,
    report_form,
    reported_id,
    xml_error_of,
)

UPDATE_FIELDS = ["update_id", "service_request_id", "status", "updated_datetime",
                 "description", "media_url"]


class TestTokens:
    async def test_a_service_request_id_is_its_own_token(self, client, world: World,
                                                         key: str):
        code = await reported_id(client, key, report_form(world))
        r = await client.get(f"{BASE}/tokens/{code}.json", params={"api_key": key})
        assert ok_json(r) == [{"service_request_id": code, "token": code}]

    async def test_xml(self, client, world: World, key: str):
        code = world.cases[0].code
        root = ok_xml(await client.get(f"{BASE}/tokens/{code}.xml", params={"api_key": key}))
        assert root.tag == "service_requests"
        assert root.findtext("request/service_request_id") == code
        assert root.findtext("request/token") == code

    async def test_unknown_or_out_of_scope_is_404(self, client, world: World, key: str):
        error_of(await client.get(f"{BASE}/tokens/nope.json", params={"api_key": key}), 404)
        code = world.cases[5].code
        error_of(await client.get(f"{BASE}/tokens/{code}.json", params={"api_key": key}), 404)

    async def test_needs_a_key_when_public_reads_are_off(self, client, world: World,
                                                         public_reads_off: None):
        error_of(await client.get(f"{BASE}/tokens/{world.cases[0].code}.json"), 403)


async def updates(client: Any, key: str, fmt: str = "json", **params: Any) -> Any:
    return await client.get(f"{BASE}/servicerequestupdates.{fmt}",
                            params={"api_key": key, **params})


class TestUpdates:
    async def test_the_timeline_as_request_updates(self, client, auth, world: World,
                                                   key: str):
        operator = world.user(Role.command_operator)
        case = world.cases[0]
        await act(client, auth, operator, case.id, "reject",
                  note="已电话联系张三 13912345678，不属于管辖范围")
        items = ok_json(await updates(client, key))
        (item,) = [i for i in items if i["service_request_id"] == case.code]
        assert list(item) == UPDATE_FIELDS
        assert item["status"] == "closed" and item["media_url"] is None
        assert item["update_id"].isdigit()
        assert item["description"] == "不予受理"
        # Staff notes may name people: they never leave through this face.
        assert "13912345678" not in (await updates(client, key)).text

    async def test_a_report_made_here_shows_as_an_update(self, client, world: World, key: str):
        code = await reported_id(client, key, report_form(world))
        items = ok_json(await updates(client, key))
        assert [(i["service_request_id"], i["status"]) for i in items] == [(code, "open")]

    async def test_scoped_to_the_clients_area(self, client, auth, world: World, key: str,
                                              make_key: MakeKey):
        operator = world.user(Role.command_operator)
        await act(client, auth, operator, world.cases[6].id, "accept")
        assert ok_json(await updates(client, key)) == []
        other = await make_key(world.streets[1])
        got = ok_json(await updates(client, other))
        assert [i["service_request_id"] for i in got] == [world.cases[6].code]

    async def test_window(self, client, auth, world: World, key: str):
        operator = world.user(Role.command_operator)
        await act(client, auth, operator, world.cases[0].id, "accept")
        past = utcnow() - timedelta(days=30)
        old = await updates(client, key, start_date=past.isoformat(),
                            end_date=(past + timedelta(days=1)).isoformat())
        assert ok_json(old) == []
        error_of(await updates(client, key, start_date=past.isoformat(),
                               end_date=(past + timedelta(days=91)).isoformat()), 400)

    async def test_xml(self, client, auth, world: World, key: str):
        await act(client, auth, world.user(Role.command_operator), world.cases[1].id, "accept")
        root = ok_xml(await updates(client, key, fmt="xml"))
        assert root.tag == "service_requests_updates"  # as FixMyStreet reads it
        (update,) = root.findall("request_update")
        assert [c.tag for c in update] == UPDATE_FIELDS
        assert update.findtext("status") == "open"

    async def test_needs_a_key_when_public_reads_are_off(self, client, public_reads_off: None):
        error_of(await client.get(f"{BASE}/servicerequestupdates.json"), 403)
        xml_error_of(await client.get(f"{BASE}/servicerequestupdates.xml"), 403)
