"""The input types on the domains merged after them (tasks, meetings, assessment, the volunteers'
records and points): each case below was a 500 or a schema-valid request refused (or a
schema-violating one accepted) in the schemathesis run (tests/fuzz/run.py) before."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.assessment.sheets.schemas import SheetItemIn
from app.core.inputs import ID_MAX
from app.core.permissions import Role
from app.tasks.lists.schemas import ResponsibleIn
from tests.factories import World

API = "/api/v1"
TOO_BIG = 2**70


def _admin(auth, world: World) -> dict[str, str]:
    return auth(world.user(Role.district_admin))


def _refused(r, location: str, field: str | None = None) -> None:
    assert r.status_code == 422, r.text
    errors = r.json()["errors"]
    assert any(e.get("location") == location for e in errors), r.text
    if field is not None:
        assert any(e.get("field") == field for e in errors), r.text


class TestIds:
    @pytest.mark.parametrize(
        ("method", "path"),
        [
            ("POST", "/assessment/sheets/{}/versions"),
            ("GET", "/assessment/sheets/{}"),
            ("GET", "/assessment/rounds/{}/results"),
            ("GET", "/reviews/{}"),
            ("GET", "/reviews/{}/results"),
        ],
    )
    @pytest.mark.parametrize("value", [TOO_BIG, ID_MAX + 1, 0])
    async def test_an_assessment_path_id_past_the_bound_is_422(
        self, client, auth, world: World, method, path, value
    ):
        r = await client.request(method, API + path.format(value), headers=_admin(auth, world))
        _refused(r, "path")

    async def test_a_points_community_past_the_bound_is_422(self, client, auth, world: World):
        r = await client.get(
            f"{API}/points/rules",
            params={"community_id": ID_MAX + 1},
            headers=_admin(auth, world),
        )
        _refused(r, "query", "community_id")


class TestDatesAndNumbers:
    @pytest.mark.parametrize("suffix", ["", ".xlsx"])
    async def test_a_number_for_a_service_record_date_is_422(
        self, client, auth, world: World, suffix
    ):
        r = await client.get(
            f"{API}/members/1/service-record{suffix}",
            params={"to": "0"},
            headers=_admin(auth, world),
        )
        _refused(r, "query", "to")

    async def test_a_number_for_a_review_time_is_422(self, client, auth, world: World):
        body = {
            "org_id": world.root.id,
            "year": 2026,
            "org_kind": "community",
            "title": "2026 年度述职评议",
            "opens_at": 0,
            "closes_at": "2027-01-31T00:00:00Z",
        }
        r = await client.post(f"{API}/reviews", json=body, headers=_admin(auth, world))
        _refused(r, "body", "opens_at")

    async def test_a_string_for_a_task_year_is_422(self, client, auth, world: World):
        body = {"org_id": world.root.id, "year": "2026", "content": "老旧小区改造"}
        r = await client.post(f"{API}/tasks", json=body, headers=_admin(auth, world))
        _refused(r, "body", "year")


class TestWeeks:
    @pytest.mark.parametrize("week", ["", "2026-W54", "2026-W00", "2026W49"])
    async def test_a_week_off_the_pattern_is_refused_by_the_schema(
        self, client, auth, world: World, week
    ):
        r = await client.get(
            f"{API}/tasks/bulletin",
            params={"org_id": world.root.id, "week": week},
            headers=_admin(auth, world),
        )
        _refused(r, "query", "week")

    async def test_a_week_the_year_lacks_is_a_rule_not_a_schema_error(
        self, client, auth, world: World
    ):
        # 2025 has 52 ISO weeks: the pattern allows W53, so the refusal names the field
        # without a pydantic location (the fuzz hook's test for "a rule the schema cannot state").
        r = await client.get(
            f"{API}/tasks/bulletin",
            params={"org_id": world.root.id, "week": "2025-W53"},
            headers=_admin(auth, world),
        )
        assert r.status_code == 422, r.text
        [error] = r.json()["errors"]
        assert error["field"] == "week" and "location" not in error


class TestRulesTheSchemaStates:
    """Rules on a nested object would be refused with a location, so the schema states them."""

    async def test_responsible_is_exactly_one_of_org_and_unit(self, client):
        schema = (await client.get("/openapi.json")).json()["components"]["schemas"]
        branches = schema["ResponsibleIn"]["oneOf"]
        assert [b["required"] for b in branches] == [["org_id"], ["unit_id"]]
        ResponsibleIn(org_id=1, unit_id=None)
        ResponsibleIn(unit_id=1)
        for bad in ({"org_id": 1, "unit_id": 1}, {}, {"org_id": None, "unit_id": None}):
            with pytest.raises(ValidationError):
                ResponsibleIn(**bad)

    async def test_a_manual_item_has_no_metric_and_a_computed_one_has_one(self, client):
        schema = (await client.get("/openapi.json")).json()["components"]["schemas"]
        manual, computed = schema["SheetItemIn"]["oneOf"]
        assert manual["properties"]["metric"] == {"type": "null"}
        assert computed["required"] == ["source", "metric"]
        SheetItemIn(name="案件办结率", max_score=10)
        for bad in (
            {"metric": ""},
            {"source": "manual", "metric": "cases_closed"},
            {"source": "computed"},
        ):
            with pytest.raises(ValidationError):
                SheetItemIn(name="案件办结率", max_score=10, **bad)

    async def test_a_missing_sheet_for_a_round_is_a_documented_404(self, client):
        paths = (await client.get("/openapi.json")).json()["paths"]
        assert "404" in paths[f"{API}/assessment/rounds"]["post"]["responses"]


class TestXlsxCells:
    """Text refuses only NUL, so a name may hold a control character .xlsx cannot store: the
    review results export answered 500 on one (an org named with ESC) before."""

    async def test_the_results_export_drops_control_characters(self):
        from io import BytesIO

        from openpyxl import load_workbook

        from app.assessment.rounds import export

        body = await export.workbook("2026 述职评议", ["组织"], [["幸福\x1b社区\x07", 1.5]])
        sheet = load_workbook(BytesIO(body)).active
        assert [c.value for c in sheet[2]] == ["幸福社区", 1.5]

    def test_the_shared_writer_drops_them_too(self, tmp_path):
        from openpyxl import load_workbook

        from app.people.sheets import write_workbook

        path = tmp_path / "tasks.xlsx"
        write_workbook(path, [("清单", [["任务\x1b一", 3]])])
        assert [c.value for c in load_workbook(path).active[1]] == ["任务一", 3]
