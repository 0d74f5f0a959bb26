"""GET requests.{fmt} and requests/{id}.{fmt} with a key: cases as Open311 requests, scoped to
the client's org subtree (without one: test_public_reads.py)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from app.core.permissions import Role
from app.core.types import utcnow
from tests.cases.helpers import act
from tests.factories import World
from tests.open311.conftest import MakeKey
from tests.open311.helpers import (
    BASE,
    change,
    error_of,
    ok_json,
    ok_xml,
    report_form,
    reported_id,
    set_grid_code,
    xml_error_of,
)

FIELDS = ["service_request_id", "status", "status_notes", "service_name", "service_code",
          "description", "agency_responsible", "service_notice", "requested_datetime",
          "updated_datetime", "expected_datetime", "address", "address_id", "zipcode", "lat",
          "long", "media_url"]


async def listed(client: Any, key: str, **params: Any) -> list[dict[str, Any]]:
    r = await client.get(f"{BASE}/requests.json", params={"api_key": key, **params})
    return list(ok_json(r))


def codes(items: list[dict[str, Any]]) -> set[str]:
    return {i["service_request_id"] for i in items}


def world_codes(world: World, *ks: int) -> set[str]:
    return {world.cases[k].code for k in ks}


class TestKey:
    async def test_no_key_is_403_when_public_reads_are_off(self, client,
                                                           public_reads_off: None):
        error_of(await client.get(f"{BASE}/requests.json"), 403)
        xml_error_of(await client.get(f"{BASE}/requests.xml"), 403)

    async def test_bad_key_is_403(self, client):
        r = await client.get(f"{BASE}/requests.json", params={"api_key": "gk_12345678.x"})
        error_of(r, 403)


class TestScope:
    async def test_street_1_key_does_not_see_street_2_cases(self, client, world: World,
                                                           key: str, make_key: MakeKey):
        assert codes(await listed(client, key)) == world_codes(world, 0, 1, 2, 3)
        other = await make_key(world.streets[1])
        assert codes(await listed(client, other)) == world_codes(world, 4, 5, 6, 7)

    async def test_a_report_of_street_2_stays_out_of_street_1(self, client, world: World,
                                                            key: str, make_key: MakeKey):
        other = await make_key(world.streets[1])
        code = await reported_id(client, other, report_form(world, 5))
        assert code not in codes(await listed(client, key))
        assert code not in codes(await listed(client, key, service_request_id=code))
        error_of(await client.get(f"{BASE}/requests/{code}.json", params={"api_key": key}), 404)
        assert code in codes(await listed(client, other))

    async def test_district_key_sees_everything(self, client, world: World,
                                                make_key: MakeKey):
        district = await make_key(world.root)
        assert codes(await listed(client, district)) == world_codes(world, *range(8))

    async def test_a_reporting_only_client_sees_its_own_reports(self, client, world: World,
                                                                make_key: MakeKey):
        reporter = await make_key(scopes=["cases:report"])
        assert await listed(client, reporter) == []
        code = await reported_id(client, reporter, report_form(world))
        assert codes(await listed(client, reporter)) == {code}


class TestFields:
    async def test_every_field_present_with_strings_and_zoned_datetimes(self, client,
                                                                        world: World, key: str):
        items = await listed(client, key)
        case = world.cases[0]
        item = next(i for i in items if i["service_request_id"] == case.code)
        assert list(item) == FIELDS
        assert item["status"] == "open" and item["status_notes"].startswith("reported")
        assert (item["service_code"], item["service_name"]) == ("C0101", "上水井盖")
        assert item["address"] == world.grids[0].name  # no street address: the grid's name
        assert item["zipcode"] is None and item["address_id"] is None
        assert (item["lat"], item["long"]) == (case.lat, case.lng)
        for name in ("requested_datetime", "updated_datetime", "expected_datetime"):
            assert datetime.fromisoformat(item[name]).utcoffset() is not None
        assert datetime.fromisoformat(item["expected_datetime"]) == case.due_at.replace(
            microsecond=0)

    async def test_media_url_is_the_photo_download(self, client, auth, world: World,
                                                   key: str):
        (item,) = await listed(client, key, service_request_id=world.cases[0].code)
        att = world.attachments[0]
        assert item["media_url"] == (
            f"http://test/api/v1/cases/{world.cases[0].id}/attachments/{att.id}")
        worker = world.user(Role.grid_worker, "s1c1g1")
        r = await client.get(item["media_url"], headers=auth(worker))
        assert r.status_code == 200 and r.headers["content-type"] == "image/png"

    async def test_media_url_is_null_without_a_photo_never_empty(self, client, world: World,
                                                                 key: str):
        code = await reported_id(client, key, report_form(world))
        (item,) = await listed(client, key, service_request_id=code)
        assert item["media_url"] is None

    async def test_address_sent_is_served(self, client, world: World, key: str):
        code = await reported_id(client, key, report_form(world, address_string="建安大道 1 号"))
        (item,) = await listed(client, key, service_request_id=code)
        assert item["address"] == "建安大道 1 号"

    async def test_grid_code_is_the_address_id(self, client, db, world: World, key: str):
        await set_grid_code(db, world.grids[0], "JA-S1C1G1")
        (item,) = await listed(client, key, service_request_id=world.cases[0].code)
        assert item["address_id"] == "JA-S1C1G1"

    async def test_agency_responsible_is_the_handling_org(self, client, db, world: World,
                                                          key: str):
        handler = world.communities[0]
        await change(db, world.cases[0], status="dispatched", handler_org_id=handler.id,
                     handler_org_path=handler.path)
        (item,) = await listed(client, key, service_request_id=world.cases[0].code)
        assert item["agency_responsible"] == handler.name
        assert (item["status"], item["status_notes"].split(":")[0]) == ("open", "dispatched")

    async def test_finer_states_map_to_open_and_closed(self, client, db, world: World,
                                                       key: str):
        for state, expected in (("suspended", "open"), ("resolved", "open"),
                                ("rejected", "closed"), ("closed", "closed")):
            await change(db, world.cases[0], status=state)
            (item,) = await listed(client, key, service_request_id=world.cases[0].code)
            assert item["status"] == expected
            assert item["status_notes"].startswith(f"{state}: ")

    async def test_xml_request_elements_with_empty_nulls(self, client, world: World, key: str):
        r = await client.get(f"{BASE}/requests.xml", params={"api_key": key})
        root = ok_xml(r)
        assert root.tag == "service_requests"
        requests = root.findall("request")
        assert len(requests) == 4
        first = requests[0]
        assert [c.tag for c in first] == FIELDS
        zipcode = first.find("zipcode")
        assert zipcode is not None and zipcode.text is None and len(zipcode) == 0
        assert first.findtext("status") == "open"


class TestFilters:
    async def test_status(self, client, auth, world: World, key: str):
        worker = world.user(Role.grid_worker, "s1c1g1")
        await act(client, auth, worker, world.cases[0].id, "self_resolve")
        assert codes(await listed(client, key, status="closed")) == world_codes(world, 0)
        assert codes(await listed(client, key, status="open")) == world_codes(world, 1, 2, 3)
        both = world_codes(world, 0, 1, 2, 3)
        assert codes(await listed(client, key, status="open,closed")) == both
        r = await client.get(f"{BASE}/requests.json?status=open&status=closed&api_key={key}")
        assert codes(ok_json(r)) == both
        assert codes(await listed(client, key, status="")) == both  # empty: not sent

    async def test_bad_status_is_400(self, client, key: str):
        r = await client.get(f"{BASE}/requests.json", params={"api_key": key,
                                                               "status": "open,pending"})
        assert "pending" in error_of(r, 400)

    async def test_service_code_list(self, client, db, world: World, key: str):
        await change(db, world.cases[1], category_code="E0101")
        assert codes(await listed(client, key, service_code="E0101")) == world_codes(world, 1)
        assert codes(await listed(client, key, service_code="E0101,C0101")) == world_codes(
            world, 0, 1, 2, 3)
        assert await listed(client, key, service_code="NOPE") == []

    async def test_default_window_is_the_last_90_days(self, client, db, world: World,
                                                      key: str):
        await change(db, world.cases[0], reported_at=utcnow() - timedelta(days=100))
        assert codes(await listed(client, key)) == world_codes(world, 1, 2, 3)
        now = utcnow()
        old = await listed(client, key, start_date=(now - timedelta(days=120)).isoformat(),
                           end_date=(now - timedelta(days=95)).isoformat())
        assert codes(old) == world_codes(world, 0)
        recent = await listed(client, key, start_date=(now - timedelta(days=50)).isoformat())
        assert codes(recent) == world_codes(world, 1, 2, 3)
        # One bound alone spans 90 days from it.
        start_only = await listed(client, key,
                                  start_date=(now - timedelta(days=101)).isoformat())
        assert codes(start_only) == world_codes(world, 0)
        end_only = await listed(client, key, end_date=(now - timedelta(days=99)).isoformat())
        assert codes(end_only) == world_codes(world, 0)

    async def test_a_date_without_offset_is_shanghai_time(self, client, db, world: World,
                                                          key: str):
        await change(db, world.cases[0], reported_at=datetime.fromisoformat(
            "2026-05-01T02:00:00+00:00"))  # 10:00 in Shanghai
        around = await listed(client, key, start_date="2026-05-01T09:30:00",
                              end_date="2026-05-01T10:30:00")
        assert codes(around) == world_codes(world, 0)
        assert await listed(client, key, start_date="2026-05-01",
                            end_date="2026-05-01T09:00:00") == []

    async def test_bad_dates_are_400(self, client, key: str):
        now = utcnow()
        for params in ({"start_date": "yesterday"},
                       {"start_date": (now - timedelta(days=91)).isoformat(),
                        "end_date": now.isoformat()},
                       {"start_date": now.isoformat(),
                        "end_date": (now - timedelta(days=1)).isoformat()},
                       {"end_date": "0001-01-01T00:00:00+00:00"},
                       {"start_date": "9999-12-31T23:00:00-05:00"}):
            r = await client.get(f"{BASE}/requests.json", params={"api_key": key, **params})
            error_of(r, 400)

    async def test_service_request_id_overrides_the_rest(self, client, world: World, key: str,
                                                         make_key: MakeKey):
        ids = f"{world.cases[0].code},{world.cases[1].code},unknown,{world.cases[4].code}"
        got = await listed(client, key, service_request_id=ids, status="closed",
                           service_code="E0101")
        assert codes(got) == world_codes(world, 0, 1)

    async def test_newest_first_in_pages(self, client, db, world: World, key: str):
        for k in range(4):
            await change(db, world.cases[k], reported_at=utcnow() - timedelta(hours=k))
        first = await listed(client, key, page_size=3)
        second = await listed(client, key, page_size=3, page=2)
        order = [world.cases[k].code for k in range(4)]
        assert [i["service_request_id"] for i in first + second] == order
        assert await listed(client, key, page_size=3, page=3) == []

    async def test_statements_do_not_grow_with_the_page(self, client, key: str, statements):
        with statements:
            assert len(await listed(client, key, page_size=1)) == 1
        one = statements.count
        with statements:
            assert len(await listed(client, key, page_size=4)) == 4
        # The key (2), the page with its categories, grids and handlers (1), photos (1).
        assert statements.count == one == 4

    async def test_bad_paging_is_400(self, client, key: str):
        for params in ({"page_size": 1001}, {"page_size": 0}, {"page": 0}, {"page": "two"}):
            r = await client.get(f"{BASE}/requests.json", params={"api_key": key, **params})
            error_of(r, 400)


class TestOne:
    async def test_array_of_one(self, client, world: World, key: str):
        code = world.cases[2].code
        r = await client.get(f"{BASE}/requests/{code}.json", params={"api_key": key})
        (item,) = ok_json(r)
        assert item["service_request_id"] == code and list(item) == FIELDS

    async def test_xml(self, client, world: World, key: str):
        code = world.cases[2].code
        root = ok_xml(await client.get(f"{BASE}/requests/{code}.xml", params={"api_key": key}))
        assert root.tag == "service_requests"
        assert [r.findtext("service_request_id") for r in root.findall("request")] == [code]

    async def test_unknown_is_404(self, client, key: str):
        error_of(await client.get(f"{BASE}/requests/AJ0.json", params={"api_key": key}), 404)
        xml_error_of(await client.get(f"{BASE}/requests/AJ0.xml", params={"api_key": key}),
                     404)

    async def test_other_streets_case_is_404(self, client, world: World, key: str):
        code = world.cases[6].code
        error_of(await client.get(f"{BASE}/requests/{code}.json", params={"api_key": key}), 404)

    async def test_no_key_is_403_when_public_reads_are_off(self, client, world: World,
                                                           public_reads_off: None):
        error_of(await client.get(f"{BASE}/requests/{world.cases[0].code}.json"), 403)
