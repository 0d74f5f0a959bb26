"""志愿活动 / 培训班: an org node (a community, a social organisation's branch) posts an activity
with a time window, a place, a capacity and a rate in points per hour; people whose grants
cover it (a member registered with the community holds `member` there, a volunteer `volunteer`)
sign up. Past capacity they wait in line; a cancellation promotes the first in line and tells
them (inbox + WeChat subscription message through the outbox).

Seats: a sign-up takes its seat with one conditional UPDATE (repository.take_seat) as the last
change before its own row, so concurrent sign-ups queue on the activity only for that stretch;
when no seat is left it locks the activity (repository.locked) to wait-list under the same lock
as cancellations, edits and withdrawals, which change `accepted_count` only with the row locked.
The count never passes the capacity (a CHECK holds it too).
"""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core import audit
from app.core.concurrency import flush_versioned
from app.core.config import Settings
from app.core.crypto import mask_name
from app.core.errors import field_error
from app.core.geo import to_wgs84
from app.core.pagination import PageParams
from app.core.permissions import Perm
from app.core.scope import authorize, sees
from app.core.security import Principal
from app.core.types import utcnow
from app.models import Activity, ActivitySignup
from app.models.scoped import scope_from
from app.notify import service as notify
from app.volunteers.activities import audience, edits, organisers
from app.volunteers.activities import repository as repo
from app.volunteers.activities.errors import (
    ActivityClosed,
    ActivityNotFound,
    ActivityStarted,
    AlreadySignedUp,
    CapacityBelowAccepted,
    ChildAlreadySignedUp,
    SignupClosed,
    SignupNotFound,
    SignupNotLive,
)
from app.volunteers.activities.repository import SignupRow as SignupRow
from app.volunteers.activities.schemas import (
    ActivityCancel,
    ActivityCreate,
    ActivityKind,
    ActivityListQuery,
    ActivityRead,
    ActivityStatus,
    ActivityUpdate,
    SignupCreate,
    SignupRead,
    SignupStatus,
)

LIVE = (SignupStatus.accepted, SignupStatus.waitlisted)


async def organises(session: AsyncSession, principal: Principal, activity: Activity) -> bool:
    """Staff of the node, or the leader of its team / liaison of its unit (organisers.py)."""
    return await organisers.organises(session, principal, activity)


def _user_id(principal: Principal) -> int | None:
    return principal.id if principal.kind == "user" else None


async def get(session: AsyncSession, principal: Principal, activity_id: int) -> Activity:
    activity = await repo.by_id(session, activity_id)
    if activity is None:
        raise ActivityNotFound()
    await organisers.authorize_on(session, principal, activity, Perm.activity_read,
                                  ActivityNotFound())
    return activity


async def _locked(session: AsyncSession, principal: Principal, activity_id: int,
                  permission: Perm) -> Activity:
    activity = await repo.locked(session, activity_id)
    if activity is None:
        raise ActivityNotFound()
    await organisers.authorize_on(session, principal, activity, permission, ActivityNotFound())
    return activity


async def create(session: AsyncSession, principal: Principal, data: ActivityCreate) -> Activity:
    org = await organisers.for_create(session, principal, data)
    if data.residents_only and org.community_id is None:
        raise audience.no_community()
    lng, lat = data.lng, data.lat
    if lng is not None and lat is not None:
        lng, lat = to_wgs84(lng, lat, data.crs)
    activity = Activity(
        org_id=org.id, **scope_from(org, Activity), title=data.title, kind=data.kind,
        description=data.description, starts_at=data.starts_at, ends_at=data.ends_at,
        signup_deadline=data.signup_deadline, capacity=data.capacity, accepted_count=0,
        address=data.address, lng=lng, lat=lat, radius_m=data.radius_m,
        points_per_hour=data.points_per_hour, status=ActivityStatus.open,
        min_age=data.min_age, max_age=data.max_age, residents_only=data.residents_only,
        created_by=_user_id(principal), team_id=data.team_id, unit_id=data.unit_id,
        agreement_id=data.agreement_id,
    )
    session.add(activity)
    await session.flush()
    await audit.record(session, principal, "activity.create", "activity", activity.id,
                       org_path=activity.org_path)
    return activity


