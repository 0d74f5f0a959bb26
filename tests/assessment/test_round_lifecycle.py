"""A round is open until published: its computed items can be recomputed (audited) and its
manual items scored; once published both are refused with 409. The assessed orgs' own staff
read the rounds and reviews that assess them, cut to their own line."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from app.core.permissions import Role
from app.core.types import utcnow
from app.models import AuditEntry
from tests.factories import World, make_case

API = "/api/v1"
ROUNDS = f"{API}/assessment/rounds"
REVIEWS = f"{API}/reviews"


def _street(world: World) -> dict[str, Any]:
    """Street 1's round (communities 0 and 1), its manual item and its admin."""
    return {"round": world.assessment_rounds[0].id, "manual": world.assessment_manual_items[0],
            "community": world.communities[0], "other": world.communities[1]}


async def _scores(client: Any, headers: dict[str, str], round_id: int) -> list[dict[str, Any]]:
    r = await client.get(f"{ROUNDS}/{round_id}/scores", headers=headers, params={"limit": 100})
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


async def _actions(db: Any, action: str, round_id: int) -> list[AuditEntry]:
    async with db.reading() as s:
        stmt = select(AuditEntry).where(AuditEntry.action == action,
                                        AuditEntry.object_id == str(round_id))
        return list((await s.execute(stmt)).scalars())


class TestRecompute:
    async def test_recompute_reads_todays_data_and_is_audited(
        self, client, auth, db, world: World
    ):
        t = _street(world)
        headers = auth(world.user(Role.street_admin, "s1"))
        rows = await _scores(client, headers, t["round"])
        before = {(s["org_id"], s["item_id"]): s for s in rows}
        # The world's factory wrote 30 for closure; its communities' cases are all open.
        grid, worker = world.grids[0], world.user(Role.grid_worker, "s1c1g1")
        async with db.writing() as s:
            now = utcnow()
            await make_case(s, grid, worker, status="closed", closed_at=now,
                            reported_at=now - timedelta(hours=1))
            await s.commit()
        r = await client.post(f"{ROUNDS}/{t['round']}/recompute", headers=headers)
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "open"
        assert r.json()["computed_at"] > world.assessment_rounds[0].computed_at.isoformat()
        after = {(s["org_id"], s["item_id"]): s for s in await _scores(client, headers, t["round"])}
        computed = [k for k, s in after.items() if k[1] != t["manual"]]
        assert computed and all(after[k]["value"] is not None for k in computed)
        assert all(after[k]["score"] < before[k]["score"] for k in computed)  # some cases open
        assert all(after[k]["version"] == before[k]["version"] + 1 for k in computed)
        manual = [k for k in after if k[1] == t["manual"]]
        assert all(after[k] == before[k] for k in manual)
        [entry] = await _actions(db, "assessment_round.recompute", t["round"])
        assert entry.detail["rows"] == len(computed)

    async def test_a_stale_if_match_is_412(self, client, auth, world: World):
        t = _street(world)
        headers = auth(world.user(Role.street_admin, "s1"), **{"If-Match": '"999"'})
        r = await client.post(f"{ROUNDS}/{t['round']}/recompute", headers=headers)
        assert r.status_code == 412, r.text

    async def test_the_assessed_community_cannot_recompute_or_publish(
        self, client, auth, world: World
    ):
        t = _street(world)
        headers = auth(world.user(Role.community_admin, "s1c1"))
        for action in ("recompute", "publish"):
            r = await client.post(f"{ROUNDS}/{t['round']}/{action}", headers=headers)
            assert r.status_code == 403, r.text


