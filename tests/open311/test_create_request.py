"""POST requests.{fmt}: a case reported by a third-party client through app.cases.service."""

from __future__ import annotations

from sqlalchemy import select, update

from app.models import ApiClient, CaseEvent
from tests.factories import World
from tests.open311.conftest import MakeKey
from tests.open311.helpers import (
    BASE,
    centre,
    error_of,
    ok_json,
    ok_xml,
    post_report,
    report_form,
    reported_id,
    set_grid_code,
    stored,
    xml_error_of,
)

PERSONAL = {"email": "resident@example.com", "phone": "13800138000", "first_name": "三",
            "last_name": "张", "device_id": "device-77f3"}


class TestCreate:
    async def test_reports_a_case_in_the_grid_of_the_point(self, client, db, world: World,
                                                           key: str):
        r = await post_report(client, key, report_form(world, 1))
        (body,) = ok_json(r)
        assert list(body) == ["service_request_id", "service_notice", "account_id"]
        assert body["service_request_id"].startswith("AJ")
        assert "4" in body["service_notice"] and body["account_id"] is None
        case = await stored(db, body["service_request_id"])
        assert (case.grid_id, case.category_code, case.status) == (world.grids[1].id, "C0101",
                                                                    "reported")
        assert case.source == "open311" and case.reporter_key.startswith("client:")
        assert case.description == "井盖缺失" and case.version == 1

    async def test_writes_the_timeline(self, client, db, world: World, key: str):
        code = await reported_id(client, key, report_form(world))
        case = await stored(db, code)
        async with db.writing() as s:
            actions = (await s.execute(select(CaseEvent.action)
                                       .where(CaseEvent.case_id == case.id))).scalars().all()
        assert actions == ["report"]

    async def test_xml_answer(self, client, world: World, key: str):
        root = ok_xml(await post_report(client, key, report_form(world), fmt="xml"))
        assert root.tag == "service_requests"
        request = root.find("request")
        assert request is not None
        assert [c.tag for c in request] == ["service_request_id", "service_notice", "account_id"]
        assert (request.findtext("service_request_id") or "").startswith("AJ")

    async def test_key_and_fields_may_come_in_the_query_string(self, client, world: World,
                                                               key: str):
        form = report_form(world)
        r = await client.post(f"{BASE}/requests.json", params={"api_key": key, **form})
        assert ok_json(r)[0]["service_request_id"]

    async def test_form_wins_over_the_query_string(self, client, db, world: World, key: str):
        r = await client.post(f"{BASE}/requests.json", params={"api_key": "gk_bad.bad"},
                              data={"api_key": key, **report_form(world)})
        assert ok_json(r)[0]["service_request_id"]

    async def test_an_empty_form_value_leaves_the_query_one(self, client, world: World,
                                                            key: str):
        r = await client.post(f"{BASE}/requests.json", params={"api_key": key},
                              data={"api_key": "", **report_form(world)})
        assert ok_json(r)[0]["service_request_id"]

    async def test_no_description_takes_the_service_name(self, client, db, world: World,
                                                         key: str):
        code = await reported_id(client, key, report_form(world, description=""))
        assert (await stored(db, code)).description == "上水井盖"

    async def test_long_description_up_to_4000_is_kept_whole(self, client, db, world: World,
                                                             key: str):
        text = "井" * 4000
        code = await reported_id(client, key, report_form(world, description=text))
        assert (await stored(db, code)).description == text

    async def test_description_over_4000_is_400(self, client, world: World, key: str):
        r = await post_report(client, key, report_form(world, description="x" * 4001))
        assert "description" in error_of(r, 400)


