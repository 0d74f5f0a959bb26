"""Steps of the write journeys, as the phone and the offices make them, on the demo district:
the demo grid (幸福社区第一网格), its community and the demo logins (README). Shared by the
journeys and by the walk, which needs one of every object to fill its paths."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from PIL import Image
from sqlalchemy import select

from app.cases.categories_data import CATEGORIES
from app.models import Grid, Org, User
from app.people.idcard import check_digit
from app.seed.demo import DEMO_GRID, XINGFU
from app.tasks.weeks import Week
from tests.e2e.harness import API, Harness

LEAF = next(c.code for c in CATEGORIES if c.time_limit_hours)
WORKER, HEAD, COMMAND = "demo_grid_worker", "demo_grid_head", "demo_command"
COMMUNITY_ADMIN, DISTRICT_ADMIN = "demo_community_admin", "demo_district_admin"
LIAISON, MEMBER, INSTRUCTOR = "demo_unit_liaison", "demo_member", "demo_instructor"


@dataclass(frozen=True)
class Demo:
    """Ids of the demo district's fixed places."""

    root_id: int
    community_id: int
    grid_id: int
    branch_id: int
    lng: float  # the demo grid's middle (WGS-84)
    lat: float


async def demo(h: Harness) -> Demo:
    async with h.db.engine.connect() as conn:
        grid = (await conn.execute(select(Grid).where(Grid.name == DEMO_GRID))).one()
        root = await conn.scalar(select(Org.id).where(Org.parent_id.is_(None)))
        community = await conn.scalar(select(Org.id).where(Org.name == XINGFU,
                                                           Org.kind == "community"))
    return Demo(root_id=root, community_id=community, grid_id=grid.id, branch_id=grid.branch_id,
                lng=(grid.min_lng + grid.max_lng) / 2, lat=(grid.min_lat + grid.max_lat) / 2)


async def user_id(h: Harness, username: str) -> int:
    found: int = await h.scalar(select(User.id).where(User.username == username))
    return found


def key() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


def if_match(body: dict[str, Any]) -> dict[str, str]:
    return {"If-Match": f'"{body["version"]}"'}


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "green").save(out, format="PNG")
    return out.getvalue()


def id_number(seq: int, born: date = date(1980, 5, 17)) -> str:
    """A made-up ID number of the district (region 411003) with a valid check digit."""
    first17 = f"411003{born:%Y%m%d}{seq % 1000:03d}"
    return first17 + check_digit(first17)


def now() -> str:
    return datetime.now(UTC).isoformat()


# --- cases --------------------------------------------------------------------------------

async def report_case(h: Harness, d: Demo, user: str = WORKER, **extra: Any) -> dict[str, Any]:
    body = {"category_code": LEAF, "description": "井盖缺失", "lng": d.lng, "lat": d.lat,
            "address": "幸福社区1栋旁", **extra}
    r = await h.call("POST", f"{API}/cases", user, expect=201, json=body, headers=key())
    return dict(r.json())


async def act(h: Harness, user: str, case: dict[str, Any], action: str,
              **fields: Any) -> dict[str, Any]:
    r = await h.call("POST", f"{API}/cases/{case['id']}/transitions", user, expect=200,
                     json={"action": action, **fields}, headers=if_match(case))
    assert r.json()["status"], r.text
    return dict(r.json())


async def attach_photo(h: Harness, case_id: int, user: str = WORKER) -> dict[str, Any]:
    r = await h.call("POST", f"{API}/cases/{case_id}/attachments", user, expect=201,
                     files={"file": ("现场.png", png(), "image/png")}, headers=key())
    return dict(r.json())


# --- field work ----------------------------------------------------------------------------

async def patrol(h: Harness, d: Demo, points: int = 5) -> dict[str, Any]:
    """A patrol of the demo grid by its worker: started, a batch of track points, ended."""
    t0 = datetime.now(UTC) - timedelta(minutes=points + 1)
    r = await h.call("POST", f"{API}/patrols", WORKER, expect=201, headers=key(),
                     json={"grid_id": d.grid_id, "notes": "日常巡查", "started_at": t0.isoformat()})
    started = r.json()
    track = [{"lng": d.lng + 0.0002 * k, "lat": d.lat, "at": (t0 + timedelta(minutes=k))
              .isoformat(), "accuracy": 8} for k in range(points)]
    await h.call("POST", f"{API}/patrols/{started['id']}/points", WORKER, expect=(200, 201),
                 json={"points": track}, headers=key())
    current = (await h.call("GET", f"{API}/patrols/{started['id']}", WORKER, expect=200)).json()
    r = await h.call("POST", f"{API}/patrols/{started['id']}/end", WORKER, expect=200,
                     json={"notes": "无异常"}, headers=if_match(current))
    return dict(r.json())


async def visit(h: Harness, d: Demo, household_id: int | None) -> dict[str, Any]:
    body = {"grid_id": d.grid_id, "household_ref": "1栋1单元101", "household_id": household_id,
            "visited_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
            "purpose": "care", "notes": "老人身体尚好", "people_met": 2}
    r = await h.call("POST", f"{API}/visits", WORKER, expect=201, json=body, headers=key())
    return dict(r.json())


# --- wishes -------------------------------------------------------------------------------