async def cancel(session: AsyncSession, settings: Settings, principal: Principal,
                 activity: Activity, data: ActivityCancel) -> Activity:
    """The organiser calls it off: everyone signed up or waiting is told."""
    if activity.status != ActivityStatus.open:
        raise ActivityClosed()
    activity.status, activity.cancelled_at = ActivityStatus.cancelled, utcnow()
    activity.cancel_reason = data.reason
    await session.flush()
    users = await repo.live_user_ids(session, activity.id)
    await notify.notify(session, settings, users, kind="activity_cancelled",
                        title=f"活动「{activity.title}」已取消", body=data.reason,
                        data={"activity_id": activity.id},
                        wechat=_wechat(activity, "活动取消", data.reason))
    await audit.record(session, principal, "activity.cancel", "activity", activity.id,
                       org_path=activity.org_path, detail={"reason": data.reason})
    return activity


async def locked_for_write(session: AsyncSession, principal: Principal, activity_id: int
                           ) -> Activity:
    return await _locked(session, principal, activity_id, Perm.activity_write)


def _wechat(activity: Activity, status: str, note: str) -> dict[str, str]:
    starts = activity.starts_at.astimezone().strftime("%Y-%m-%d %H:%M")
    return {"code": activity.title[:20], "status": status, "time": starts, "note": note[:20]}


async def sign_up(session: AsyncSession, principal: Principal, activity_id: int,
                  data: SignupCreate | None = None) -> SignupRow:
    """The caller (or, as guardian, their child) takes a seat, or a place in line when the
    seats are gone. Checks read the activity unlocked; the seat is taken last (_seat_or_line),
    so the activity's row is held for the insert and the commit only."""
    activity = await repo.by_id(session, activity_id)
    if activity is None:
        raise ActivityNotFound()
    authorize(principal, Perm.activity_join, activity.org_path, not_found=ActivityNotFound())
    user_id = _user_id(principal)
    if user_id is None:
        raise field_error("user", "只有个人用户可以报名", "Only a person may sign up")
    _check_open(activity)
    child_id = data.for_resident_id if data is not None else None
    if child_id is not None:
        child = await audience.child_of(session, user_id, child_id, activity)
        if await repo.live_signup_of_resident(session, activity.id, child.id) is not None:
            raise ChildAlreadySignedUp()
    else:
        await audience.check_self(session, user_id, activity)
        if await repo.live_signup_of(session, activity.id, user_id) is not None:
            raise AlreadySignedUp()
    seat = await _seat_or_line(session, activity)
    signup = ActivitySignup(activity_id=activity.id, user_id=user_id,
                            status=SignupStatus.accepted if seat else SignupStatus.waitlisted,
                            active_user_id=None if child_id else user_id,
                            resident_id=child_id, active_resident_id=child_id,
                            **scope_from(activity, ActivitySignup))
    session.add(signup)
    await session.flush()
    await audit.record(session, principal, "activity.signup", "activity_signup", signup.id,
                       org_path=signup.org_path,
                       detail={"status": signup.status, "for_resident_id": child_id})
    return await repo.signup_row(session, signup.id)


def _check_open(activity: Activity) -> None:
    if activity.status != ActivityStatus.open:
        raise ActivityClosed()
    if utcnow() > (activity.signup_deadline or activity.starts_at):
        raise SignupClosed()


async def _seat_or_line(session: AsyncSession, activity: Activity) -> bool:
    """True with a seat taken, False for a place in line. No seat by the conditional UPDATE:
    lock the row and look again, because the activity may have closed since it was read (a
    cancellation must not miss this sign-up) or a seat may have been freed with nobody
    waiting (a withdrawal promotes the line under this lock, so the line never waits beside
    a free seat)."""
    if await repo.take_seat(session, activity):
        return True
    locked = await repo.locked(session, activity.id)
    assert locked is not None  # read above, and activities are never deleted
    _check_open(locked)
    if locked.accepted_count < locked.capacity:
        locked.accepted_count += 1
        await session.flush()
        return True
    return False


