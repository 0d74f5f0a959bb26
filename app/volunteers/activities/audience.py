"""Who may take a place on an activity: its audience rules (ages, residents of the community
only) and guardians signing up a child.

How an account is linked to a person in the register: through the member record. A member's
account is `party_members.user_id`, and the member is linked to their resident entry by ID
number (`party_members.resident_id`, app/members). That resident is the caller; their
household is their family. A guardian signs up a minor of their own household (the register's
households are the family relation we hold; `relation_to_head` is free text). Accounts with no
such link may still sign up themselves for activities without audience rules.

Ages are whole years on the activity's start date (Asia/Shanghai) from the birth date in the ID
number (`residents.birth_date` is `birth_date_of(id_number)`, set when the resident is
registered, so the cipher need not be opened here)."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import Unprocessable, field_error
from app.models import Activity, Resident
from app.volunteers.activities import repository as repo
from app.volunteers.activities.errors import (
    AudienceAge,
    AudienceResidentsOnly,
    AudienceUnknown,
    NotGuardian,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
ADULT = 18


def age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def start_day(activity: Activity) -> date:
    return activity.starts_at.astimezone(SHANGHAI).date()


def has_rules(activity: Activity) -> bool:
    return activity.residents_only or activity.min_age is not None or activity.max_age is not None


def no_community() -> Unprocessable:
    """`residents_only` on an activity organised above any community (a street's) would refuse
    everyone: the community is whose residents it means."""
    return field_error(
        "residents_only",
        "仅社区及以下组织的活动可限本社区居民参加",
        "residents_only needs an organiser in a community",
    )


def check(activity: Activity, person: Resident) -> None:
    """The participant meets the activity's rules: residents first (403), then age (422)."""
    if activity.residents_only and person.community_id != activity.community_id:
        raise AudienceResidentsOnly()
    age = age_on(person.birth_date, start_day(activity))
    if (activity.min_age is not None and age < activity.min_age) or (
        activity.max_age is not None and age > activity.max_age
    ):
        raise AudienceAge()


async def check_self(session: AsyncSession, user_id: int, activity: Activity) -> None:
    """The caller signing up themselves: rules need to know who they are in the register."""
    if not has_rules(activity):
        return
    me = await repo.resident_of_user(session, user_id)
    if me is None:
        raise AudienceUnknown()
    check(activity, me)


async def child_of(
    session: AsyncSession, user_id: int, resident_id: int, activity: Activity
) -> Resident:
    """The guardian's child named in the body, checked against the activity's rules. A resident
    who is not a minor of the caller's household reads as unknown (422 naming the field): the
    register is not the caller's to probe."""
    guardian = await repo.resident_of_user(session, user_id)
    if guardian is None:
        raise NotGuardian()
    child = await repo.resident(session, resident_id)
    day = start_day(activity)
    if (
        child is None
        or child.id == guardian.id
        or child.household_id != guardian.household_id
        or age_on(child.birth_date, day) >= ADULT
    ):
        raise field_error(
            "for_resident_id", "不是您家庭中的未成年子女", "Not a minor of your household"
        )
    check(activity, child)
    return child
