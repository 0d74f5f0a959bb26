"""Demo volunteering for 幸福社区: a calligraphy studio with `demo_member` on it, the summer
calligraphy class a week ahead with them signed up, the moral lecture (道德讲堂) they served at
three days ago (two hours, credited), and the community's love supermarket with goods on the
shelf, and its points rule for valid case reports (3 points, at most 5 a month) — so the
team, activity, points, rules and market screens have something to show.

Idempotent: the team and each activity are found by name/title in the community, the goods by
name.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import Database
from app.core.types import utcnow
from app.models import (
    Activity,
    ActivitySignup,
    Grid,
    MarketGoods,
    Org,
    PointsAccount,
    PointsEntry,
    PointsPosting,
    PointsRule,
    TeamMembership,
    User,
    VolunteerTeam,
)
from app.models.scoped import scope_from

CLASS_TITLE = "暑期书法班（双职工子女）"
LECTURE_TITLE = "道德讲堂：邻里守望"
TEAM_NAME = "幸福社区书法工作室"
GOODS = (("洗衣液 1 瓶", 30, 20), ("大米 5 斤", 50, 10), ("毛巾 2 条", 15, 30))


async def _activity(session: AsyncSession, community: Org, grid: Grid, title: str, *,
                    kind: str, starts_in: timedelta, hours: int, created: Counter[str]
                    ) -> Activity:
    found = await session.scalar(select(Activity).where(Activity.community_id == community.id,
                                                        Activity.title == title))
    if found is not None:
        return found
    starts = (utcnow() + starts_in).replace(minute=0, second=0, microsecond=0)
    lng = ((grid.min_lng or 113.8) + (grid.max_lng or 113.8)) / 2
    lat = ((grid.min_lat or 34.0) + (grid.max_lat or 34.0)) / 2
    activity = Activity(org_id=community.id, **scope_from(community, Activity), title=title,
                        kind=kind, starts_at=starts, ends_at=starts + timedelta(hours=hours),
                        capacity=20, accepted_count=0, address="幸福社区党群服务中心",
                        lng=lng, lat=lat, radius_m=200, points_per_hour=10, status="open")
    session.add(activity)
    await session.flush()
    created["activities"] += 1
    return activity


async def _served(session: AsyncSession, lecture: Activity, user: User,
                  created: Counter[str]) -> None:
    """The member's place at the lecture, checked in and out, and the points it earned."""
    if await session.scalar(select(ActivitySignup.id).where(
            ActivitySignup.activity_id == lecture.id, ActivitySignup.user_id == user.id)):
        return
    signup = ActivitySignup(activity_id=lecture.id, user_id=user.id, status="accepted",
                            active_user_id=user.id, checked_in_at=lecture.starts_at,
                            checked_out_at=lecture.ends_at, minutes=120, points=20,
                            **scope_from(lecture, ActivitySignup))
    lecture.accepted_count += 1
    session.add(signup)
    await session.flush()
    entry = PointsEntry(kind="service", memo=f"{lecture.title}（120 分钟）", signup_id=signup.id,
                        **scope_from(lecture, PointsEntry))
    session.add(entry)
    await session.flush()
    session.add_all([
        PointsPosting(entry_id=entry.id, account=f"user:{user.id}", user_id=user.id, amount=20),
        PointsPosting(entry_id=entry.id, account=f"issued:{lecture.community_id}",
                      amount=-20),
    ])
    account = await session.scalar(select(PointsAccount).where(PointsAccount.user_id == user.id))
    if account is None:
        account = PointsAccount(user_id=user.id, balance=0)
        session.add(account)
    account.balance += 20
    created["activity_signups"] += 1
    created["points_entries"] += 1


async def _signed_up(session: AsyncSession, activity: Activity, user: User,
                     created: Counter[str]) -> None:
    if await session.scalar(select(ActivitySignup.id).where(
            ActivitySignup.activity_id == activity.id, ActivitySignup.user_id == user.id)):
        return
    session.add(ActivitySignup(activity_id=activity.id, user_id=user.id, status="accepted",
                               active_user_id=user.id, **scope_from(activity, ActivitySignup)))
    activity.accepted_count += 1
    created["activity_signups"] += 1


async def _market(session: AsyncSession, community: Org, created: Counter[str]) -> None:
    for name, price, stock in GOODS:
        if await session.scalar(select(MarketGoods.id).where(
                MarketGoods.community_id == community.id, MarketGoods.name == name)):
            continue
        session.add(MarketGoods(**scope_from(community, MarketGoods), name=name,
                                price_points=price, stock=stock, active=True))
        created["market_goods"] += 1


async def _rule(session: AsyncSession, community: Org, created: Counter[str]) -> None:
    if await session.scalar(select(PointsRule.id).where(
            PointsRule.community_id == community.id, PointsRule.rule == "case_report")):
        return
    session.add(PointsRule(**scope_from(community, PointsRule), rule="case_report", points=3,
                           cap=5, period="month", active=True))
    created["points_rules"] += 1


async def _team(session: AsyncSession, community: Org, user: User | None,
                created: Counter[str]) -> None:
    team = await session.scalar(select(VolunteerTeam).where(
        VolunteerTeam.community_id == community.id, VolunteerTeam.name == TEAM_NAME))
    if team is None:
        team = VolunteerTeam(org_id=community.id, **scope_from(community, VolunteerTeam),
                             kind="studio", name=TEAM_NAME, leader_name="王建国",
                             description="每周六上午免费教社区孩子写毛笔字")
        session.add(team)
        await session.flush()
        created["volunteer_teams"] += 1
    if user is not None and not await session.scalar(select(TeamMembership.id).where(
            TeamMembership.team_id == team.id, TeamMembership.user_id == user.id)):
        session.add(TeamMembership(team_id=team.id, user_id=user.id,
                                   **scope_from(team, TeamMembership)))
        created["volunteer_team_members"] += 1


async def seed(db: Database, community_code: str) -> Counter[str]:
    created: Counter[str] = Counter()
    async with db.writing() as session:
        community = await session.scalar(select(Org).where(Org.code == community_code))
        if community is None:
            return created
        grid = await session.scalar(
            select(Grid).where(Grid.community_id == community.id).order_by(Grid.id))
        if grid is None:
            return created
        course = await _activity(session, community, grid, CLASS_TITLE, kind="class",
                                 starts_in=timedelta(days=7), hours=2, created=created)
        lecture = await _activity(session, community, grid, LECTURE_TITLE, kind="lecture",
                                  starts_in=-timedelta(days=3), hours=2, created=created)
        member = await session.scalar(select(User).where(User.username == "demo_member"))
        if member is not None:
            await _signed_up(session, course, member, created)
            await _served(session, lecture, member, created)
        await _market(session, community, created)
        await _rule(session, community, created)
        await _team(session, community, member, created)
    return created
