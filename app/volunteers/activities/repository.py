"""SQL for activities and sign-ups: lists start from the caller's scope; a sign-up page brings
the volunteer's name along in the same statement."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from typing import cast as typed

from sqlalchemy import ColumnElement, Select, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from app.core.pagination import PageParams, keyset
from app.core.permissions import Perm
from app.core.scope import readable
from app.core.security import Principal
from app.models import (
    Activity,
    ActivitySignup,
    Agreement,
    Member,
    Org,
    Resident,
    Unit,
    UnitRegistration,
    User,
    VolunteerTeam,
)
from app.models.base import table_of

_ACTIVITIES = table_of(Activity)


@dataclass
class SignupRow:
    signup: ActivitySignup
    name: str | None


async def by_id(session: AsyncSession, activity_id: int) -> Activity | None:
    """Unscoped: the service decides (404 for what the caller cannot see)."""
    return await session.get(Activity, activity_id)


async def locked(session: AsyncSession, activity_id: int) -> Activity | None:
    """The activity, locked until the transaction ends: every change of its seats happens under
    this lock, so concurrent sign-ups and cancellations queue instead of overbooking. PostgreSQL
    takes a row lock (FOR UPDATE); SQLite has already serialised the writer (IMMEDIATE + the
    process's write lock) and ignores the clause. `populate_existing`: a copy read earlier in
    this session must not stand in for the locked read."""
    stmt = (select(Activity).where(Activity.id == activity_id).with_for_update()
            .execution_options(populate_existing=True))
    return (await session.execute(stmt)).scalar_one_or_none()


async def take_seat(session: AsyncSession, activity: Activity) -> bool:
    """Take one seat of the open activity in one statement unless none is left (False,
    nothing changed). The row lock this takes is held from here to the commit, so the caller
    runs it as late as it can: concurrent sign-ups queue for one short stretch instead of the
    whole request. PostgreSQL re-checks the condition against the row a concurrent taker left;
    SQLite has serialised the writer already. The loaded copy is told the new count and version
    (the version moves as with any other change of the row, for If-Match)."""
    a = _ACTIVITIES.c
    stmt = (update(_ACTIVITIES)
            .where(a.id == activity.id, a.status == "open", a.accepted_count < a.capacity)
            .values(accepted_count=a.accepted_count + 1, version=a.version + 1)
            .returning(a.accepted_count, a.version))
    row = (await session.execute(stmt)).first()
    if row is None:
        return False
    set_committed_value(activity, "accepted_count", row[0])
    set_committed_value(activity, "version", row[1])
    return True


async def list_page(session: AsyncSession, principal: Principal, *, filters: list[Any],
                    page: PageParams, organised: ColumnElement[bool] | None = None
                    ) -> list[Activity]:
    """The caller's activities: those their scope reads, and those `organised` by them."""
    scope = readable(principal, Activity.org_path, Perm.activity_read)
    if organised is not None:
        scope = or_(scope, organised)
    stmt = select(Activity).where(scope, *filters)
    result = await session.execute(keyset(stmt, [(Activity.id, True)], page))
    return list(result.scalars())


async def signup(session: AsyncSession, activity_id: int, signup_id: int) -> ActivitySignup | None:
    stmt = select(ActivitySignup).where(ActivitySignup.id == signup_id,
                                        ActivitySignup.activity_id == activity_id)
    return (await session.execute(stmt.execution_options(populate_existing=True))
            ).scalar_one_or_none()


async def resident_of_user(session: AsyncSession, user_id: int) -> Resident | None:
    """The register entry of the user's member record (audience.py says why this link)."""
    stmt = (select(Resident).join(Member, Member.resident_id == Resident.id)
            .where(Member.user_id == user_id))
    return (await session.execute(stmt)).scalar_one_or_none()


async def resident(session: AsyncSession, resident_id: int) -> Resident | None:
    """Unscoped: audience.py checks the resident against the guardian's household."""
    return await session.get(Resident, resident_id)


async def live_signup_of_resident(session: AsyncSession, activity_id: int, resident_id: int
                                  ) -> ActivitySignup | None:
    stmt = select(ActivitySignup).where(ActivitySignup.activity_id == activity_id,
                                        ActivitySignup.active_resident_id == resident_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def live_signup_of(session: AsyncSession, activity_id: int, user_id: int
                         ) -> ActivitySignup | None:
    stmt = select(ActivitySignup).where(ActivitySignup.activity_id == activity_id,
                                        ActivitySignup.active_user_id == user_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def first_waitlisted(session: AsyncSession, activity_id: int) -> ActivitySignup | None:
    """The next in line: the earliest waitlisted sign-up (ids grow with time)."""
    stmt = (select(ActivitySignup)
            .where(ActivitySignup.activity_id == activity_id,
                   ActivitySignup.status == "waitlisted")
            .order_by(ActivitySignup.id).limit(1))
    return (await session.execute(stmt)).scalar_one_or_none()


async def live_user_ids(session: AsyncSession, activity_id: int) -> set[int]:
    stmt = select(ActivitySignup.user_id).where(
        ActivitySignup.activity_id == activity_id,
        ActivitySignup.status.in_(("accepted", "waitlisted")))
    return set((await session.execute(stmt)).scalars())


# A child's place shows the child's name; anyone else's, the account's.
_NAME = func.coalesce(Resident.name, User.display_name)


def _with_name() -> Select[Any]:
    stmt = (select(ActivitySignup, _NAME)
            .join(User, User.id == ActivitySignup.user_id)
            .outerjoin(Resident, Resident.id == ActivitySignup.resident_id))
    return typed(Select[Any], stmt)


async def signup_row(session: AsyncSession, signup_id: int) -> SignupRow:
    stmt = _with_name().where(ActivitySignup.id == signup_id)
    row = (await session.execute(stmt)).one()
    return SignupRow(row[0], row[1])


async def signups_page(session: AsyncSession, activity_id: int, *, user_id: int | None,
                       status: str | None, page: PageParams) -> list[SignupRow]:
    """A page of the activity's sign-ups in sign-up order; only `user_id`'s when given."""
    stmt = _with_name().where(ActivitySignup.activity_id == activity_id)
    if user_id is not None:
        stmt = stmt.where(ActivitySignup.user_id == user_id)
    if status is not None:
        stmt = stmt.where(ActivitySignup.status == status)
    page_stmt = keyset(stmt, [(ActivitySignup.id, False)], page)
    return [SignupRow(*r) for r in await session.execute(page_stmt)]


async def served(session: AsyncSession, user_id: int) -> tuple[int, int]:
    """(activities attended, minutes credited) for the user."""
    stmt = select(func.count(), func.coalesce(func.sum(ActivitySignup.minutes), 0)).where(
        ActivitySignup.user_id == user_id, ActivitySignup.resident_id.is_(None),
        ActivitySignup.status == "accepted", ActivitySignup.minutes > 0)
    count, minutes = (await session.execute(stmt)).one()
    return int(count), int(minutes or 0)


# Organisers beyond the org node's staff (organisers.py): unscoped reads, the service decides.

async def org(session: AsyncSession, org_id: int) -> Org | None:
    return await session.get(Org, org_id)


async def team(session: AsyncSession, team_id: int) -> VolunteerTeam | None:
    return await session.get(VolunteerTeam, team_id)


async def unit(session: AsyncSession, unit_id: int) -> Unit | None:
    return await session.get(Unit, unit_id)


async def agreement(session: AsyncSession, agreement_id: int) -> Agreement | None:
    return await session.get(Agreement, agreement_id)


async def unit_registered(session: AsyncSession, unit_id: int, community_id: int) -> bool:
    stmt = select(UnitRegistration.id).where(UnitRegistration.unit_id == unit_id,
                                             UnitRegistration.community_id == community_id,
                                             UnitRegistration.status == "active")
    return (await session.execute(stmt)).first() is not None


def organised_by(user_id: int, liaison_org_ids: list[int]) -> ColumnElement[bool]:
    """Activities of the teams `user_id` leads or of the units whose liaison they are (the
    units' own nodes in `liaison_org_ids`), in the list's one statement."""
    led = select(VolunteerTeam.id).where(VolunteerTeam.leader_user_id == user_id)
    clauses: list[ColumnElement[bool]] = [Activity.team_id.in_(led)]
    if liaison_org_ids:
        units = select(Unit.id).where(Unit.org_id.in_(liaison_org_ids))
        clauses.append(Activity.unit_id.in_(units))
    return or_(*clauses)
