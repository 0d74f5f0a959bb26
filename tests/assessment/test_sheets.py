"""Scoring sheets: drawn up by district/street staff, frozen once a round uses them (PATCH and
DELETE → 409), versioned as a new draft copy."""

from __future__ import annotations

from typing import Any

from app.core.permissions import Role
from tests.factories import World

API = "/api/v1"
SHEETS = f"{API}/assessment/sheets"

ITEMS: list[dict[str, Any]] = [
    {
        "name": "案件办结率",
        "weight": 1,
        "max_score": 20,
        "source": "computed",
        "metric": "case_closure_rate",
    },
    {
        "name": "案件按期办结率",
        "weight": 1,
        "max_score": 20,
        "source": "computed",
        "metric": "case_on_time_rate",
    },
    {
        "name": "在职党员报到",
        "weight": 0.5,
        "max_score": 20,
        "source": "computed",
        "metric": "registrations_approved",
        "target": 10,
    },
    {"name": "组织生活", "weight": 1, "max_score": 50},
]


def sheet_body(org_id: int, kind: str = "grid_branch", **changes: Any) -> dict[str, Any]:
    return {
        "org_id": org_id,
        "year": 2026,
        "org_kind": kind,
        "name": "2026年考核细则",
        "items": ITEMS,
        **changes,
    }


class TestCreate:
    async def test_street_admin_draws_up_a_sheet(self, client, auth, world: World):
        r = await client.post(
            SHEETS,
            headers=auth(world.user(Role.street_admin, "s1")),
            json=sheet_body(world.streets[0].id),
        )
        assert r.status_code == 201, r.text
        s = r.json()
        assert (s["status"], s["version_no"], s["previous_id"]) == ("draft", 1, None)
        assert [i["position"] for i in s["items"]] == [1, 2, 3, 4]
        assert s["max_total"] == 20 + 20 + 10 + 50
        assert r.headers["ETag"] == f'"{s["version"]}"'

    async def test_a_retry_with_the_same_key_replays(self, client, auth, world: World):
        headers = auth(world.user(Role.street_admin, "s1"), **{"Idempotency-Key": "sheet-1"})
        first = await client.post(SHEETS, headers=headers, json=sheet_body(world.streets[0].id))
        again = await client.post(SHEETS, headers=headers, json=sheet_body(world.streets[0].id))
        assert first.status_code == again.status_code == 201
        assert first.json()["id"] == again.json()["id"]

    async def test_a_community_is_assessed_and_may_not_assess(self, client, auth, world: World):
        r = await client.post(
            SHEETS,
            headers=auth(world.user(Role.community_admin, "s1c1")),
            json=sheet_body(world.communities[0].id, "grid_branch"),
        )
        assert r.status_code == 403, r.text

    async def test_unknown_metric_is_422(self, client, auth, world: World):
        items = [{"name": "x", "max_score": 10, "source": "computed", "metric": "nope"}]
        r = await client.post(
            SHEETS,
            headers=auth(world.user(Role.district_admin)),
            json=sheet_body(world.root.id, items=items),
        )
        assert r.status_code == 422
        assert r.json()["errors"][0]["field"] == "items.0.metric"

    async def test_a_count_metric_needs_a_target(self, client, auth, world: World):
        items = [
            {"name": "x", "max_score": 10, "source": "computed", "metric": "registrations_approved"}
        ]
        r = await client.post(
            SHEETS,
            headers=auth(world.user(Role.district_admin)),
            json=sheet_body(world.root.id, items=items),
        )
        assert r.status_code == 422

    async def test_a_manual_item_names_no_metric(self, client, auth, world: World):
        items = [{"name": "x", "max_score": 10, "metric": "case_closure_rate"}]
        r = await client.post(
            SHEETS,
            headers=auth(world.user(Role.district_admin)),
            json=sheet_body(world.root.id, items=items),
        )
        assert r.status_code == 422

    async def test_blank_name_and_zero_max_are_422(self, client, auth, world: World):
        items = [{"name": "  ", "max_score": 0}]
        r = await client.post(
            SHEETS,
            headers=auth(world.user(Role.district_admin)),
            json=sheet_body(world.root.id, items=items),
        )
        assert r.status_code == 422


