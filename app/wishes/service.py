"""微心愿: a grid worker posts a resident's small wish; a member registered with the community
(双报到, approved) or a unit registered there claims it, fulfils it with evidence, and the grid
worker confirms. The workflow is one table (app/wishes/rules.py).

Visibility: a wish is seen by whoever's grants cover its grid, and by its claimant wherever they
sit (a unit's liaison usually sits at the unit's agency node, outside the community). A unit's
liaison may also reach a wish to claim it when the unit is registered with that community.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.cases import service as cases_service
from app.cases.errors import AttachmentNotFound
from app.core import audit
from app.core.crypto import mask_name
from app.core.errors import field_error
from app.core.pagination import PageParams
from app.core.permissions import Perm, Role
from app.core.scope import authorize, covers, sees
from app.core.security import Principal
from app.core.types import utcnow
from app.grids import service as grids
from app.models import CaseAttachment, Resident, Unit, Wish
from app.models.scoped import scope_from
from app.registrations import service as registrations
from app.wishes import repository as repo
from app.wishes.errors import (
    InvalidTransition,
    NotClaimant,
    NotPoster,
    NotUnitLiaison,
    RegistrationRequired,
    UnitNotRegistered,
    WishNotFound,
)
from app.wishes.repository import Row as Row  # the service's result, named by the router
from app.wishes.rules import RULES, Action
from app.wishes.schemas import WishClaim, WishCreate, WishFulfil, WishRead, WishStatus

# Who may cancel a wish besides its poster.
ADMIN_ROLES = frozenset({Role.district_admin, Role.street_admin, Role.community_admin})


def _liaison(principal: Principal, org_id: int | None) -> bool:
    return any(g.role == Role.unit_liaison and g.org_id == org_id for g in principal.grants)


def _claimant(principal: Principal, row: Row) -> bool:
    if row.wish.claimed_by_member_id is not None:
        return principal.kind == "user" and row.claimant_user_id == principal.id
    if row.wish.claimed_by_unit_id is not None:
        return _liaison(principal, row.unit_org_id)
    return False


async def _reload(session: AsyncSession, wish_id: int) -> Row:
    row = await repo.by_id(session, wish_id)
    if row is None:
        raise WishNotFound()
    return row


async def find(session: AsyncSession, principal: Principal, wish_id: int, *,
               unit: Unit | None = None) -> Row:
    """The wish if the caller may reach it at all, else 404 (exactly as a missing one)."""
    row = await repo.by_id(session, wish_id)
    if row is None:
        raise WishNotFound()
    if sees(principal, row.wish.org_path) or _claimant(principal, row):
        return row
    if unit is not None and _liaison(principal, unit.org_id) and await repo.unit_registered(
            session, unit.id, row.wish.community_id):
        return row
    raise WishNotFound()


async def get(session: AsyncSession, principal: Principal, wish_id: int) -> Row:
    row = await find(session, principal, wish_id)
    if not _claimant(principal, row):
        authorize(principal, Perm.wish_read, row.wish.org_path, not_found=WishNotFound())
    return row


async def create(session: AsyncSession, principal: Principal, data: WishCreate) -> Row:
    grid = await grids.referenced(session, principal, data.grid_id)
    authorize(principal, Perm.wish_write, grid.org_path)
    if data.resident_id is not None:
        resident = await session.get(Resident, data.resident_id)
        if resident is None or resident.grid_id != grid.id:
            raise field_error("resident_id", "该网格内没有这位居民",
                              "No such resident in this grid")
    wish = Wish(grid_id=grid.id, **scope_from(grid), resident_id=data.resident_id,
                title=data.title,
                description=data.description, status=WishStatus.posted,
                posted_by=principal.id if principal.kind == "user" else None)
    session.add(wish)
    await session.flush()
    await audit.record(session, principal, "wish.post", "wish", wish.id, org_path=wish.org_path)
    return await _reload(session, wish.id)


async def claiming_unit(session: AsyncSession, data: WishClaim | None) -> Unit | None:
    if data is None or data.unit_id is None:
        return None
    return await session.get(Unit, data.unit_id)


async def _check_claimer(session: AsyncSession, principal: Principal, row: Row,
                         data: WishClaim | None, unit: Unit | None) -> None:
    wish = row.wish
    if data is not None and data.unit_id is not None:
        if unit is None:
            raise field_error("unit_id", "单位不存在", "No such unit")
        if not _liaison(principal, unit.org_id):
            raise NotUnitLiaison()
        if not await repo.unit_registered(session, unit.id, wish.community_id):
            raise UnitNotRegistered()
        wish.claimed_by_unit_id, wish.claimed_by_member_id = unit.id, None
        return
    authorize(principal, Perm.wish_claim, wish.org_path, not_found=WishNotFound())
    member = await registrations.linked_member(session, principal)
    if not await repo.approved_in(session, member.id, wish.community_id):
        raise RegistrationRequired()
    wish.claimed_by_member_id, wish.claimed_by_unit_id = member.id, None


def _check_actor(principal: Principal, row: Row, action: Action) -> None:
    rule, wish = RULES[action], row.wish
    if rule.by == "claimant" and not _claimant(principal, row):
        raise NotClaimant()
    if rule.by == "grid":
        authorize(principal, rule.permission, wish.org_path, not_found=WishNotFound())
    if rule.by == "poster":
        poster = principal.kind == "user" and principal.id == wish.posted_by
        admin = any(g.role in ADMIN_ROLES and covers(g.org_path, wish.org_path)
                    for g in principal.grants)
        if not (poster or admin):
            raise NotPoster()


def _check_state(row: Row, action: Action) -> None:
    if row.wish.status not in RULES[action].sources:
        raise InvalidTransition()


async def _finish(session: AsyncSession, principal: Principal, row: Row, action: Action
                  ) -> Row:
    row.wish.status = RULES[action].target
    await session.flush()
    await audit.record(session, principal, f"wish.{action}", "wish", row.wish.id,
                       org_path=row.wish.org_path, detail={"status": row.wish.status})
    return await _reload(session, row.wish.id)


async def claim(session: AsyncSession, principal: Principal, row: Row, data: WishClaim | None,
                unit: Unit | None) -> Row:
    _check_state(row, Action.claim)
    await _check_claimer(session, principal, row, data, unit)
    row.wish.claimed_at = utcnow()
    return await _finish(session, principal, row, Action.claim)


async def fulfil(session: AsyncSession, principal: Principal, row: Row, data: WishFulfil) -> Row:
    _check_actor(principal, row, Action.fulfil)
    _check_state(row, Action.fulfil)
    ids = data.attachment_ids  # already de-duplicated by the schema
    await _bind_evidence(session, principal, row.wish, ids)
    wish = row.wish
    wish.evidence, wish.evidence_attachment_ids, wish.fulfilled_at = data.evidence, ids, utcnow()
    return await _finish(session, principal, row, Action.fulfil)


async def _bind_evidence(session: AsyncSession, principal: Principal, wish: Wish,
                         ids: list[int]) -> None:
    """The photos become the wish's: downloadable with it, and no longer orphans to purge.
    Only the caller's own uploads that nothing holds yet (a case's photo stays the case's)."""
    await cases_service.bind_uploads(session, principal, ids, wish_id=wish.id)


