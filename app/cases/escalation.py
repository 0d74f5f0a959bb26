"""督办: the worker escalates overdue cases, once per threshold, never twice.

Level 1 when a case passes its deadline, level 2 when it is overdue by one more full time limit,
level 3 by two. Each level is claimed with a conditional UPDATE (`escalation_level < level`), so
two workers running the sweep at once escalate a case once. Each escalation writes a timeline
entry, tells the handler and the next level up, and publishes `case.overdue`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.cases.calendar import WorkCalendar, calendar_for
from app.cases.events import snapshot
from app.cases.rules import OPEN
from app.core.outbox import WorkerContext, every
from app.core.permissions import Role
from app.core.types import utcnow
from app.models import Case, CaseCategory, CaseEvent, GridStaff
from app.notify import service as notify
from app.users import service as users
from app.webhooks import service as webhooks

MAX_LEVEL = 3
BATCH = 200
# Who is told at each level, besides the handler: the community, then the street, then the
# district's command center and admins.
LEVEL_ROLES: dict[int, tuple[list[Role], str]] = {
    1: ([Role.community_admin], "community_id"),
    2: ([Role.street_admin], "street_id"),
    3: ([Role.district_admin, Role.command_operator], "district"),
}


def level_for(calendar: WorkCalendar, due_at: datetime, limit_hours: float, now: datetime
              ) -> int:
    if now <= due_at:
        return 0
    late = calendar.working_hours_between(due_at, now)
    return min(MAX_LEVEL, 1 + int(late // limit_hours)) if limit_hours > 0 else MAX_LEVEL


async def _due(session: AsyncSession, now: datetime) -> list[tuple[Case, float]]:
    rows = await session.execute(
        select(Case, CaseCategory.time_limit_hours)
        .join(CaseCategory, CaseCategory.code == Case.category_code)
        .where(Case.status.in_([s.value for s in OPEN]), Case.due_at < now,
               Case.escalation_level < MAX_LEVEL)
        .order_by(Case.due_at).limit(BATCH)
    )
    return [(c, float(h or 0)) for c, h in rows]


async def _claim(session: AsyncSession, case: Case, level: int) -> bool:
    result = await session.execute(
        update(Case).where(Case.id == case.id, Case.escalation_level < level)
        .values(escalation_level=level).execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def _people(session: AsyncSession, case: Case, level: int, district_id: int | None
                  ) -> set[int]:
    handlers = {case.assignee_id} if case.assignee_id else set()
    if not handlers:  # nobody assigned yet: the grid's head answers for it
        heads = await session.execute(select(GridStaff.user_id).where(
            GridStaff.grid_id == case.grid_id, GridStaff.role == Role.grid_head))
        handlers = set(heads.scalars())
    roles, where = LEVEL_ROLES[level]
    node = district_id if where == "district" else getattr(case, where)
    return handlers | await users.holders(session, roles, [node] if node else [])


async def escalate(session: AsyncSession, ctx: WorkerContext, case: Case, level: int) -> None:
    session.add(CaseEvent(case_id=case.id, action="escalate", from_status=case.status,
                          to_status=case.status, actor="system", note=f"超期督办（第{level}级）",
                          data={"level": level}))
    district_id = int(case.org_path.strip("/").split("/")[0])
    people = await _people(session, case, level, district_id)
    await notify.notify(session, ctx.settings, people, kind="case_overdue",
                        title=f"督办：案件 {case.code} 已超期", body=case.description[:200],
                        case_id=case.id, data={"level": level})
    webhooks.publish(session, "case.overdue", org_path=case.org_path,
                     data={**snapshot(case), "escalation_level": level})


@every(60, "case-escalation")
async def sweep(ctx: WorkerContext) -> int:
    """One pass; returns how many escalations were made."""
    calendar = calendar_for(ctx.settings)
    now = utcnow()
    made = 0
    async with ctx.db.reading() as session:
        candidates = await _due(session, now)
    for case, limit in candidates:
        level = level_for(calendar, case.due_at, limit, now)
        if level <= case.escalation_level:
            continue
        async with ctx.db.writing() as session:
            if await _claim(session, case, level):
                await escalate(session, ctx, case, level)
                made += 1
    return made


