"""双报到: an in-service party member registers with the community where they live.

The member acts on their own registration (create, withdraw, move); the community's reviewers
(`registrations:review`: community, street and district admins) approve or reject it. At most one
registration per member is active (pending or approved): `active_member_id` holds the member's id
while active and is unique, so the rule holds under concurrent requests on both databases.
Approval grants the member's account the `member` role at the community, which is what lets them
see and claim its wishes; leaving (withdraw, move, reject after approval) removes that grant.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import audit
from app.core.crypto import mask_name
from app.core.errors import Forbidden, field_error
from app.core.pagination import PageParams
from app.core.permissions import Perm, Role
from app.core.scope import covers, scope_paths, sees
from app.core.security import Principal
from app.core.types import utcnow
from app.models import Member, Org, Registration, User
from app.models.scoped import scope_from
from app.registrations import repository as repo
from app.registrations.errors import (
    CommunityNotFound,
    InvalidTransition,
    MemberNotLinked,
    NotOwner,
    RegistrationActive,
    RegistrationNotFound,
)
from app.registrations.repository import Row as Row  # the service's result, named by the router
from app.registrations.rules import ACTIVE, RULES, Action
from app.registrations.schemas import (
    RegistrationCreate,
    RegistrationMove,
    RegistrationRead,
    RegStatus,
    RosterEntry,
)
from app.users import service as users


async def linked_member(session: AsyncSession, principal: Principal) -> Member:
    """The caller's own member record, or 403 `member_not_linked`."""
    member = None
    if principal.kind == "user":
        member = await repo.member_of_user(session, principal.id)
    if member is None:
        raise MemberNotLinked()
    return member


async def _community(session: AsyncSession, community_id: int) -> Org:
    # Any community of the district: members register where they live, outside their scope.
    org = await session.get(Org, community_id)
    if org is None or org.kind != "community":
        raise field_error("community_id", "社区不存在", "No such community")
    return org


async def _insert_active(session: AsyncSession, member: Member, community: Org, address: str,
                         skills: list[str]) -> Registration:
    reg = Registration(member_id=member.id, **scope_from(community), address=address,
                       skills=skills, status=RegStatus.pending,
                       active_member_id=member.id)
    try:
        async with session.begin_nested():
            session.add(reg)
    except IntegrityError:
        raise RegistrationActive() from None  # another active one exists, or a racer won
    return reg


async def create(session: AsyncSession, principal: Principal, data: RegistrationCreate) -> Row:
    member = await linked_member(session, principal)
    community = await _community(session, data.community_id)
    reg = await _insert_active(session, member, community, data.address, data.skills)
    await audit.record(session, principal, "registration.create", "registration", reg.id,
                       org_path=reg.org_path)
    return Row(reg, member.name, member.user_id)


def _owns(principal: Principal, row: Row) -> bool:
    return principal.kind == "user" and row.user_id == principal.id


def _reads(principal: Principal, path: str) -> bool:
    return any(covers(p, path) for p in repo.read_paths(principal))


async def get(session: AsyncSession, principal: Principal, registration_id: int) -> Row:
    """The member's own, or one a reviewer/member reader can see; else 404 (403 in view but
    without the right)."""
    row = await repo.with_name(session, registration_id)
    if row is None or not (_owns(principal, row) or sees(principal, row.reg.org_path)):
        raise RegistrationNotFound()
    if not _owns(principal, row) and not _reads(principal, row.reg.org_path):
        raise Forbidden()
    return row


async def _member_role(session: AsyncSession, principal: Principal, row: Row, *,
                       grant: bool) -> None:
    """Grant or remove the `member` role at the community (reusing app/users, so it is
    audited like any role change)."""
    if row.user_id is None:
        return  # a member without an account: nothing to grant
    reg = row.reg
    held = await users.assignment(session, row.user_id, Role.member, reg.community_id or 0)
    if grant and held is None:
        user, community = (await session.get(User, row.user_id),
                           await session.get(Org, reg.community_id))
        if user is not None and community is not None:
            await users.grant(session, principal, user, Role.member, community)
    elif not grant and held is not None:
        await users.revoke(session, principal, held)