async def evidence(session: AsyncSession, principal: Principal, wish_id: int,
                   attachment_id: int) -> CaseAttachment:
    """A photo of the wish's evidence, for whoever may read the wish (else 404 as the wish)."""
    await get(session, principal, wish_id)
    att = await cases_service.wish_evidence(session, wish_id, attachment_id)
    if att is None:
        raise AttachmentNotFound()
    return att


async def simple(session: AsyncSession, principal: Principal, row: Row, action: Action) -> Row:
    """confirm, release, cancel: no body."""
    _check_actor(principal, row, action)
    _check_state(row, action)
    wish = row.wish
    if action == Action.confirm:
        wish.confirmed_by, wish.confirmed_at = principal.id, utcnow()
    elif action == Action.release:
        wish.claimed_by_member_id = wish.claimed_by_unit_id = wish.claimed_at = None
    return await _finish(session, principal, row, action)


async def list_page(session: AsyncSession, principal: Principal, *, grid_id: int | None,
                    community_id: int | None, status: WishStatus | None, page: PageParams
                    ) -> list[Row]:
    filters = []
    if grid_id is not None:
        filters.append(Wish.grid_id == grid_id)
    if community_id is not None:
        filters.append(Wish.community_id == community_id)
    if status is not None:
        filters.append(Wish.status == status)
    return await repo.list_page(session, principal, filters=filters, page=page)


def read(row: Row) -> WishRead:
    w = row.wish
    return WishRead(
        id=w.id, grid_id=w.grid_id, community_id=w.community_id, street_id=w.street_id,
        org_path=w.org_path, resident_id=w.resident_id, resident_name=mask_name(row.resident_name),
        title=w.title, description=w.description, status=WishStatus(w.status),
        posted_by=w.posted_by, claimed_by_member_id=w.claimed_by_member_id,
        claimant_name=mask_name(row.claimant_name), claimed_by_unit_id=w.claimed_by_unit_id,
        unit_name=row.unit_name, claimed_at=w.claimed_at, evidence=w.evidence,
        evidence_attachment_ids=list(w.evidence_attachment_ids), fulfilled_at=w.fulfilled_at,
        confirmed_by=w.confirmed_by, confirmed_at=w.confirmed_at, version=w.version,
        created_at=w.created_at, updated_at=w.updated_at,
    )
