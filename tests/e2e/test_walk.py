"""Every GET route as every demo login, on the production session paths: no 5xx.

Routes come from `app.routes`, so a new GET route joins the walk when it is added; its path
parameters and required query parameters are filled from `FILL` (by parameter name, overridden
per path where one name means different objects), and a route the walk cannot fill fails
`test_every_get_route_can_be_filled` until it is added there. 4xx answers (403, 404 for an
object outside a caller's area) are expected and fine; only a 5xx is a failure. Failures are
reported together, one line each: status, route, caller, the logged exception.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel
from sqlalchemy import select

from app.core.types import utcnow
from app.models import (
    Activity,
    ActivitySignup,
    AssessmentRound,
    AssessmentSheet,
    Building,
    MarketGoods,
    Meeting,
    Member,
    Org,
    Registration,
    Resident,
    ResidentImport,
    Review,
    TaskReport,
    VolunteerTeam,
)
from app.seed.demo import DEMO_LOGINS
from app.tasks.weeks import Week
from tests.e2e import flows
from tests.e2e.flows import Demo
from tests.e2e.harness import API, Harness

ROLES = [username for username, _, _ in DEMO_LOGINS]
CLIENT, OPEN311_KEY, OPEN311_ANONYMOUS = "client", "open311+api_key", "open311"
PARAM = re.compile(r"{(\w+)(?::\w+)?}")

# Which object fills a parameter, by name; `(path, name)` where a name is ambiguous.
FILL: dict[str | tuple[str, str], str] = {
    "case_id": "case", "attachment_id": "case_attachment", "patrol_id": "patrol",
    "visit_id": "visit", "import_id": "import", "building_id": "building",
    "household_id": "household", "resident_id": "resident", "wish_id": "wish",
    "grid_id": "grid", "org_id": "community", "user_id": "worker", "member_id": "member",
    "finding_id": "finding", "group_id": "building_group", "node_id": "member_household",
    "registration_id": "registration", "community_id": "community", "unit_id": "unit",
    "agreement_id": "agreement", "cadre_id": "cadre", "webhook_id": "webhook",
    "lng": "lng", "lat": "lat", "category_code": "category",
    "fmt": "json", "service_code": "category", "service_request_id": "case_code",
    "token": "case_code", "rest": "unknown", "activity_id": "activity", "goods_id": "goods",
    "redemption_id": "redemption", "team_id": "team", "signup_id": "signup", "task_id": "task",
    "report_id": "task_report", "bulletin_id": "bulletin", "meeting_id": "meeting",
    "week": "week", "year": "year", "number": "certificate_number",
    (f"{API}/tasks/{{task_id}}/reports/{{report_id}}/attachments/{{attachment_id}}",
     "attachment_id"): "case_attachment",  # not the report's: a 404 is what the walk expects
    (f"{API}/meetings/{{meeting_id}}/attachments/{{attachment_id}}", "attachment_id"):
        "case_attachment",
    "sheet_id": "assessment_sheet",
    "round_id": "assessment_round", "review_id": "review",
    (f"{API}/wishes/{{wish_id}}/attachments/{{attachment_id}}", "attachment_id"):
        "wish_attachment",
}
# Calls beyond one per route: the export with a purpose (reveal rights, budget, audit) and
# limited to the demo grid.
EXTRA: list[tuple[str, dict[str, str]]] = [
    (f"{API}/residents/export.xlsx", {"purpose": "入户走访核对"}),
    (f"{API}/residents/export.xlsx", {"grid_id": "{grid}", "purpose": "入户走访核对"}),
]


@dataclass(frozen=True)
class Route:
    path: str
    needs: tuple[str, ...]  # path parameters, then required query parameters
    query: tuple[str, ...]


def _query_params(dependant: Any) -> list[Any]:
    found = list(dependant.query_params)
    for sub in dependant.dependencies:
        found += _query_params(sub)
    return found


def _required_query(route: APIRoute) -> list[str]:
    names: list[str] = []
    for p in _query_params(route.dependant):
        kind = p.field_info.annotation
        if isinstance(kind, type) and issubclass(kind, BaseModel):  # a query model
            names += [f.alias or n for n, f in kind.model_fields.items() if f.is_required()]
        elif p.field_info.is_required():
            names.append(p.alias)
    return names


def get_routes(app: Any) -> list[Route]:
    out = []
    for ctx in iter_route_contexts(app.routes):
        if not isinstance(ctx.original_route, APIRoute) or "GET" not in (ctx.methods or ()):
            continue
        if not str(ctx.path).startswith((API, "/open311")):
            continue
        query = tuple(_required_query(ctx.original_route))
        out.append(Route(str(ctx.path), tuple(PARAM.findall(str(ctx.path))) + query, query))
    return out


def _object(route: Route, name: str) -> str | None:
    return FILL.get((route.path, name)) or FILL.get(name)


def unfillable(routes: list[Route]) -> list[str]:
    return [f"{r.path}: no entry in FILL for {n!r}" for r in routes for n in r.needs
            if _object(r, n) is None]


def url_of(route: Route, objects: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    path = PARAM.sub(lambda m: str(objects[_object(route, m.group(1)) or ""]), route.path)
    return path, {n: objects[_object(route, n) or ""] for n in route.query}


async def _first(h: Harness, stmt: Any) -> Any:
    value = await h.scalar(stmt.limit(1))
    assert value is not None, f"the walk's setup found nothing for {stmt}"
    return value


async def objects_of(h: Harness, d: Demo) -> dict[str, Any]:
    """One of every object, in the demo grid where there is a choice: the seed's, and what the
    seed lacks made through the API (a case with a photo, a patrol, a visit, a fulfilled wish,
    a unit with its agreement, a cadre, a finding, a webhook)."""
    case = await flows.report_case(h, d)
    photo = await flows.attach_photo(h, case["id"])
    wish = await flows.wish_fulfilled(h, d)
    unit, agreement = await flows.unit_with_agreement(h, d)
    in_grid = Resident.grid_id == d.grid_id
    task_id = await _first(h, select(TaskReport.task_id))
    report_id = await _first(h, select(TaskReport.id).where(TaskReport.task_id == task_id))
    household = await _first(h, select(Resident.household_id).where(in_grid))
    return {
        "case": case["id"], "case_code": case["code"], "case_attachment": photo["id"],
        "wish": wish["id"], "wish_attachment": wish["evidence_attachment_ids"][0],
        "unit": unit["id"], "agreement": agreement["id"],
        "cadre": (await flows.cadre(h, d, unit["id"]))["id"],
        "finding": (await flows.finding(h, d))["id"],
        "webhook": (await flows.webhook(h))["id"],
        "patrol": (await flows.patrol(h, d))["id"],
        "visit": (await flows.visit(h, d, household))["id"],
        "resident": await _first(h, select(Resident.id).where(in_grid)),
        "household": household,
        "building": await _first(h, select(Building.id).where(Building.grid_id == d.grid_id)),
        "import": await _first(h, select(ResidentImport.id)),
        "grid": d.grid_id, "community": d.community_id,
        "worker": await flows.user_id(h, flows.WORKER),
        "member": await _first(h, select(Member.id)),
        "registration": await _first(h, select(Registration.id)),
        "building_group": await _first(h, select(Org.id).where(
            Org.kind == "building_group", Org.parent_id == d.branch_id)),
        "member_household": await _first(h, select(Org.id).where(
            Org.kind == "member_household", Org.path.like(f"%/{d.branch_id}/%"))),
        "activity": await _first(h, select(Activity.id).where(
            Activity.community_id == d.community_id)),
        "signup": await _first(h, select(ActivitySignup.id).where(
            ActivitySignup.community_id == d.community_id)),
        "goods": await _first(h, select(MarketGoods.id).where(
            MarketGoods.community_id == d.community_id)),
        "redemption": (await flows.redemption(h, d))["id"],
        "team": await _first(h, select(VolunteerTeam.id).where(
            VolunteerTeam.community_id == d.community_id)),
        "task": task_id, "task_report": report_id,
        "bulletin": (await flows.bulletin(h, task_id))["id"],
        "meeting": await _first(h, select(Meeting.id)),
        "week": str(Week.at(utcnow())), "year": Week.at(utcnow()).year,
        "assessment_sheet": await _first(h, select(AssessmentSheet.id)),
        "assessment_round": await _first(h, select(AssessmentRound.id)),
        "review": await _first(h, select(Review.id)),
        "lng": d.lng, "lat": d.lat, "category": flows.LEAF, "json": "json",
        "unknown": "nothing-here.json",
        # The seed issues no certificate: the lookup answers 404 to everyone (never 5xx).
        "certificate_number": "ZYZM-0-2026-000000",
    }


@dataclass(frozen=True)
class Failure:
    status: int
    method_url: str
    caller: str
    cause: str

    def line(self) -> str:
        return f"{self.status}  {self.method_url:<70}  {self.caller:<22}  {self.cause}"


async def _get(h: Harness, caller: str, path: str, params: dict[str, Any]) -> tuple[int, str]:
    headers: dict[str, str] = {}
    if caller == CLIENT:
        headers = await h.client_token()
    elif caller == OPEN311_KEY:
        params = {**params, "api_key": h.api_client["api_key"]}
    elif caller != OPEN311_ANONYMOUS:
        headers = await h.login(caller)
    before = len(h.errors.records)
    r = await h.client.get(path, params=params, headers=headers)
    cause = h.errors.last() if len(h.errors.records) > before else r.text[:120]
    return r.status_code, cause


def calls(routes: list[Route], objects: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    out = [url_of(r, objects) for r in routes]
    for path, params in EXTRA:
        out.append((path, {k: v.format(**objects) for k, v in params.items()}))
    return out


def callers(path: str) -> list[str]:
    return [OPEN311_KEY, OPEN311_ANONYMOUS] if path.startswith("/open311") else [*ROLES, CLIENT]


async def test_every_get_route_can_be_filled(harness: Harness) -> None:
    routes = get_routes(harness.app)
    assert len(routes) > 50, "the walk found too few routes: has the routing changed?"
    assert {p for p, _ in EXTRA} <= {r.path for r in routes}
    missing = unfillable(routes)
    assert not missing, "add these to FILL in tests/e2e/test_walk.py:\n" + "\n".join(missing)


async def test_no_get_route_answers_5xx_to_any_caller(harness: Harness) -> None:
    h = harness
    routes = [r for r in get_routes(h.app) if not unfillable([r])]
    objects = await objects_of(h, await flows.demo(h))
    failures: list[Failure] = []
    answered, served = 0, Counter[str]()
    for path, params in calls(routes, objects):
        for caller in callers(path):
            status, cause = await _get(h, caller, path, params)
            answered += 1
            served[caller] += status < 300
            if status >= 500:
                shown = path + ("?" + "&".join(f"{k}={v}" for k, v in params.items())
                                if params else "")
                failures.append(Failure(status, f"GET {shown}", caller, cause))
    # Guards the walk itself: a caller whose every call was refused (a token gone bad, a
    # setup that made nothing to read) would pass vacuously.
    assert all(served[c] >= 3 for c in [*ROLES, CLIENT, OPEN311_KEY]), served
    if failures:
        table = "\n".join(f.line() for f in failures)
        pytest.fail(f"{len(failures)} of {answered} calls answered 5xx:\n{table}", pytrace=False)
