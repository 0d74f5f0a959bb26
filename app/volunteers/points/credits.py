"""Rule-based credits: points for things other than service hours, under a community's rules.

The one rule today is "a valid case report" (`case_report`): when a case reported by a member or
volunteer of the community closes as valid (verified after handling, or resolved on the spot —
not rejected, not merged into another), the reporter is credited the rule's points, at most
`cap` times per person per period (Asia/Shanghai calendar week, month or year). The cases
domain calls `case_closed` inside the close transition, so the credit commits or rolls back
with the close itself; an entry carries (rule, source) under a unique key, so one case is
credited once however often it is closed. A community without its own rule uses DEFAULTS.

Credits are ledger entries like the rest: +n to the person, -n to "issued:<community>"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from app.core import audit
from app.core.permissions import Perm, Role
from app.core.scope import authorize, covers
from app.core.security import Principal
from app.core.types import utcnow
from app.models import Case, Org, PointsEntry, PointsRule
from app.models.scoped import scope_from
from app.orgs import service as orgs
from app.orgs.errors import OrgNotFound
from app.volunteers.points import repository as repo
from app.volunteers.points import service as ledger
from app.volunteers.points.schemas import (
    EntryKind,
    Period,
    PointsRuleRead,
    PointsRules,
    PointsRulesPut,
    RuleName,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
CLOSED_AS_VALID = frozenset({"verify", "self_resolve"})
# Who earns rule credits: people serving in the community, not staff doing their job.
EARNERS = (Role.member.value, Role.volunteer.value)


@dataclass(frozen=True)
class Effective:
    points: int
    cap: int
    period: Period
    active: bool
    default: bool


DEFAULTS = {
    RuleName.case_report: Effective(points=5, cap=5, period=Period.month, active=True, default=True)
}


def period_start(period: Period, now: datetime) -> datetime:
    """The start of the Asia/Shanghai calendar period holding `now`."""
    local = now.astimezone(SHANGHAI).replace(hour=0, minute=0, second=0, microsecond=0)
    if period == Period.week:
        local -= timedelta(days=local.weekday())
    elif period == Period.month:
        local = local.replace(day=1)
    else:
        local = local.replace(month=1, day=1)
    return local


def _effective(rows: list[PointsRule]) -> dict[RuleName, Effective]:
    out = dict(DEFAULTS)
    for r in rows:
        out[RuleName(r.rule)] = Effective(r.points, r.cap, Period(r.period), r.active, False)
    return out


async def _community(
    session: AsyncSession, principal: Principal, community_id: int, permission: Perm
) -> Org:
    community = await orgs.get(session, principal, community_id)
    if community.kind != "community":
        raise OrgNotFound()
    authorize(principal, permission, community.path, not_found=OrgNotFound())
    return community


async def rules(session: AsyncSession, principal: Principal, community_id: int) -> PointsRules:
    community = await _community(session, principal, community_id, Perm.activity_read)
    return _read(community, _effective(await repo.rules_of(session, community.id)))


async def put_rules(
    session: AsyncSession, principal: Principal, community_id: int, data: PointsRulesPut
) -> PointsRules:
    """The community's organisers set its rules (audited); later credits use them."""
    community = await _community(session, principal, community_id, Perm.activity_write)
    existing = {r.rule: r for r in await repo.rules_of(session, community.id)}
    for item in data.rules:
        row = existing.get(item.rule)
        if row is None:
            row = PointsRule(rule=item.rule, **scope_from(community, PointsRule))
            session.add(row)
        row.points, row.cap, row.period, row.active = (
            item.points,
            item.cap,
            item.period,
            item.active,
        )
    await session.flush()
    await audit.record(
        session,
        principal,
        "points.rules_set",
        "org",
        community.id,
        org_path=community.path,
        detail={"rules": [i.model_dump(mode="json") for i in data.rules]},
    )
    return _read(community, _effective(await repo.rules_of(session, community.id)))


def _read(community: Org, eff: dict[RuleName, Effective]) -> PointsRules:
    return PointsRules(
        community_id=community.id,
        org_path=community.path,
        rules=[
            PointsRuleRead(
                rule=name,
                points=e.points,
                cap=e.cap,
                period=e.period,
                active=e.active,
                default=e.default,
            )
            for name, e in sorted(eff.items())
        ],
    )


async def case_closed(session: AsyncSession, case: Case, action: str) -> PointsEntry | None:
    """Credit the reporter of a case closed as valid, under the community's rule and cap."""
    if action not in CLOSED_AS_VALID or case.reporter_id is None or case.community_id is None:
        return None
    joined = await repo.joined_paths(session, case.reporter_id, EARNERS)
    if not any(covers(p, case.org_path) for p in joined):
        return None
    return await credit(
        session,
        rule=RuleName.case_report,
        user_id=case.reporter_id,
        community_id=case.community_id,
        source=case,
        source_ref=f"case:{case.id}",
        memo=f"有效上报案件 {case.code}",
    )


async def credit(
    session: AsyncSession,
    *,
    rule: RuleName,
    user_id: int,
    community_id: int,
    source: Case,
    source_ref: str,
    memo: str,
) -> PointsEntry | None:
    """One capped credit; None when the rule is off, the cap is reached or already credited."""
    eff = _effective(await repo.rules_of(session, community_id))[rule]
    if not eff.active or eff.points == 0:
        return None
    await repo.lock_account(session, user_id)
    if await repo.credited(session, rule, source_ref):
        return None
    since = period_start(eff.period, utcnow())
    if await repo.rule_credits_since(session, user_id, rule, since) >= eff.cap:
        return None
    return await ledger.post(
        session,
        None,
        user_id=user_id,
        amount=eff.points,
        other=f"issued:{community_id}",
        kind=EntryKind.rule,
        memo=memo,
        scope=source,
        rule=rule,
        source_ref=source_ref,
    )
