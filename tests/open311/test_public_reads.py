"""GeoReport v2 reads without an api_key (GRID_OPEN311_PUBLIC_READS, on by default): the
public fields of the district's public-space cases; a key still scopes and enriches; a wrong
key is still 403; the setting off brings the key requirement back."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from app.core.permissions import Role
from app.models import ApiClient
from tests.cases.helpers import act
from tests.factories import World
from tests.open311.helpers import (
    BASE,
    change,
    error_of,
    ok_json,
    ok_xml,
    report_form,
    reported_id,
    xml_error_of,
)
from tests.open311.test_get_requests import FIELDS
from tests.open311.test_tokens_updates import UPDATE_FIELDS

# What a reporting app may send about its user: none of it may come back out.
CONTACT = {"first_name": "小明", "last_name": "欧阳", "email": "oyxm@example.com",
           "phone": "13800138000", "device_id": "dev-7f3a9c", "account_id": "acct-99187"}
STAFF_NOTE = "已电话联系张三 13912345678，不属于管辖范围"


def codes(items: list[dict[str, Any]]) -> set[str]:
    return {i["service_request_id"] for i in items}


async def keyless(client: Any, path: str, **params: Any) -> Any:
    return await client.get(f"{BASE}/{path}", params=params)


async def keyed(client: Any, key: str, path: str, **params: Any) -> Any:
    return await client.get(f"{BASE}/{path}", params={"api_key": key, **params})


class TestKeylessReads:
    async def test_requests_json_lists_the_districts_cases(self, client, world: World):
        items = ok_json(await keyless(client, "requests.json"))
        assert codes(items) == {c.code for c in world.cases}  # both streets
        assert all(list(i) == FIELDS for i in items)

    async def test_requests_xml(self, client, world: World):
        root = ok_xml(await keyless(client, "requests.xml"))
        assert root.tag == "service_requests"
        requests = root.findall("request")
        assert {r.findtext("service_request_id") for r in requests} == {
            c.code for c in world.cases}
        assert [c.tag for c in requests[0]] == FIELDS

    async def test_one_request_json_and_xml(self, client, world: World):
        code = world.cases[5].code
        (item,) = ok_json(await keyless(client, f"requests/{code}.json"))
        assert item["service_request_id"] == code and list(item) == FIELDS
        root = ok_xml(await keyless(client, f"requests/{code}.xml"))
        assert [r.findtext("service_request_id") for r in root.findall("request")] == [code]

    async def test_token_json_and_xml(self, client, world: World):
        code = world.cases[0].code
        assert ok_json(await keyless(client, f"tokens/{code}.json")) == [
            {"service_request_id": code, "token": code}]
        root = ok_xml(await keyless(client, f"tokens/{code}.xml"))
        assert root.findtext("request/service_request_id") == code

    async def test_updates_json_and_xml(self, client, auth, world: World):
        await act(client, auth, world.user(Role.command_operator), world.cases[6].id, "accept")
        items = ok_json(await keyless(client, "servicerequestupdates.json"))
        assert [i["service_request_id"] for i in items] == [world.cases[6].code]
        assert list(items[0]) == UPDATE_FIELDS
        root = ok_xml(await keyless(client, "servicerequestupdates.xml"))
        assert root.tag == "service_requests_updates"
        assert [u.findtext("service_request_id") for u in root.findall("request_update")] == [
            world.cases[6].code]

    async def test_an_empty_api_key_counts_as_none(self, client, world: World):
        items = ok_json(await keyless(client, "requests.json", api_key=""))
        assert codes(items) == {c.code for c in world.cases}

    async def test_unknown_request_is_404(self, client):
        error_of(await keyless(client, "requests/AJ0.json"), 404)
        xml_error_of(await keyless(client, "tokens/AJ0.xml"), 404)

    async def test_statements_do_not_grow_with_the_page(self, client, statements):
        with statements:
            assert len(ok_json(await keyless(client, "requests.json", page_size=1))) == 1
        one = statements.count
        with statements:
            assert len(ok_json(await keyless(client, "requests.json", page_size=8))) == 8
        # The district's path (1), the page with its categories, grids and handlers (1).
        assert statements.count == one == 2


class TestPublicFields:
    async def test_no_contact_the_reporting_app_sent(self, client, world: World, key: str):
        code = await reported_id(client, key, report_form(world, **CONTACT))
        for fmt in ("json", "xml"):
            for path in (f"requests.{fmt}", f"requests/{code}.{fmt}",
                         f"servicerequestupdates.{fmt}"):
                r = await keyless(client, path)
                assert r.status_code == 200, r.text
                assert code in r.text
                for value in CONTACT.values():
                    assert value not in r.text, (path, value)

    async def test_no_staff_notes(self, client, auth, world: World):
        case = world.cases[0]
        await act(client, auth, world.user(Role.command_operator), case.id, "reject",
                  note=STAFF_NOTE)
        for path in ("requests.json", f"requests/{case.code}.xml",
                     "servicerequestupdates.json"):
            r = await keyless(client, path)
            assert r.status_code == 200 and case.code in r.text, r.text
            assert "13912345678" not in r.text and "张三" not in r.text

    async def test_no_reporter(self, client, world: World):
        reporter = world.user(Role.grid_worker, "s1c1g1")
        r = await keyless(client, f"requests/{world.cases[0].code}.json")
        assert r.status_code == 200, r.text
        assert reporter.username not in r.text and reporter.display_name not in r.text
        assert "grid_worker" not in r.text

    async def test_status_notes_are_the_status_wording_alone(self, client, db, world: World,
                                                            key: str):
        await change(db, world.cases[0], status="dispatched")
        (item,) = ok_json(await keyless(client, f"requests/{world.cases[0].code}.json"))
        assert item["status_notes"] == "已派遣"
        (item,) = ok_json(await keyed(client, key, f"requests/{world.cases[0].code}.json"))
        assert item["status_notes"] == "dispatched: 已派遣"  # as before, with a key

    async def test_never_our_photos(self, client, world: World, key: str):
        code = world.cases[0].code
        r = await keyless(client, f"requests/{code}.json")
        (item,) = ok_json(r)
        assert item["media_url"] is None and "/attachments/" not in r.text
        (item,) = ok_json(await keyed(client, key, f"requests/{code}.json"))
        assert item["media_url"].endswith(
            f"/cases/{world.cases[0].id}/attachments/{world.attachments[0].id}")

    async def test_the_media_url_the_reporting_app_sent(self, client, world: World, key: str):
        url = "https://fixmystreet.example/photo/1.jpeg"
        code = await reported_id(client, key, report_form(world, media_url=url))
        (item,) = ok_json(await keyless(client, f"requests/{code}.json"))
        assert item["media_url"] == url and item["description"] == "井盖缺失"

    async def test_the_address_as_reported(self, client, world: World, key: str):
        form = report_form(world, address_string="建安大道 1 号")
        code = await reported_id(client, key, form)
        (item,) = ok_json(await keyless(client, f"requests/{code}.json"))
        assert item["address"] == "建安大道 1 号"
        (item,) = ok_json(await keyless(client, f"requests/{world.cases[0].code}.json"))
        assert item["address"] == world.grids[0].name  # none reported: the grid's name


class TestPublicCases:
    async def test_community_affairs_need_a_key(self, client, db, world: World, key: str):
        case = world.cases[0]
        await change(db, case, category_code="S0106")  # 家庭矛盾
        assert case.code not in codes(ok_json(await keyless(client, "requests.json")))
        error_of(await keyless(client, f"requests/{case.code}.json"), 404)
        error_of(await keyless(client, f"tokens/{case.code}.json"), 404)
        assert case.code in codes(ok_json(await keyed(client, key, "requests.json")))

    async def test_updates_of_community_affairs_need_a_key(self, client, auth, db,
                                                          world: World, key: str):
        case = world.cases[0]
        await change(db, case, category_code="S0401")  # 独居老人关怀
        await act(client, auth, world.user(Role.command_operator), case.id, "accept")
        assert ok_json(await keyless(client, "servicerequestupdates.json")) == []
        got = ok_json(await keyed(client, key, "servicerequestupdates.json"))
        assert [i["service_request_id"] for i in got] == [case.code]

    async def test_only_in_the_configured_jurisdiction(self, client, world: World,
                                                       jurisdiction: str):
        code = world.cases[0].code
        ok_json(await keyless(client, f"requests/{code}.json", jurisdiction_id=jurisdiction))
        ok_json(await keyless(client, f"requests/{code}.json"))  # may be left out
        error_of(await keyless(client, f"requests/{code}.json", jurisdiction_id="x.example"),
                 404)
        xml_error_of(await keyless(client, "requests.xml", jurisdiction_id="x.example"), 404)


class TestKeys:
    async def test_a_key_still_scopes(self, client, world: World, key: str):
        assert len(ok_json(await keyless(client, "requests.json"))) == 8
        assert codes(ok_json(await keyed(client, key, "requests.json"))) == {
            world.cases[k].code for k in range(4)}

    async def test_a_wrong_key_is_403_not_the_public_view(self, client, world: World,
                                                         key: str):
        code = world.cases[0].code
        ok_json(await keyless(client, f"requests/{code}.json"))
        typo = key[:-1] + ("x" if key[-1] != "x" else "y")
        for path in ("requests.json", f"requests/{code}.json", f"tokens/{code}.json",
                     "servicerequestupdates.json"):
            error_of(await keyed(client, typo, path), 403)
        xml_error_of(await keyed(client, typo, "requests.xml"), 403)

    async def test_a_disabled_key_is_403_not_the_public_view(self, client, db, key: str):
        ok_json(await keyless(client, "requests.json"))
        async with db.writing() as s:
            await s.execute(update(ApiClient).where(
                ApiClient.api_key_prefix == key.split(".")[0]).values(is_active=False))
            await s.commit()
        error_of(await keyed(client, key, "requests.json"), 403)

    async def test_posting_still_needs_a_key(self, client, world: World):
        ok_json(await keyless(client, "requests.json"))
        r = await client.post(f"{BASE}/requests.json", data=report_form(world))
        assert "api_key" in error_of(r, 403)


class TestPublicReadsOff:
    async def test_keyless_reads_are_403(self, client, world: World, public_reads_off: None):
        code = world.cases[0].code
        for path in ("requests.json", f"requests/{code}.json", f"tokens/{code}.json",
                     "servicerequestupdates.json"):
            assert "api_key" in error_of(await keyless(client, path), 403)
        xml_error_of(await keyless(client, "requests.xml"), 403)

    async def test_keyed_reads_still_answer(self, client, world: World, key: str,
                                           public_reads_off: None):
        assert len(ok_json(await keyed(client, key, "requests.json"))) == 4

    async def test_discovery_and_services_stay_public(self, client, public_reads_off: None):
        ok_json(await keyless(client, "discovery.json"))
        ok_json(await keyless(client, "services.json"))
        ok_xml(await keyless(client, "services/C0101.xml"))
