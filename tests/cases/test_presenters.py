"""The hot list's fast path (presenters.page_json: rows straight to JSON, no model per item) is
held to the schema: every item of a listed page, for every kind of value a case can hold, is
validated by `CaseRead` and is byte for byte what pydantic writes for the validated model."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import orjson
import pytest

from app.cases.schemas import CaseRead
from app.core.permissions import Role
from app.core.types import utcnow
from app.models import CaseAttachment
from tests.cases.helpers import API
from tests.factories import World, make_case


@pytest.fixture
async def varied_cases(world: World, db: Any) -> None:
    """Four new cases (the newest of the list): reported and green without attachments;
    closed on time with a client ref and a capture time; dispatched, late, with an address,
    reworks, returns and three attachments; suspended."""
    now = utcnow()
    worker = world.user(Role.grid_worker, "s1c1g1")
    grid = world.grids[0]
    async with db.writing() as s:
        await make_case(s, grid, worker)
        await make_case(s, grid, worker, status="closed", closed_at=now - timedelta(hours=1),
                        due_at=now - timedelta(hours=2), client_ref="c-1",
                        captured_at=now.replace(microsecond=0) - timedelta(days=1))
        late = await make_case(s, grid, worker, status="dispatched", due_at=now - timedelta(
            minutes=1), accepted_at=now, dispatched_at=now, address="人民路 1 号",
            rework_count=2, return_count=1)
        await make_case(s, grid, worker, status="suspended", suspended_at=now - timedelta(
            days=3), reported_at=now - timedelta(days=10), due_at=now + timedelta(days=1))
        s.add_all([CaseAttachment(case_id=late.id, uploaded_by=f"user:{worker.id}",
                                  mime="image/png", size=1, sha256="0" * 64,
                                  storage_key=f"k{i}", public_key=f"p{i}") for i in range(3)])
        await s.commit()  # a savepoint of the test's transaction, rolled back after it


async def _listed(client: Any, auth: Any, world: World, crs: str) -> list[bytes]:
    r = await client.get(f"{API}/cases", params={"limit": 100, "crs": crs},
                         headers=auth(world.user(Role.district_admin)))
    assert r.status_code == 200
    # Each item's own bytes: orjson writes parsed JSON back exactly as the fast path wrote it.
    return [orjson.dumps(item) for item in orjson.loads(r.content)["items"]]


@pytest.mark.usefixtures("varied_cases")
class TestListedCases:
    @pytest.mark.parametrize("crs", ["wgs84", "gcj02"])
    async def test_every_item_is_a_valid_case_read(self, client, auth, world: World, crs: str):
        items = await _listed(client, auth, world, crs)
        assert len(items) >= 4
        for raw in items:
            read = CaseRead.model_validate_json(raw)
            assert read.crs == crs
            assert set(orjson.loads(raw)) == set(CaseRead.model_fields)

    @pytest.mark.parametrize("crs", ["wgs84", "gcj02"])
    async def test_every_item_is_what_pydantic_writes(self, client, auth, world: World,
                                                      crs: str):
        for raw in await _listed(client, auth, world, crs):
            assert CaseRead.model_validate_json(raw).model_dump_json().encode() == raw

    async def test_the_values_each_kind_of_case_holds_come_through(self, client, auth,
                                                                    world: World):
        reads = [CaseRead.model_validate_json(raw)
                 for raw in await _listed(client, auth, world, "wgs84")]
        assert {r.light for r in reads} >= {"green", "red"}
        assert any(len(r.attachment_ids) == 3 and r.overdue for r in reads)
        assert any(r.client_ref == "c-1" and r.captured_at is not None for r in reads)
        assert all(r.category_name for r in reads)