async def transition(session: AsyncSession, principal: Principal, row: Row, action: Action, *,
                     reason: str | None = None) -> Row:
    rule, reg = RULES[action], row.reg
    if rule.by == "member" and not _owns(principal, row):
        raise NotOwner()
    if rule.by == "staff" and not any(
            covers(p, reg.org_path) for p in scope_paths(principal, Perm.registration_review)):
        # The caller has read the row (`get`): its existence is no secret, so 403, not 404
        # (a member trying to approve their own pending registration).
        raise Forbidden()
    if reg.status not in rule.sources:
        raise InvalidTransition()
    was_approved = reg.status == RegStatus.approved
    now = utcnow()
    reg.status = rule.target
    if rule.target not in ACTIVE:
        reg.active_member_id = None  # frees the member for a new registration
        reg.ended_at = now
    if rule.by == "staff":
        reg.decided_by, reg.decided_at, reg.reason = principal.id, now, reason
    await session.flush()
    if rule.target == RegStatus.approved:
        await _member_role(session, principal, row, grant=True)
    elif was_approved:
        await _member_role(session, principal, row, grant=False)
    await audit.record(session, principal, f"registration.{action}", "registration", reg.id,
                       org_path=reg.org_path, detail={"status": reg.status})
    return row


async def move(session: AsyncSession, principal: Principal, row: Row, data: RegistrationMove
               ) -> Row:
    """Ends the old registration and starts a pending one in the new community, atomically
    (the request is one transaction)."""
    if not _owns(principal, row):
        raise NotOwner()
    community = await _community(session, data.community_id)
    if community.id == row.reg.community_id:
        raise field_error("community_id", "已在该社区报到",
                          "Already registered with this community")
    await transition(session, principal, row, Action.move)
    member = await session.get(Member, row.reg.member_id)
    assert member is not None  # RESTRICT: a registration's member cannot vanish
    skills = list(row.reg.skills) if data.skills is None else data.skills
    reg = await _insert_active(session, member, community, data.address, skills)
    await audit.record(session, principal, "registration.create", "registration", reg.id,
                       org_path=reg.org_path, detail={"moved_from": row.reg.id})
    return Row(reg, row.name, row.user_id)


async def list_page(session: AsyncSession, principal: Principal, *, community_id: int | None,
                    status: RegStatus | None, page: PageParams) -> list[Row]:
    filters = []
    if community_id is not None:
        filters.append(Registration.community_id == community_id)
    if status is not None:
        filters.append(Registration.status == status)
    return await repo.list_page(session, principal, filters=filters, page=page)


async def mine(session: AsyncSession, principal: Principal, page: PageParams) -> list[Row]:
    if principal.kind != "user":
        return []
    return await repo.mine(session, principal.id, page)


async def roster(session: AsyncSession, principal: Principal, community_id: int, *,
                 skill: str | None, page: PageParams) -> list[Row]:
    org = await session.get(Org, community_id)
    if org is None or org.kind != "community" or not sees(principal, org.path):
        raise CommunityNotFound()
    if not _reads(principal, org.path):
        raise Forbidden()
    return await repo.roster(session, community_id, skill, page)


def read(row: Row) -> RegistrationRead:
    reg = row.reg
    return RegistrationRead(
        id=reg.id, member_id=reg.member_id, member_name=mask_name(row.name) or "",
        community_id=reg.community_id or 0, street_id=reg.street_id, org_path=reg.org_path,
        address=reg.address, skills=list(reg.skills), status=RegStatus(reg.status),
        decided_by=reg.decided_by, decided_at=reg.decided_at, reason=reg.reason,
        ended_at=reg.ended_at, version=reg.version, created_at=reg.created_at,
        updated_at=reg.updated_at,
    )


def roster_entry(row: Row) -> RosterEntry:
    return RosterEntry(registration_id=row.reg.id, member_id=row.reg.member_id,
                       name=mask_name(row.name) or "", skills=list(row.reg.skills),
                       org_path=row.reg.org_path, approved_at=row.reg.decided_at)