class TestDraftEdits:
    async def test_draft_is_edited_and_deleted(self, client, auth, world: World):
        headers = auth(world.user(Role.street_admin, "s1"))
        s = (
            await client.post(SHEETS, headers=headers, json=sheet_body(world.streets[0].id))
        ).json()
        r = await client.patch(
            f"{SHEETS}/{s['id']}",
            headers=headers,
            json={"items": [{"name": "组织生活", "max_score": 100}]},
        )
        assert r.status_code == 200, r.text
        assert [i["name"] for i in r.json()["items"]] == ["组织生活"]
        assert r.json()["version"] > s["version"]
        stale = await client.patch(
            f"{SHEETS}/{s['id']}",
            json={"name": "x"},
            headers={**headers, "If-Match": f'"{s["version"]}"'},
        )
        assert stale.status_code == 412
        assert (await client.delete(f"{SHEETS}/{s['id']}", headers=headers)).status_code == 204
        assert (await client.get(f"{SHEETS}/{s['id']}", headers=headers)).status_code == 404


class TestInUse:
    async def test_a_sheet_in_use_cannot_be_changed_only_versioned(
        self, client, auth, world: World
    ):
        headers = auth(world.user(Role.street_admin, "s1"))
        sheet = world.assessment_sheets[0]
        r = await client.patch(
            f"{SHEETS}/{sheet.id}",
            headers=headers,
            json={"items": [{"name": "改", "max_score": 100}]},
        )
        assert (r.status_code, r.json()["code"]) == (409, "assessment_sheet_in_use")
        r = await client.delete(f"{SHEETS}/{sheet.id}", headers=headers)
        assert (r.status_code, r.json()["code"]) == (409, "assessment_sheet_in_use")
        items = (await client.get(f"{SHEETS}/{sheet.id}", headers=headers)).json()["items"]
        assert [i["name"] for i in items] == ["案件办结率", "组织生活"]

        v2 = await client.post(f"{SHEETS}/{sheet.id}/versions", headers=headers)
        assert v2.status_code == 201, v2.text
        copy = v2.json()
        assert (copy["status"], copy["version_no"], copy["previous_id"]) == ("draft", 2, sheet.id)
        assert [i["name"] for i in copy["items"]] == ["案件办结率", "组织生活"]
        r = await client.patch(f"{SHEETS}/{copy['id']}", headers=headers, json={"name": "新版"})
        assert (r.status_code, r.json()["name"]) == (200, "新版")

    async def test_applying_a_round_freezes_the_sheet(self, client, auth, world: World):
        headers = auth(world.user(Role.street_admin, "s1"))
        s = (
            await client.post(SHEETS, headers=headers, json=sheet_body(world.streets[0].id))
        ).json()
        r = await client.post(
            f"{API}/assessment/rounds",
            headers=headers,
            json={"sheet_id": s["id"], "org_id": world.streets[0].id, "quarter": "2026-Q4"},
        )
        assert r.status_code == 201, r.text
        assert (await client.get(f"{SHEETS}/{s['id']}", headers=headers)).json()[
            "status"
        ] == "in_use"
        r = await client.patch(
            f"{SHEETS}/{s['id']}", json={"name": "x"}, headers={**headers, "Accept-Language": "en"}
        )
        assert r.status_code == 409
        assert "versioned" in r.json()["detail"]


class TestScope:
    async def test_street_a_does_not_see_street_b(self, client, auth, world: World):
        headers = auth(world.user(Role.street_admin, "s1"))
        items = (await client.get(SHEETS, headers=headers)).json()["items"]
        assert [s["id"] for s in items] == [world.assessment_sheets[0].id]
        other = world.assessment_sheets[1]
        assert (await client.get(f"{SHEETS}/{other.id}", headers=headers)).status_code == 404
        r = await client.post(f"{SHEETS}/{other.id}/versions", headers=headers)
        assert r.status_code == 404

    async def test_an_auditor_reads_and_a_volunteer_sees_nothing(self, client, auth, world: World):
        items = (await client.get(SHEETS, headers=auth(world.user(Role.auditor)))).json()
        assert {s["id"] for s in items["items"]} >= {s.id for s in world.assessment_sheets}
        volunteer = world.user(Role.volunteer, "s1c1")
        assert (await client.get(SHEETS, headers=auth(volunteer))).json()["items"] == []

    async def test_metrics_are_listed(self, client, auth, world: World):
        r = await client.get(
            f"{API}/assessment/metrics", headers=auth(world.user(Role.street_admin, "s1"))
        )
        names = {m["name"] for m in r.json()}
        assert {"case_closure_rate", "case_on_time_rate", "registrations_approved"} <= names