class TestApiKey:
    async def test_missing_is_403(self, client, world: World):
        r = await client.post(f"{BASE}/requests.json", data=report_form(world))
        assert "api_key" in error_of(r, 403)

    async def test_missing_is_403_in_xml_too(self, client, world: World):
        r = await client.post(f"{BASE}/requests.xml", data=report_form(world))
        xml_error_of(r, 403)

    async def test_unknown_is_403(self, client, world: World):
        error_of(await post_report(client, "gk_00000000.nope", report_form(world)), 403)
        error_of(await post_report(client, "no-dot-at-all", report_form(world)), 403)

    async def test_right_prefix_wrong_secret_is_403(self, client, world: World, key: str):
        prefix = key.split(".")[0]
        error_of(await post_report(client, f"{prefix}.wrong", report_form(world)), 403)

    async def test_the_fixture_worlds_clients_have_no_usable_key(self, client, world: World):
        c = world.clients[0]
        error_of(await post_report(client, f"{c.api_key_prefix}.{c.api_key_hash}",
                                   report_form(world)), 403)

    async def test_disabled_client_is_403(self, client, db, world: World, key: str):
        async with db.writing() as s:
            await s.execute(update(ApiClient).where(
                ApiClient.api_key_prefix == key.split(".")[0]).values(is_active=False))
            await s.commit()
        error_of(await post_report(client, key, report_form(world)), 403)

    async def test_client_without_report_scope_is_403(self, client, world: World,
                                                      make_key: MakeKey):
        reader = await make_key(scopes=["cases:read"])
        r = await client.post(f"{BASE}/requests.json", headers={"Accept-Language": "en"},
                              data={"api_key": reader, **report_form(world)})
        assert "may not submit" in error_of(r, 403)

    async def test_outside_the_clients_area_is_403(self, client, world: World, key: str):
        # The key belongs to street 1; grid 4 is in street 2.
        r = await client.post(f"{BASE}/requests.json", headers={"Accept-Language": "en"},
                              data={"api_key": key, **report_form(world, 4)})
        assert "outside the area" in error_of(r, 403)


class TestJurisdiction:
    async def test_wrong_one_in_the_form_is_404(self, client, world: World, key: str,
                                                 jurisdiction: str):
        r = await post_report(client, key, report_form(world, jurisdiction_id="x.example"))
        error_of(r, 404)

    async def test_right_one_in_the_query_is_fine(self, client, world: World, key: str,
                                                  jurisdiction: str):
        r = await client.post(f"{BASE}/requests.json", params={"jurisdiction_id": jurisdiction},
                              data={"api_key": key, **report_form(world)})
        assert r.status_code == 200, r.text


class TestServiceCode:
    async def test_missing_is_400(self, client, world: World, key: str):
        r = await post_report(client, key, report_form(world, service_code=""))
        assert "service_code" in error_of(r, 400)

    async def test_unknown_is_404(self, client, world: World, key: str):
        error_of(await post_report(client, key, report_form(world, service_code="ZZ99")), 404)

    async def test_a_group_is_404(self, client, world: World, key: str):
        error_of(await post_report(client, key, report_form(world, service_code="C01")), 404)


class TestLocation:
    async def test_outside_every_grid_is_400(self, client, world: World, key: str):
        r = await client.post(f"{BASE}/requests.json", headers={"Accept-Language": "en"},
                              data={"api_key": key, **report_form(world, lat=39.9, long=116.4)})
        assert "outside every grid" in error_of(r, 400)

    async def test_lat_without_long_is_400(self, client, world: World, key: str):
        lat, _ = centre(world, 0)
        r = await post_report(client, key, {"service_code": "C0101", "lat": lat})
        error_of(r, 400)

    async def test_out_of_range_or_not_a_number_is_400(self, client, world: World, key: str):
        error_of(await post_report(client, key, report_form(world, lat=91)), 400)
        error_of(await post_report(client, key, report_form(world, long="east")), 400)
        error_of(await post_report(client, key, report_form(world, lat="nan")), 400)

    async def test_none_at_all_is_400(self, client, key: str):
        r = await post_report(client, key, {"service_code": "C0101"})
        assert "lat" in error_of(r, 400)

    async def test_address_string_naming_a_grid_places_the_case(self, client, db, world: World,
                                                                 key: str):
        grid = world.grids[1]
        form = {"service_code": "C0101", "address_string": f"许昌市建安区 {grid.name} 东门"}
        code = await reported_id(client, key, form)
        case = await stored(db, code)
        assert case.grid_id == grid.id
        assert case.address == form["address_string"]

    async def test_address_string_alone_that_finds_no_grid_is_400(self, client, key: str):
        r = await post_report(client, key, {"service_code": "C0101",
                                            "address_string": "许昌市建安区某路 88 号"})
        description = error_of(r, 400)
        assert "lat" in description and "long" in description

    async def test_address_string_of_another_streets_grid_finds_nothing(self, client,
                                                                       world: World, key: str):
        r = await post_report(client, key, {"service_code": "C0101",
                                            "address_string": world.grids[5].name})
        error_of(r, 400)

    async def test_address_id_is_a_grid_code(self, client, db, world: World, key: str):
        await set_grid_code(db, world.grids[2], "JA-S1C2G1")
        code = await reported_id(client, key, {"service_code": "C0101",
                                               "address_id": "JA-S1C2G1"})
        assert (await stored(db, code)).grid_id == world.grids[2].id

    async def test_unknown_address_id_is_400(self, client, key: str):
        r = await post_report(client, key, {"service_code": "C0101", "address_id": "NOPE-1"})
        assert "address_id" in error_of(r, 400)

    async def test_coordinates_win_over_an_address(self, client, db, world: World, key: str):
        form = report_form(world, 0, address_string=world.grids[1].name)
        case = await stored(db, await reported_id(client, key, form))
        assert case.grid_id == world.grids[0].id