async def find_signup(session: AsyncSession, principal: Principal, activity_id: int,
                      signup_id: int) -> tuple[Activity, ActivitySignup]:
    """The sign-up if the caller is its volunteer or may read the activity, else 404."""
    activity = await repo.by_id(session, activity_id)
    signup = await repo.signup(session, activity_id, signup_id) if activity else None
    if activity is None or signup is None:
        raise SignupNotFound()
    if (signup.user_id != _user_id(principal) and not sees(principal, activity.org_path)
            and not await organisers.runs(session, principal, activity)):
        raise SignupNotFound()
    return activity, signup


async def withdraw(session: AsyncSession, settings: Settings, principal: Principal,
                   activity_id: int, signup_id: int) -> None:
    """The volunteer (or an organiser) cancels a place; a freed seat goes to the first in line."""
    _, signup = await find_signup(session, principal, activity_id, signup_id)
    activity = await repo.locked(session, activity_id)
    assert activity is not None  # found above, and activities are never deleted
    if signup.user_id != _user_id(principal) and not await organises(session, principal,
                                                                       activity):
        authorize(principal, Perm.activity_write, activity.org_path,
                  not_found=SignupNotFound())
    await session.refresh(signup)  # its state as of the lock, not as first read
    if signup.status not in LIVE or signup.checked_in_at is not None:
        raise SignupNotLive()
    was_accepted = signup.status == SignupStatus.accepted
    signup.status, signup.active_user_id = SignupStatus.cancelled, None
    signup.active_resident_id = None
    signup.cancelled_at = utcnow()
    if was_accepted:
        activity.accepted_count -= 1
    await session.flush()
    await audit.record(session, principal, "activity.signup_cancel", "activity_signup",
                       signup.id, org_path=signup.org_path)
    if was_accepted and activity.status == ActivityStatus.open:
        await _promote(session, settings, activity)


async def _promote(session: AsyncSession, settings: Settings, activity: Activity) -> bool:
    """The first in line takes the free seat and is told; False when nobody is waiting."""
    nxt = await repo.first_waitlisted(session, activity.id)
    if nxt is None:
        return False
    nxt.status, nxt.promoted_at = SignupStatus.accepted, utcnow()
    activity.accepted_count += 1
    await session.flush()
    await notify.notify(session, settings, {nxt.user_id}, kind="activity_promoted",
                        title=f"活动「{activity.title}」候补成功，您已报名",
                        data={"activity_id": activity.id, "signup_id": nxt.id},
                        wechat=_wechat(activity, "候补成功", activity.address or activity.title))
    await audit.record(session, None, "activity.signup_promote", "activity_signup", nxt.id,
                       org_path=nxt.org_path)
    return True


async def update(session: AsyncSession, settings: Settings, principal: Principal,
                 activity: Activity, data: ActivityUpdate) -> Activity:
    """The organiser edits an open activity (locked, If-Match checked by the router). More
    seats go to the waiting list in order; fewer than the places taken is 409. Times cannot
    move once the activity has started (hours are counted against them)."""
    if activity.status != ActivityStatus.open:
        raise ActivityClosed()
    changes = edits.changes(activity, data)
    if edits.TIMES & changes.keys() and utcnow() >= activity.starts_at:
        raise ActivityStarted()
    if changes.get("capacity", activity.capacity) < activity.accepted_count:
        raise CapacityBelowAccepted()
    for name, value in changes.items():
        setattr(activity, name, value)
    await flush_versioned(session)
    while activity.accepted_count < activity.capacity:
        if not await _promote(session, settings, activity):
            break
    await audit.record(session, principal, "activity.update", "activity", activity.id,
                       org_path=activity.org_path, detail={"fields": sorted(changes)})
    if edits.NOTIFIED & changes.keys():
        users = await repo.live_user_ids(session, activity.id)
        await notify.notify(session, settings, users, kind="activity_changed",
                            title=f"活动「{activity.title}」时间或地点有变更",
                            data={"activity_id": activity.id},
                            wechat=_wechat(activity, "活动变更", activity.address or ""))
    return activity


