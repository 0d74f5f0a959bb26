"""Demo steering for the district: the year's 48 key tasks (重点任务) on the district's list,
each with the two street offices responsible, their progress reports for the last six weeks,
and the year's joint meetings (the district quarterly, the streets and 幸福社区 monthly).

Idempotent: tasks are made only when the district's list for the year is empty, reports only
for (task, unit, week) not yet reported, meetings only for periods not yet scheduled.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import Database
from app.core.types import utcnow
from app.meetings import schedule
from app.models import KeyTask, Meeting, Org, TaskReport, TaskResponsible
from app.models.scoped import scope_from
from app.seed.demo_data import STREETS
from app.tasks.weeks import Week

TASKS = 48
REPORT_WEEKS = 6
THEMES = (
    "红色物业",
    "党群服务中心提质",
    "网格党支部建设",
    "在职党员双报到",
    "微心愿",
    "共驻共建项目",
    "下沉干部包联",
    "矛盾纠纷化解",
    "老旧小区改造",
    "社区减负",
    "志愿服务积分",
    "两新组织党建",
)


async def _tasks(
    session: AsyncSession, root: Org, streets: list[Org], year: int, created: Counter[str]
) -> list[tuple[KeyTask, list[TaskResponsible]]]:
    have = await session.scalar(
        select(func.count(KeyTask.id)).where(KeyTask.org_id == root.id, KeyTask.year == year)
    )
    if have:
        tasks = list(
            (
                await session.scalars(
                    select(KeyTask)
                    .where(KeyTask.org_id == root.id, KeyTask.year == year)
                    .order_by(KeyTask.seq)
                )
            ).all()
        )
        named = list(
            (
                await session.scalars(
                    select(TaskResponsible).where(
                        TaskResponsible.task_id.in_([t.id for t in tasks])
                    )
                )
            ).all()
        )
        return [(t, [r for r in named if r.task_id == t.id]) for t in tasks]
    out = []
    for i in range(TASKS):
        theme = THEMES[i % len(THEMES)]
        task = KeyTask(
            org_id=root.id,
            **scope_from(root),
            year=year,
            seq=i + 1,
            content=f"{theme}：第{i // len(THEMES) + 1}阶段重点工作",
            target="按季度推进，年底前全面完成",
            lead_org_id=root.id,
            deadline=date(year, 3 * (i % 4) + 3, 28),
            status="in_progress",
        )
        session.add(task)
        await session.flush()
        named = [
            TaskResponsible(task_id=task.id, org_id=s.id, staff_org_id=s.id, name=s.name)
            for s in streets
        ]
        session.add_all(named)
        out.append((task, named))
    await session.flush()
    created["key_tasks"] += TASKS
    return out


async def _reports(
    session: AsyncSession,
    plan: list[tuple[KeyTask, list[TaskResponsible]]],
    this_week: Week,
    created: Counter[str],
) -> None:
    weeks: list[Week] = []
    week = this_week.previous()
    while len(weeks) < REPORT_WEEKS and week.year == this_week.year:
        weeks.append(week)
        week = week.previous()
    have = set(
        (
            await session.execute(
                select(TaskReport.task_id, TaskReport.responsible_id, TaskReport.week)
            )
        ).all()
    )
    for age, week in enumerate(reversed(weeks)):
        for n, (task, named) in enumerate(plan):
            for k, r in enumerate(named):
                # Some units skip a week, so the bulletin has someone missing to show.
                if (task.id, r.id, str(week)) in have or (n + k + age) % 7 == 0:
                    continue
                session.add(
                    TaskReport(
                        task_id=task.id,
                        responsible_id=r.id,
                        **scope_from(task),
                        week=str(week),
                        week_start=week.monday,
                        percent=min(100, 10 * (age + 1) + n % 10),
                        text=f"{r.name}：本周推进{task.content[:8]}",
                        attachment_ids=[],
                        late=(n + age) % 11 == 0,
                    )
                )
                created["key_task_reports"] += 1
    await session.flush()


async def _meetings(
    session: AsyncSession, nodes: list[Org], year: int, created: Counter[str]
) -> None:
    for org in nodes:
        have = set(
            (
                await session.scalars(
                    select(Meeting.period).where(Meeting.org_id == org.id, Meeting.year == year)
                )
            ).all()
        )
        for period, day in schedule.periods(org.kind, year):
            if period in have:
                continue
            session.add(
                Meeting(
                    org_id=org.id,
                    **scope_from(org),
                    year=year,
                    period=period,
                    title=f"{org.name}联席会议（{period}）",
                    scheduled_on=day,
                    status="scheduled",
                    minutes_attachment_ids=[],
                )
            )
            created["joint_meetings"] += 1
    await session.flush()


async def seed(db: Database, community_code: str) -> Counter[str]:
    created: Counter[str] = Counter()
    this_week = Week.at(utcnow())
    async with db.writing() as session:
        root = await session.scalar(
            select(Org).where(Org.parent_id.is_(None), Org.kind == "district")
        )
        if root is None:
            return created
        streets = list(
            (
                await session.scalars(
                    select(Org).where(Org.code.in_([code for code, _ in STREETS])).order_by(Org.id)
                )
            ).all()
        )
        community = await session.scalar(select(Org).where(Org.code == community_code))
        plan = await _tasks(session, root, streets, this_week.year, created)
        await _reports(session, plan, this_week, created)
        nodes = [root, *streets, *([community] if community is not None else [])]
        await _meetings(session, nodes, this_week.year, created)
    return created
