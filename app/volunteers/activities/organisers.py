"""An activity's organiser (the issue's "community, team or unit"): besides the staff of its org
node (activities:write there), a volunteer team's leader runs the team's activities and a
co-construction unit's liaison the unit's, without being community staff. The org node stays
the scope (whom the activity serves, who sees it); the organiser is who may edit, cancel, check
people in and correct hours. Anyone else: 404 outside their scope, 403 inside it.

A team's activity serves a node inside the team's area. A unit's serves a community the unit
is registered with, or the community of the agreement it names (the agreement must be the
unit's, with that community)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import NotFound, field_error
from app.core.permissions import Perm, Role
from app.core.scope import authorize, covers, scope_paths, sees
from app.core.security import Principal
from app.models import Activity, Org
from app.volunteers.activities import repository as repo


def liaison_orgs(principal: Principal) -> list[int]:
    """The nodes of the units the caller is liaison of (a unit's liaison sits on its node)."""
    return [g.org_id for g in principal.grants if g.role == Role.unit_liaison]


def _user_id(principal: Principal) -> int | None:
    return principal.id if principal.kind == "user" else None


async def runs(session: AsyncSession, principal: Principal, activity: Activity) -> bool:
    """The caller leads the activity's team or is the liaison of its unit."""
    user_id = _user_id(principal)
    if user_id is None:
        return False
    if activity.team_id is not None:
        team = await repo.team(session, activity.team_id)
        return team is not None and team.leader_user_id == user_id
    if activity.unit_id is not None:
        unit = await repo.unit(session, activity.unit_id)
        return unit is not None and unit.org_id in liaison_orgs(principal)
    return False


async def authorize_on(session: AsyncSession, principal: Principal, activity: Activity,
                       permission: Perm, not_found: NotFound) -> None:
    """`scope.authorize` on the activity's node, passed as well by its team leader or unit
    liaison (for reading and organising alike)."""
    if await runs(session, principal, activity):
        return
    authorize(principal, permission, activity.org_path, not_found=not_found)


async def organises(session: AsyncSession, principal: Principal, activity: Activity) -> bool:
    if any(covers(p, activity.org_path) for p in scope_paths(principal, Perm.activity_write)):
        return True
    return await runs(session, principal, activity)


def organised_clause(principal: Principal) -> ColumnElement[bool] | None:
    user_id = _user_id(principal)
    return None if user_id is None else repo.organised_by(user_id, liaison_orgs(principal))


def _no(field: str, zh: str, en: str) -> Exception:
    return field_error(field, zh, en)


async def for_create(session: AsyncSession, principal: Principal, data: Any) -> Org:
    """The activity's node, with the team or unit (and agreement) named checked: 422 naming the
    field for what is missing, unseen or does not fit; 403 when the caller neither runs the
    named organiser nor holds activities:write on the node."""
    org = await repo.org(session, data.org_id)
    runs_it = False
    if data.team_id is not None:
        runs_it = await _team(session, principal, data.team_id, org)
    elif data.unit_id is not None:
        runs_it = await _unit(session, principal, data, org)
    if org is None or not (runs_it or sees(principal, org.path)):
        raise _no("org_id", "组织不存在", "No such organisation")
    if not runs_it:
        authorize(principal, Perm.activity_write, org.path)
    return org


async def _team(session: AsyncSession, principal: Principal, team_id: int, org: Org | None
                ) -> bool:
    team = await repo.team(session, team_id)
    leads = team is not None and team.leader_user_id == _user_id(principal)
    if team is None or not (leads or sees(principal, team.org_path)):
        raise _no("team_id", "队伍不存在", "No such team")
    if org is not None and not covers(team.org_path, org.path):
        raise _no("org_id", "活动须在队伍的服务范围内", "The node is outside the team's area")
    return leads


async def _unit(session: AsyncSession, principal: Principal, data: Any, org: Org | None
                ) -> bool:
    """The unit named: its liaison, whoever sees the unit, and the staff of a community the
    unit works with (registered there, or the agreement named) may name it; to anyone else it
    reads like a missing one."""
    unit = await repo.unit(session, data.unit_id)
    liaison = unit is not None and unit.org_id in liaison_orgs(principal)
    community_id = org.community_id if org is not None else None
    registered = (unit is not None and community_id is not None
                  and await repo.unit_registered(session, unit.id, community_id))
    agreement = (await repo.agreement(session, data.agreement_id)
                 if data.agreement_id is not None else None)
    fits = (unit is not None and agreement is not None and agreement.unit_id == unit.id
            and agreement.community_id == community_id)
    staff_side = org is not None and sees(principal, org.path) and (registered or fits)
    if unit is None or not (liaison or sees(principal, unit.org_path) or staff_side):
        raise _no("unit_id", "单位不存在", "No such unit")
    if community_id is None:
        raise _no("org_id", "共建单位的活动须服务于一个社区",
                  "A unit's activity serves a community")
    if data.agreement_id is not None and not fits:
        raise _no("agreement_id", "共建协议不属于该单位与社区",
                  "The agreement is not between this unit and community")
    if data.agreement_id is None and not registered:
        raise _no("unit_id", "该单位未到此社区报到",
                  "The unit is not registered with the community")
    return liaison