def _filters(q: ActivityListQuery) -> list[Any]:
    out: list[Any] = []
    for column, value in ((Activity.community_id, q.community_id), (Activity.org_id, q.org_id),
                          (Activity.kind, q.kind), (Activity.status, q.status)):
        if value is not None:
            out.append(column == value)
    if q.upcoming:
        out.append(Activity.ends_at >= utcnow())
    if q.lng is not None and q.lat is not None:
        lng, lat = to_wgs84(q.lng, q.lat, q.crs)
        dlat = q.within_m / 111_320
        dlng = q.within_m / (111_320 * max(math.cos(math.radians(lat)), 0.01))
        out += [Activity.lat.between(lat - dlat, lat + dlat),
                Activity.lng.between(lng - dlng, lng + dlng)]
    return out


# GET /activities's cursors carry it (the route path, as `page_params` tags other lists).
ACTIVITIES_LIST = "/api/v1/activities"


async def list_page(session: AsyncSession, principal: Principal, q: ActivityListQuery
                    ) -> list[Activity]:
    """The caller's activities, newest first; near a point, those inside the box around it
    (index ix_activities_lat_lng)."""
    return await repo.list_page(session, principal, filters=_filters(q),
                               page=q.page(ACTIVITIES_LIST),
                               organised=organisers.organised_clause(principal))


async def signups_page(session: AsyncSession, principal: Principal, activity_id: int, *,
                       status: SignupStatus | None, page: PageParams) -> list[SignupRow]:
    """Organisers see every sign-up; anyone else who may read the activity, their own."""
    activity = await get(session, principal, activity_id)
    mine = None if await organises(session, principal, activity) else (_user_id(principal) or -1)
    return await repo.signups_page(session, activity.id, user_id=mine, status=status,
                                   page=page)


async def signup_for_update(session: AsyncSession, activity_id: int, signup_id: int
                            ) -> ActivitySignup | None:
    """The sign-up of the (already locked) activity, as of now."""
    return await repo.signup(session, activity_id, signup_id)


async def authorize_organiser(session: AsyncSession, principal: Principal, activity: Activity
                              ) -> None:
    await organisers.authorize_on(session, principal, activity, Perm.activity_write,
                                  SignupNotFound())


async def signup_row(session: AsyncSession, signup_id: int) -> SignupRow:
    return await repo.signup_row(session, signup_id)


def read(a: Activity) -> ActivityRead:
    return ActivityRead(
        id=a.id, org_id=a.org_id, org_path=a.org_path, street_id=a.street_id,
        community_id=a.community_id, title=a.title, kind=ActivityKind(a.kind),
        description=a.description, starts_at=a.starts_at, ends_at=a.ends_at,
        signup_deadline=a.signup_deadline, capacity=a.capacity, accepted_count=a.accepted_count,
        address=a.address, lng=a.lng, lat=a.lat, radius_m=a.radius_m,
        points_per_hour=a.points_per_hour, min_age=a.min_age, max_age=a.max_age,
        residents_only=a.residents_only, team_id=a.team_id, unit_id=a.unit_id,
        agreement_id=a.agreement_id, status=ActivityStatus(a.status),
        cancelled_at=a.cancelled_at, cancel_reason=a.cancel_reason, version=a.version,
        created_at=a.created_at,
    )


def read_signup(row: SignupRow) -> SignupRead:
    s = row.signup
    return SignupRead(
        id=s.id, activity_id=s.activity_id, org_path=s.org_path, user_id=s.user_id,
        resident_id=s.resident_id,
        name=mask_name(row.name), status=SignupStatus(s.status), promoted_at=s.promoted_at,
        cancelled_at=s.cancelled_at, checked_in_at=s.checked_in_at,
        checked_out_at=s.checked_out_at, minutes=s.minutes, points=s.points,
        correction_reason=s.correction_reason, version=s.version, created_at=s.created_at,
    )


async def served(session: AsyncSession, user_id: int) -> tuple[int, int]:
    return await repo.served(session, user_id)
