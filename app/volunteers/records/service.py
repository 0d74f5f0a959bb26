"""双报告: a member's service record for their work unit — activities served in a period (date,
time span, hours, content, organiser), hours in total, wishes fulfilled, cases reported,
points — and the certificate fields (志愿服务记录证明, VOLUNTEERS.md) in their order.

Who reads it: staff of the community the member is registered with (registrations:review
there: they issue it), and whoever holds members:service_record over the member's party org —
the unit's liaison (role `unit_liaison` on the unit's own party org, so they see that unit's
members and no other's) and admins above. Everyone else: 404 when they cannot see the member
at all, else 403.

Issuing org: the registered community (it ran or hosts the activities: 谁记录谁证明), else the
member's party org. Its person in charge: the first community admin assigned there, contact
phone masked. Volunteer number: the district's own (`V` + account id), as the national system
is out of reach. Certificate number and date of issue: those of the certificate registered for
exactly this period (certificates.py), null until one is issued."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from app.core import audit
from app.core.crypto import FieldCipher, mask_id_number, mask_name, mask_phone
from app.core.errors import Forbidden, field_error
from app.core.i18n import t
from app.core.permissions import Perm
from app.core.scope import covers, scope_paths, sees
from app.core.security import Principal
from app.members.errors import MemberNotFound
from app.members.service import ID_CONTEXT
from app.models import Activity, Member, Org
from app.users.service import PHONE_CONTEXT
from app.volunteers.activities.schemas import ActivityKind
from app.volunteers.records import repository as repo
from app.volunteers.records.schemas import Certificate, ServiceItem, ServiceRecord

SHANGHAI = ZoneInfo("Asia/Shanghai")
MAX_DAYS = 366 * 3
KIND_LABELS = {
    ActivityKind.service: ("志愿服务", "service"),
    ActivityKind.class_: ("培训班", "class"),
    ActivityKind.lecture: ("讲座", "lecture"),
    ActivityKind.meeting: ("会议", "meeting"),
    ActivityKind.coconstruction: ("共驻共建", "co-construction"),
}


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    @classmethod
    def of(cls, start: date | None, end: date | None) -> Period:
        today = datetime.now(SHANGHAI).date()
        end = end or today
        start = start or end.replace(month=1, day=1)
        if start > end:
            raise field_error("from", "起始日期不能晚于结束日期", "from must not be after to")
        if (end - start).days > MAX_DAYS:
            raise field_error("from", "期间不能超过三年", "The period cannot exceed three years")
        return cls(start, end)

    def bounds(self) -> tuple[datetime, datetime]:
        return (
            datetime.combine(self.start, time(), SHANGHAI),
            datetime.combine(self.end + timedelta(days=1), time(), SHANGHAI),
        )


async def _authorize(
    session: AsyncSession, principal: Principal, member_id: int
) -> tuple[Member, Org | None]:
    member = await repo.member(session, member_id)
    if member is None:
        raise MemberNotFound()
    community = await repo.registered_community(session, member.id)
    unit_side = any(
        covers(p, member.org_path) for p in scope_paths(principal, Perm.service_record_read)
    )
    community_side = community is not None and any(
        covers(p, community.path) for p in scope_paths(principal, Perm.registration_review)
    )
    if unit_side or community_side:
        return member, community
    if sees(principal, member.org_path) or (community and sees(principal, community.path)):
        raise Forbidden()
    raise MemberNotFound()


async def record(
    session: AsyncSession, cipher: FieldCipher, principal: Principal, member_id: int, period: Period
) -> ServiceRecord:
    member, community = await _authorize(session, principal, member_id)
    start, end = period.bounds()
    uid = member.user_id
    served = await repo.served(session, uid, start, end) if uid else []
    items = [_item(a, minutes, org) for a, minutes, org in served]
    cases = await repo.cases_reported(session, uid, start, end) if uid else 0
    earned, balance = await repo.points(session, uid, start, end) if uid else (0, 0)
    issuer = community or await repo.org(session, member.org_id)
    hours = round(sum(i.hours for i in items), 1)
    certificate = await _certificate(session, cipher, member, issuer, period, items, hours)
    await audit.record(
        session,
        principal,
        "member.service_record",
        "member",
        member.id,
        org_path=member.org_path,
        detail={"from": period.start.isoformat(), "to": period.end.isoformat()},
    )
    return ServiceRecord(
        member_id=member.id,
        org_path=member.org_path,
        work_unit=member.work_unit,
        period_from=period.start,
        period_to=period.end,
        activities=items,
        hours_total=hours,
        wishes_fulfilled=await repo.wishes_fulfilled(session, member.id, start, end),
        cases_reported=cases,
        points_earned=earned,
        points_balance=balance,
        certificate=certificate,
    )


def _item(activity: Activity, minutes: int, organiser: str) -> ServiceItem:
    begins = activity.starts_at.astimezone(SHANGHAI)
    ends = activity.ends_at.astimezone(SHANGHAI)
    zh, en = KIND_LABELS[ActivityKind(activity.kind)]
    return ServiceItem(
        activity_id=activity.id,
        date=begins.date(),
        span=f"{begins:%H:%M}-{ends:%H:%M}",
        hours=round(minutes / 60, 1),
        content=f"{activity.title}（{t(zh, en)}）",
        organiser=organiser,
        started_at=activity.starts_at,
        ended_at=activity.ends_at,
    )


async def _certificate(
    session: AsyncSession,
    cipher: FieldCipher,
    member: Member,
    issuer: Org | None,
    period: Period,
    items: list[ServiceItem],
    hours: float,
) -> Certificate:
    head = await repo.person_in_charge(session, issuer.id) if issuer else None
    phone = cipher.decrypt(head[1], context=PHONE_CONTEXT) if head and head[1] else None
    titles = list(dict.fromkeys(i.content for i in items))
    issued = await repo.certificate_of(session, member.id, period.start, period.end)
    return Certificate(
        name=mask_name(member.name),
        id_type=t("居民身份证", "Resident ID card"),
        id_number=mask_id_number(cipher.decrypt(member.id_number_cipher, context=ID_CONTEXT)),
        volunteer_number=f"V{member.user_id:08d}" if member.user_id else "",
        hours=hours,
        content="；".join(titles)[:1000],
        issuing_org=issuer.name if issuer else "",
        person_in_charge=head[0] if head else None,
        contact=mask_phone(phone),
        certificate_number=issued.number if issued else None,
        issued_on=issued.issued_at.astimezone(SHANGHAI).date() if issued else None,
    )
