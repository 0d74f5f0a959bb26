"""SQL for patrols, their tracks and their cases, starting from the caller's scope."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.pagination import PageParams, keyset
from app.core.permissions import Perm
from app.core.scope import in_paths, readable, visible_paths
from app.core.security import Principal
from app.models import Patrol, PatrolCase, PatrolPoint
from app.patrols.track import Fix


def readable_patrols(principal: Principal) -> Select[Patrol]:
    return select(Patrol).where(readable(principal, Patrol.org_path, Perm.patrol_read))


async def get_visible(session: AsyncSession, principal: Principal, patrol_id: int, *,
                      lock: bool = False) -> Patrol | None:
    """The patrol if any grant covers it. `lock` serialises writers of one patrol (PostgreSQL;
    SQLite has one writer anyway), so two batches of points never race on the distance."""
    stmt = select(Patrol).where(Patrol.id == patrol_id,
                                in_paths(Patrol.org_path, visible_paths(principal)))
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_page(session: AsyncSession, principal: Principal, *, filters: list[Any],
                    page: PageParams) -> list[Patrol]:
    stmt = readable_patrols(principal).where(*filters)
    return list((await session.execute(keyset(stmt, [(Patrol.id, True)], page))).scalars())


async def running_of(session: AsyncSession, worker_id: int) -> Patrol | None:
    stmt = select(Patrol).where(Patrol.running_worker_id == worker_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def by_client_ref(session: AsyncSession, worker_id: int, client_ref: str) -> Patrol | None:
    stmt = select(Patrol).where(Patrol.worker_id == worker_id, Patrol.client_ref == client_ref)
    return (await session.execute(stmt)).scalar_one_or_none()


async def track(session: AsyncSession, patrol_id: int) -> list[Fix]:
    """The whole track in time order, as plain tuples (no ORM objects for thousands of rows)."""
    stmt = (
        select(PatrolPoint.at, PatrolPoint.lng, PatrolPoint.lat, PatrolPoint.accuracy)
        .where(PatrolPoint.patrol_id == patrol_id)
        .order_by(PatrolPoint.at)
    )
    return [Fix(*row) for row in await session.execute(stmt)]


async def add_points(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """One multi-row INSERT for the whole batch."""
    if rows:
        await session.execute(insert(PatrolPoint), rows)


async def case_ids(session: AsyncSession, patrol_ids: list[int]) -> dict[int, list[int]]:
    if not patrol_ids:
        return {}
    rows = await session.execute(
        select(PatrolCase.patrol_id, PatrolCase.case_id)
        .where(PatrolCase.patrol_id.in_(patrol_ids)).order_by(PatrolCase.id)
    )
    out: dict[int, list[int]] = {}
    for patrol_id, case_id in rows:
        out.setdefault(patrol_id, []).append(case_id)
    return out


async def case_link(session: AsyncSession, patrol_id: int, case_id: int) -> PatrolCase | None:
    stmt = select(PatrolCase).where(PatrolCase.patrol_id == patrol_id,
                                    PatrolCase.case_id == case_id)
    return (await session.execute(stmt)).scalar_one_or_none()