class TestPublished:
    async def test_a_published_round_is_frozen(self, client, auth, db, world: World):
        t = _street(world)
        headers = auth(world.user(Role.street_admin, "s1"))
        r = await client.post(f"{ROUNDS}/{t['round']}/publish", headers=headers)
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "published" and r.json()["published_at"]
        frozen = await _scores(client, headers, t["round"])
        tries = [
            client.post(f"{ROUNDS}/{t['round']}/recompute", headers=headers),
            client.post(f"{ROUNDS}/{t['round']}/scores", headers=headers, json={
                "org_id": t["community"].id, "item_id": t["manual"], "score": 40,
                "reason": "发布后修改"}),
            client.post(f"{ROUNDS}/{t['round']}/publish", headers=headers),
        ]
        for attempt in tries:
            r = await attempt
            assert r.status_code == 409, r.text
            assert r.json()["code"] == "assessment_round_published"
        assert await _scores(client, headers, t["round"]) == frozen
        assert len(await _actions(db, "assessment_round.publish", t["round"])) == 1
        results = (await client.get(f"{ROUNDS}/{t['round']}/results", headers=headers)).json()
        assert results["status"] == "published"

    async def test_the_published_problem_speaks_english_on_request(
        self, client, auth, world: World
    ):
        t = _street(world)
        headers = auth(world.user(Role.street_admin, "s1"))
        await client.post(f"{ROUNDS}/{t['round']}/publish", headers=headers)
        r = await client.post(f"{ROUNDS}/{t['round']}/recompute",
                              headers={**headers, "Accept-Language": "en"})
        assert r.status_code == 409 and "published" in r.json()["detail"], r.text


class TestAssessedReads:
    async def _score_other(self, client: Any, auth: Any, world: World) -> None:
        t = _street(world)
        r = await client.post(
            f"{ROUNDS}/{t['round']}/scores", headers=auth(world.user(Role.street_admin, "s1")),
            json={"org_id": t["other"].id, "item_id": t["manual"], "score": 20,
                  "reason": "社区12组织生活不规范"})
        assert r.status_code == 200, r.text

    async def test_a_community_secretary_reads_only_its_own_line(
        self, client, auth, world: World
    ):
        t = _street(world)
        await self._score_other(client, auth, world)
        headers = auth(world.user(Role.community_admin, "s1c1"))
        mine = await client.get(f"{ROUNDS}/mine", headers=headers)
        assert mine.status_code == 200, mine.text
        assert [r["id"] for r in mine.json()["items"]] == [t["round"]]
        res = await client.get(f"{ROUNDS}/{t['round']}/results", headers=headers)
        assert res.status_code == 200, res.text
        body = res.json()
        assert body["ranked"] == 2
        [line] = body["items"]
        assert line["org_id"] == t["community"].id
        assert line["rank"] in (1, 2) and all("lost" in i for i in line["items"])
        assert "不规范" not in res.text  # community 12's manual reason
        rows = await _scores(client, headers, t["round"])
        assert rows and {r["org_id"] for r in rows} == {t["community"].id}
        other = await client.get(f"{ROUNDS}/{t['round']}/scores", headers=headers,
                                 params={"org_id": t["other"].id})
        assert other.json()["items"] == []
        # The scoped list of rounds the caller runs or oversees is unchanged.
        listed = (await client.get(ROUNDS, headers=headers)).json()["items"]
        assert t["round"] not in [r["id"] for r in listed]

    async def test_community_a_cannot_reach_street_b_round(self, client, auth, world: World):
        headers = auth(world.user(Role.community_admin, "s1c1"))
        other = world.assessment_rounds[1].id
        for path in ("", "/results", "/scores", "/results.xlsx"):
            r = await client.get(f"{ROUNDS}/{other}{path}", headers=headers)
            assert r.status_code == 404, (path, r.text)
        mine = (await client.get(f"{ROUNDS}/mine", headers=headers)).json()["items"]
        assert other not in [r["id"] for r in mine]

    async def test_a_grid_head_is_not_assessed_by_a_community_round(
        self, client, auth, world: World
    ):
        headers = auth(world.user(Role.grid_head, "s1c1g1"))
        mine = await client.get(f"{ROUNDS}/mine", headers=headers)
        assert mine.status_code == 200 and mine.json()["items"] == []

    async def test_a_community_secretary_reads_its_own_review_line(
        self, client, auth, world: World
    ):
        review = world.reviews[0].id
        headers = auth(world.user(Role.community_admin, "s1c2"))
        mine = (await client.get(f"{REVIEWS}/mine", headers=headers)).json()["items"]
        assert [r["id"] for r in mine] == [review]
        res = await client.get(f"{REVIEWS}/{review}/results", headers=headers)
        assert res.status_code == 200, res.text
        assert [r["org_id"] for r in res.json()["items"]] == [world.communities[1].id]
        reports = await client.get(f"{REVIEWS}/{review}/reports", headers=headers)
        assert {r["org_id"] for r in reports.json()["items"]} == {world.communities[1].id}
        other = await client.get(f"{REVIEWS}/{world.reviews[1].id}/results", headers=headers)
        assert other.status_code == 404