class TestAttributes:
    async def test_address_detail_joins_the_address(self, client, db, world: World, key: str):
        form = report_form(world, address_string="建安大道 1 号",
                           **{"attribute[address_detail]": "3 号楼东侧"})
        case = await stored(db, await reported_id(client, key, form))
        assert case.address == "建安大道 1 号 3 号楼东侧"

    async def test_two_values_for_a_single_value_attribute_is_400(self, client, world: World,
                                                                   key: str):
        form = {**report_form(world), "attribute[address_detail][]": ["a", "b"]}
        assert "address_detail" in error_of(await post_report(client, key, form), 400)

    async def test_too_long_is_400(self, client, world: World, key: str):
        form = report_form(world, **{"attribute[address_detail]": "x" * 101})
        error_of(await post_report(client, key, form), 400)

    async def test_unknown_attributes_are_ignored(self, client, world: World, key: str):
        form = report_form(world, **{"attribute[fixmystreet_id]": "1234"})
        assert ok_json(await post_report(client, key, form))[0]["service_request_id"]


class TestMediaUrl:
    async def test_is_kept_and_served_back(self, client, world: World, key: str):
        url = "https://photos.example.org/p/1.jpg"
        code = await reported_id(client, key, report_form(world, media_url=url))
        r = await client.get(f"{BASE}/requests/{code}.json", params={"api_key": key})
        (request,) = ok_json(r)
        assert request["media_url"] == url and request["description"] == "井盖缺失"

    async def test_must_be_http(self, client, world: World, key: str):
        for bad in ("javascript:alert(1)", "ftp://x.example/a", "https://a b.example/"):
            r = await post_report(client, key, report_form(world, media_url=bad))
            assert "media_url" in error_of(r, 400)


class TestPersonalData:
    async def test_is_accepted_but_neither_stored_nor_served(self, client, db, world: World,
                                                             key: str):
        r = await post_report(client, key, report_form(world, account_id="acct-42", **PERSONAL))
        (body,) = ok_json(r)
        assert body["account_id"] == "acct-42"  # echoed to the caller only
        case = await stored(db, body["service_request_id"])
        row = " ".join(str(v) for v in vars(case).values())
        served = (await client.get(f"{BASE}/requests.json", params={"api_key": key})).text
        served += (await client.get(f"{BASE}/requests.xml", params={"api_key": key})).text
        for value in [*PERSONAL.values(), "acct-42"]:
            assert value not in row and value not in served

    async def test_nul_characters_are_refused(self, client, world: World, key: str):
        error_of(await post_report(client, key, report_form(world, description="a\x00b")), 400)


class TestIdempotencyKey:
    """A third-party client retrying after a lost answer gets the same case back."""

    async def _post(self, client, key: str, form: dict, idem: str, fmt: str = "json"):
        return await client.post(f"{BASE}/requests.{fmt}", data={"api_key": key, **form},
                                 headers={"Idempotency-Key": idem})

    async def test_a_retry_replays_the_first_answer(self, client, db, world: World, key: str):
        form = report_form(world)
        first = await self._post(client, key, form, "o311-retry-1")
        again = await self._post(client, key, form, "o311-retry-1")
        assert first.status_code == again.status_code
        assert ok_json(first) == ok_json(again)
        assert again.headers.get("Idempotent-Replayed") == "true"
        other = ok_json(await self._post(client, key, form, "o311-retry-2"))
        assert other[0]["service_request_id"] != ok_json(first)[0]["service_request_id"]

    async def test_the_same_key_for_another_report_is_refused(self, client, world: World,
                                                              key: str):
        await self._post(client, key, report_form(world), "o311-reuse")
        changed = {**report_form(world), "description": "路灯不亮"}
        r = await self._post(client, key, changed, "o311-reuse")
        assert r.status_code == 400  # Open311's dialect for a 422
        assert "幂等键" in error_of(r, 400)