async def wish_fulfilled(h: Harness, d: Demo) -> dict[str, Any]:
    """Posted by the worker, claimed and fulfilled (with a photo) by the registered member."""
    r = await h.call("POST", f"{API}/wishes", WORKER, expect=201, headers=key(),
                     json={"grid_id": d.grid_id, "title": "想要一副老花镜",
                           "description": "看报纸吃力"})
    wish = r.json()
    wish = (await h.call("POST", f"{API}/wishes/{wish['id']}/claim", MEMBER, expect=200,
                         json={}, headers=if_match(wish))).json()
    assert wish["status"] == "claimed", wish
    photo = (await h.call("POST", f"{API}/attachments", MEMBER, expect=201, headers=key(),
                          files={"file": ("送达.png", png(), "image/png")})).json()
    wish = (await h.call("POST", f"{API}/wishes/{wish['id']}/fulfil", MEMBER, expect=200,
                         json={"evidence": "已送到老人家中", "attachment_ids": [photo["id"]]},
                         headers=if_match(wish))).json()
    assert wish["status"] == "fulfilled", wish
    return dict(wish)


# --- co-construction ----------------------------------------------------------------------

async def agency(h: Harness, d: Demo) -> dict[str, Any]:
    r = await h.call("POST", f"{API}/orgs", DISTRICT_ADMIN, expect=201, headers=key(),
                     json={"parent_id": d.root_id, "kind": "agency", "name": "区民政局"})
    return dict(r.json())


async def unit_with_agreement(h: Harness, d: Demo) -> tuple[dict[str, Any], dict[str, Any]]:
    """A unit of a district agency, registered with 幸福社区, and their agreement."""
    home = await agency(h, d)
    unit = (await h.call("POST", f"{API}/units", DISTRICT_ADMIN, expect=201, headers=key(),
                         json={"org_id": home["id"], "name": "区民政局", "code": "MZJ",
                               "contact_name": "王科长"})).json()
    await h.call("POST", f"{API}/units/{unit['id']}/registrations", DISTRICT_ADMIN,
                 expect=201, headers=key(), json={"community_id": d.community_id})
    agreement = (await h.call("POST", f"{API}/agreements", COMMUNITY_ADMIN, expect=201,
                              headers=key(), json={
                                  "unit_id": unit["id"], "community_id": d.community_id,
                                  "title": "共驻共建协议", "resources": ["场地"],
                                  "needs": ["助老"], "starts_on": date.today().isoformat(),
                                  "projects": [{"name": "助老食堂", "owner": "王科长"}]})).json()
    return dict(unit), dict(agreement)


async def cadre(h: Harness, d: Demo, unit_id: int) -> dict[str, Any]:
    r = await h.call("POST", f"{API}/cadres", COMMUNITY_ADMIN, expect=201, headers=key(), json={
        "unit_id": unit_id, "org_id": d.community_id, "name": "李干部", "rank": "section",
        "position": "副科长", "starts_on": date.today().isoformat()})
    return dict(r.json())


# --- members ------------------------------------------------------------------------------

async def finding(h: Harness, d: Demo) -> dict[str, Any]:
    """A member found by the search campaign in 幸福社区, to be verified by the demo branch."""
    r = await h.call("POST", f"{API}/member-findings", COMMUNITY_ADMIN, expect=201,
                     headers=key(), json={
                         "org_id": d.community_id, "name": "赵找到", "id_number": id_number(801),
                         "category_found": "pocket", "branch_id": d.branch_id,
                         "notes": "居民反映"})
    return dict(r.json())


# --- third parties ------------------------------------------------------------------------

async def webhook(h: Harness) -> dict[str, Any]:
    """The run's client subscribes itself (nothing is delivered: no worker runs here)."""
    r = await h.client.post(f"{API}/webhooks", headers={**await h.client_token(), **key()},
                            json={"url": "https://hooks.example.invalid/grid",
                                  "events": ["case.created"]})
    assert r.status_code == 201, r.text
    return dict(r.json())


# --- volunteers -----------------------------------------------------------------------------

async def redemption(h: Harness, d: Demo) -> dict[str, Any]:
    """The registered member spends the seed's lecture points on the cheapest goods of the
    demo community's love supermarket."""
    goods = (await h.call("GET", f"{API}/market/goods", MEMBER, expect=200,
                          params={"community_id": d.community_id})).json()["items"]
    cheapest = min(goods, key=lambda g: g["price_points"])
    r = await h.call("POST", f"{API}/market/goods/{cheapest['id']}/redemptions", MEMBER,
                     expect=201, headers=key(), json={"quantity": 1})
    return dict(r.json())


# --- key tasks -------------------------------------------------------------------------------

async def bulletin(h: Harness, task_id: int) -> dict[str, Any]:
    """The district admin publishes last week's bulletin of the seeded task's list."""
    task = (await h.call("GET", f"{API}/tasks/{task_id}", DISTRICT_ADMIN, expect=200)).json()
    week = Week.at(datetime.now(UTC)).previous()
    r = await h.call("POST", f"{API}/tasks/bulletins", DISTRICT_ADMIN, expect=201,
                     headers=key(), json={"org_id": task["org_id"], "week": str(week)})
    return dict(r.json())
