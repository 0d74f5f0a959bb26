"""Attendance: the volunteer checks in and out from the phone, at the activity's place (within
its radius, GCJ-02 or WGS-84 like cases) and in its time window, or shows a signed code the
organiser scans (codes.py; the organiser is at the place, so only the window is checked).
Check-out fixes the service minutes (capped by the activity's span, rules.py) and credits the
points. An organiser corrects
the minutes with a reason: audited, and the points move by the difference as a new entry."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.core import audit
from app.core.config import Settings
from app.core.errors import field_error
from app.core.geo import haversine_m, to_wgs84
from app.core.security import Principal
from app.core.types import utcnow
from app.models import Activity, ActivitySignup
from app.volunteers.activities import codes, rules
from app.volunteers.activities import service as activities
from app.volunteers.activities.errors import (
    ActivityClosed,
    CodeAlreadyUsed,
    CodeInvalid,
    NotSignupOwner,
    OutOfRange,
    OutsideWindow,
    SignupNotLive,
)
from app.volunteers.activities.schemas import (
    ActivityStatus,
    AttendanceCorrection,
    CheckinCode,
    CheckinScan,
    Position,
    SignupStatus,
)
from app.volunteers.points import service as points
from app.volunteers.points.schemas import EntryKind


async def _own(session: AsyncSession, principal: Principal, activity_id: int, signup_id: int
               ) -> tuple[Activity, ActivitySignup]:
    activity, signup = await activities.find_signup(session, principal, activity_id, signup_id)
    if principal.kind != "user" or signup.user_id != principal.id:
        raise NotSignupOwner()
    if activity.status != ActivityStatus.open:
        raise ActivityClosed()
    if signup.status != SignupStatus.accepted:
        raise SignupNotLive()
    return activity, signup


def _check_place(activity: Activity, at: Position) -> None:
    if activity.lng is None or activity.lat is None:
        return  # an activity without a place (online class): the window is the only check
    lng, lat = to_wgs84(at.lng, at.lat, at.crs)
    if haversine_m(lng, lat, activity.lng, activity.lat) > activity.radius_m:
        raise OutOfRange()


async def check_in(session: AsyncSession, principal: Principal, activity_id: int,
                   signup_id: int, at: Position) -> ActivitySignup:
    activity, signup = await _own(session, principal, activity_id, signup_id)
    _check_place(activity, at)
    return await _check_in(session, principal, activity, signup, how="phone")


async def _check_in(session: AsyncSession, principal: Principal, activity: Activity,
                    signup: ActivitySignup, *, how: str) -> ActivitySignup:
    now = utcnow()
    if not activity.starts_at - rules.EARLY_CHECK_IN <= now <= activity.ends_at:
        raise OutsideWindow()
    if signup.checked_in_at is not None:
        raise SignupNotLive()
    signup.checked_in_at = now
    await session.flush()
    await audit.record(session, principal, "activity.check_in", "activity_signup", signup.id,
                       org_path=signup.org_path, detail={"by": how})
    return signup


async def check_out(session: AsyncSession, principal: Principal, activity_id: int,
                    signup_id: int, at: Position) -> ActivitySignup:
    activity, signup = await _own(session, principal, activity_id, signup_id)
    if signup.checked_in_at is None or signup.checked_out_at is not None:
        raise SignupNotLive()
    _check_place(activity, at)
    return await _check_out(session, principal, activity, signup, how="phone")


async def _check_out(session: AsyncSession, principal: Principal, activity: Activity,
                     signup: ActivitySignup, *, how: str) -> ActivitySignup:
    now = utcnow()
    if signup.checked_in_at is None or signup.checked_out_at is not None:
        raise SignupNotLive()
    if now > activity.ends_at + rules.LATE_CHECK_OUT:
        raise OutsideWindow()
    signup.checked_out_at = now
    minutes = rules.service_minutes(signup.checked_in_at, now, activity.starts_at,
                                    activity.ends_at)
    await _settle(session, principal, activity, signup, minutes, EntryKind.service)
    await audit.record(session, principal, "activity.check_out", "activity_signup", signup.id,
                       org_path=signup.org_path, detail={"minutes": minutes, "by": how})
    return signup


async def code_for(session: AsyncSession, settings: Settings, principal: Principal,
                   activity_id: int, signup_id: int) -> CheckinCode:
    """The volunteer's (or the child's guardian's) code to show the organiser."""
    activity, signup = await _own(session, principal, activity_id, signup_id)
    code, expires_at = codes.issue(settings, activity.id, signup.id, utcnow())
    return CheckinCode(code=code, expires_at=expires_at, signup_id=signup.id)


async def scan(session: AsyncSession, settings: Settings, principal: Principal,
               activity_id: int, data: CheckinScan) -> ActivitySignup:
    """The organiser posts a scanned code: it checks the volunteer in, or out when they are
    in. A code issued before the check-in cannot check out (the same code scanned twice)."""
    activity = await activities.locked_for_write(session, principal, activity_id)
    scanned = codes.verify(settings, activity.id, data.code, utcnow())
    signup = await activities.signup_for_update(session, activity.id, scanned.signup_id)
    if signup is None:
        raise CodeInvalid()
    if activity.status != ActivityStatus.open:
        raise ActivityClosed()
    if signup.status != SignupStatus.accepted:
        raise SignupNotLive()
    if signup.checked_in_at is None:
        return await _check_in(session, principal, activity, signup, how="code")
    # Codes carry whole seconds: one issued in the second of the check-in may be that code.
    if scanned.issued_at <= signup.checked_in_at.replace(microsecond=0):
        raise CodeAlreadyUsed()
    return await _check_out(session, principal, activity, signup, how="code")


async def correct(session: AsyncSession, principal: Principal, activity_id: int,
                  signup_id: int, data: AttendanceCorrection) -> ActivitySignup:
    """The organiser sets the minutes (a forgotten check-out, a wrong one), with a reason."""
    activity, signup = await activities.find_signup(session, principal, activity_id, signup_id)
    await activities.authorize_organiser(session, principal, activity)
    if signup.status != SignupStatus.accepted:
        raise SignupNotLive()
    if data.minutes > rules.span_minutes(activity.starts_at, activity.ends_at):
        raise field_error("minutes", "不能超过活动时长", "More than the activity lasted")
    before = signup.minutes
    signup.corrected_by = principal.id if principal.kind == "user" else None
    signup.correction_reason = data.reason
    await _settle(session, principal, activity, signup, data.minutes, EntryKind.correction)
    await audit.record(session, principal, "activity.attendance_correct", "activity_signup",
                       signup.id, org_path=signup.org_path,
                       detail={"from_minutes": before, "to_minutes": data.minutes,
                               "reason": data.reason})
    return signup


async def _settle(session: AsyncSession, principal: Principal, activity: Activity,
                  signup: ActivitySignup, minutes: int, kind: EntryKind) -> None:
    """Record the minutes and post the points they are worth beyond what was credited. A
    child's place earns none: the account holding it is the guardian's, whose service it
    is not."""
    rate = 0 if signup.resident_id is not None else activity.points_per_hour
    owed = rules.points_for(minutes, rate)
    delta = owed - (signup.points or 0)
    signup.minutes, signup.points = minutes, owed
    await session.flush()
    memo = f"{activity.title}（{minutes} 分钟）"
    await points.post(session, principal, user_id=signup.user_id, amount=delta,
                      other=f"issued:{signup.community_id or 0}", kind=kind, memo=memo,
                      scope=signup, signup_id=signup.id)
