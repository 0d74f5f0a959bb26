"""No response to a role without reveal rights carries a full ID-card or mobile number: every GET
route of the app (read from its OpenAPI document), called as a grid worker on objects of their
own grid, scanned for 18-character ID numbers and 11-digit mobile numbers."""

from __future__ import annotations

import re
from typing import Any

import pytest

from app.core.permissions import Role
from tests import scope_targets as st
from tests.factories import LEAF, World

FULL_ID = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
FULL_PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
CALLER = "s1c1g1"
GET_ROUTES = [r for r in st.routes_from_openapi(st.app_openapi()) if r.method == "GET"]


def own_objects(world: World) -> dict[str, int]:
    """Each path parameter → an object in the caller's own grid (so the route answers 200)."""
    i = 0  # s1c1g1
    case = world.cases[i]
    return {
        "user_id": world.user(Role.grid_worker, CALLER).id, "org_id": world.branches[i].id,
        "grid_id": world.grids[i].id, "case_id": case.id,
        "attachment_id": next((a.id for a in world.attachments if a.case_id == case.id), 0),
        "webhook_id": world.webhooks[0].id, "patrol_id": world.patrols[i].id,
        "visit_id": world.visits[i].id, "building_id": world.buildings[i].id,
        "household_id": world.households[i].id, "resident_id": world.residents[i].id,
        "import_id": world.resident_imports[i].id,
        # 双报到 and 微心愿: the grid's community (its roster is staff-only: a 404 here) and
        # the grid's wish.
        "registration_id": world.registrations[0].id, "community_id": world.communities[0].id,
        "wish_id": world.wishes[i].id,
        # Party members: the grid's member, building group and member household; the
        # community's finding (held by the other grid's branch: a 404 for this worker).
        "member_id": world.members[i].id, "finding_id": world.findings[0].id,
        "group_id": world.building_groups[i].id, "node_id": world.member_households[i].id,
        # 共驻共建: the district's unit and the s1c1 community's rows (units:read is not a grid
        # worker's right, so these answer 403/404; tests/coconstruction checks the masking).
        "unit_id": world.units[0].id, "reg_id": world.unit_registrations[0].id,
        "agreement_id": world.agreements[0].id, "project_id": world.agreement_projects[0].id,
        "cadre_id": world.cadres[0].id,
        # Volunteers: the s1c1 community's activity, goods, redemption and team (community
        # level, above the grid: 404s for this worker; tests/volunteers checks the masking).
        "activity_id": world.activities[0].id, "goods_id": world.goods[0].id,
        "redemption_id": world.redemptions[0].id, "team_id": world.teams[0].id,
        "signup_id": world.signups[0].id,
        # Key tasks and meetings: the s1c1 community's (above the grid: 404s for this worker;
        # tests/tasks and tests/meetings check what staff see).
        "task_id": world.tasks[0].id, "report_id": world.task_reports[0].id,
        "bulletin_id": world.bulletins[0].id, "meeting_id": world.meetings[0].id,
        # Assessment: street 1's sheet, round and review (street level: 404s for this worker;
        # they hold no personal numbers anyway).
        "sheet_id": world.assessment_sheets[0].id, "round_id": world.assessment_rounds[0].id,
        "review_id": world.reviews[0].id,
    }


def query_for(route: st.Route, world: World) -> dict[str, Any]:
    grid = world.grids[0]
    assert grid.min_lng is not None and grid.min_lat is not None
    known = {"lng": grid.min_lng + 0.005, "lat": grid.min_lat + 0.005, "category_code": LEAF.code,
             "community_id": world.communities[0].id, "org_id": world.communities[0].id,
             "week": "2026-W48", "year": 2026,
             # The s1c1 community's registered certificate (above the grid: a 404 here).
             "number": world.certificates[0].number}
    return {q: known[q] for q in route.required_query}


@pytest.mark.parametrize("route", GET_ROUTES, ids=str)
async def test_no_full_id_or_phone_for_a_grid_worker(route: st.Route, client, auth,
                                                     world: World):
    objects = own_objects(world)
    missing = [p for p in route.params if p not in objects]
    assert not missing, f"{route}: teach own_objects() the parameter(s) {missing}"
    url = route.path
    for param in route.params:
        url = url.replace(f"{{{param}}}", str(objects[param]))
    r = await client.get(url, params=query_for(route, world),
                         headers=auth(world.user(Role.grid_worker, CALLER)))
    if "json" not in r.headers.get("content-type", ""):
        return  # files and metrics: no personal data fields
    text = r.text
    assert not FULL_ID.findall(text), f"{route}: full ID number in {text[:500]}"
    assert not FULL_PHONE.findall(text), f"{route}: full phone number in {text[:500]}"


async def test_the_walk_does_see_residents(client, auth, world: World):
    """Guards the walk above: the worker's resident is in the responses, masked."""
    r = await client.get(f"{st.API}/residents/{world.residents[0].id}",
                         headers=auth(world.user(Role.grid_worker, CALLER)))
    assert r.status_code == 200 and "*" in r.json()["id_number"] and "*" in r.json()["phone"]
