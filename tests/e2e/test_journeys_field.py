"""Field work end to end on the production session paths: a case from report to closed, a
patrol with its track, a household visit, a small wish from posted to confirmed. Each step's
status is asserted by `Harness.call`; the final state is read back through the API."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from app.models import CaseEvent
from tests.e2e import flows
from tests.e2e.flows import COMMAND, LIAISON, WORKER
from tests.e2e.harness import API, Harness


async def test_case_from_report_to_closed(harness: Harness) -> None:
    h, d = harness, await flows.demo(harness)
    body = {"category_code": flows.LEAF, "description": "井盖缺失", "lng": d.lng, "lat": d.lat}
    headers = flows.key()
    r = await h.call("POST", f"{API}/cases", WORKER, expect=201, json=body, headers=headers)
    case = r.json()
    assert (case["status"], case["grid_id"]) == ("reported", d.grid_id)
    again = await h.call("POST", f"{API}/cases", WORKER, expect=201, json=body, headers=headers)
    assert again.json()["id"] == case["id"]  # the retry replays the first answer
    await flows.attach_photo(h, case["id"])

    liaison = await flows.user_id(h, LIAISON)
    case = await flows.act(h, COMMAND, case, "accept", note="立案")
    case = await flows.act(h, COMMAND, case, "dispatch", org_id=d.community_id,
                           assignee_id=liaison)
    case = await flows.act(h, LIAISON, case, "start")
    case = await flows.act(h, LIAISON, case, "resolve", note="已更换井盖")
    case = await flows.act(h, WORKER, case, "verify", note="核查属实")

    final = (await h.call("GET", f"{API}/cases/{case['id']}", WORKER, expect=200)).json()
    assert final["status"] == "closed" and final["closed_at"]
    steps = (await h.call("GET", f"{API}/cases/{case['id']}/timeline", WORKER,
                          expect=200)).json()["items"]
    assert [s["action"] for s in steps] == ["report", "accept", "dispatch", "start",
                                           "resolve", "verify"]
    events = await h.scalar(select(func.count()).select_from(CaseEvent)
                            .where(CaseEvent.case_id == case["id"]))
    assert events == 6  # the replayed report added nothing


async def test_patrol_with_track_points(harness: Harness) -> None:
    h, d = harness, await flows.demo(harness)
    ended = await flows.patrol(h, d, points=5)
    assert ended["status"] == "ended" and ended["ended_at"]
    read = (await h.call("GET", f"{API}/patrols/{ended['id']}", WORKER, expect=200)).json()
    assert read["point_count"] == 5 and read["distance_m"] > 50
    mine = (await h.call("GET", f"{API}/patrols", WORKER, expect=200)).json()["items"]
    assert ended["id"] in [p["id"] for p in mine]


async def test_household_visit_logged_and_corrected(harness: Harness) -> None:
    h, d = harness, await flows.demo(harness)
    logged = await flows.visit(h, d, household_id=None)
    fixed = (await h.call("PATCH", f"{API}/visits/{logged['id']}", WORKER, expect=200,
                          json={"notes": "老人身体尚好，药已送到"},
                          headers=flows.if_match(logged))).json()
    assert fixed["version"] == logged["version"] + 1
    read = (await h.call("GET", f"{API}/visits/{logged['id']}", flows.HEAD, expect=200)).json()
    assert read["notes"] == "老人身体尚好，药已送到" and read["purpose"] == "care"


async def test_wish_posted_claimed_fulfilled_confirmed(harness: Harness) -> None:
    h, d = harness, await flows.demo(harness)
    wish = await flows.wish_fulfilled(h, d)
    r = await h.call("POST", f"{API}/wishes/{wish['id']}/confirm", WORKER, expect=200,
                     headers=flows.if_match(wish))
    assert r.json()["status"] == "confirmed"
    read = (await h.call("GET", f"{API}/wishes/{wish['id']}", flows.MEMBER, expect=200)).json()
    assert read["status"] == "confirmed" and read["evidence"] == "已送到老人家中"
    photo = read["evidence_attachment_ids"][0]
    await h.call("GET", f"{API}/wishes/{wish['id']}/attachments/{photo}", WORKER, expect=200)


async def test_reports_and_reads_at_once(harness: Harness) -> None:
    """A burst as a morning's phones make it: writers queue (SQLite: the in-process write lock,
    then BEGIN IMMEDIATE) while reads go on (PostgreSQL: autocommit)."""
    h, d = harness, await flows.demo(harness)
    await h.login(WORKER)
    await h.login(flows.HEAD)

    async def read() -> int:
        r = await h.client.get(f"{API}/cases", headers=await h.login(flows.HEAD))
        return r.status_code

    reports = [flows.report_case(h, d, description=f"路灯不亮 {k}") for k in range(6)]
    results = await asyncio.gather(*reports, *(read() for _ in range(6)))
    cases, reads = results[:6], results[6:]
    assert reads == [200] * 6
    listed = (await h.call("GET", f"{API}/cases", flows.HEAD, expect=200)).json()["items"]
    assert {c["id"] for c in cases} <= {c["id"] for c in listed}
    assert len({c["code"] for c in cases}) == 6
