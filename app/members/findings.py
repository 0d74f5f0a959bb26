"""The member search campaign (寻找党员、亮出身份): staff of a business district, community or
enterprise record a member they found (mobile, pocket, hidden…); the branch said to hold the
membership verifies it, which links (or creates) the member and reclassifies them, or rejects it.

A finding is visible where it was found and to the branch named in it. It moves only from
`pending` (409 otherwise), and its `version` guards concurrent decisions (If-Match → 412).
The summary counts per business district (and per community) come from one GROUP BY.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core import audit
from app.core.concurrency import flush_versioned
from app.core.crypto import FieldCipher, mask_id_number, mask_name, mask_phone
from app.core.errors import Forbidden
from app.core.pagination import PageParams
from app.core.permissions import Perm
from app.core.scope import authorize, covers, in_paths, scope_paths
from app.core.security import Principal
from app.core.types import utcnow
from app.members import repository as repo
from app.members import service as members
from app.members.errors import FindingNotFound, FindingNotPending, MemberHeldElsewhere
from app.members.schemas import (
    CATEGORY_LABELS,
    CampaignArea,
    CampaignCounts,
    CampaignSummary,
    Category,
    FindingCreate,
    FindingRead,
    FindingReject,
    FindingStatus,
    FindingVerify,
)
from app.models import Member, MemberFinding, Org
from app.orgs import service as orgs
from app.orgs.schemas import OrgKind
from app.people.idcard import birth_date_of, gender_of

FOUND_AT = frozenset({OrgKind.business_district, OrgKind.community, OrgKind.enterprise})
ID_CONTEXT, PHONE_CONTEXT = members.ID_CONTEXT, members.PHONE_CONTEXT


async def get_finding(session: AsyncSession, principal: Principal, finding_id: int,
                      permission: Perm = Perm.member_read) -> tuple[MemberFinding, str | None]:
    """The finding and its branch's path; 404 unless the caller sees where it was found or the
    branch, 403 without `permission` on either."""
    row = await repo.finding_visible(session, principal, finding_id)
    if row is None:
        raise FindingNotFound()
    finding, branch_path = row
    places = [p for p in (finding.org_path, branch_path) if p is not None]
    if not any(covers(s, p) for s in scope_paths(principal, permission) for p in places):
        raise Forbidden()
    return finding, branch_path


async def create_finding(session: AsyncSession, principal: Principal, cipher: FieldCipher,
                         data: FindingCreate) -> MemberFinding:
    org = await members.party_org(session, principal, data.org_id, field="org_id",
                                  permission=Perm.member_write, kinds=FOUND_AT)
    if data.branch_id is not None:
        # The branch may lie anywhere the caller sees; verifying it is the branch's business.
        await members.party_org(session, principal, data.branch_id, field="branch_id",
                                permission=None)
    finding = MemberFinding(
        **members.org_columns(org), name=data.name, gender=gender_of(data.id_number),
        id_number_cipher=cipher.encrypt(data.id_number, context=ID_CONTEXT),
        id_number_index=cipher.blind_index(data.id_number, context=ID_CONTEXT),
        phone_cipher=cipher.encrypt(data.phone, context=PHONE_CONTEXT) if data.phone else None,
        phone_index=cipher.blind_index(data.phone, context=PHONE_CONTEXT) if data.phone else None,
        category_found=data.category_found.value, work_unit=data.work_unit,
        badge_posted=data.badge_posted, notes=data.notes, branch_id=data.branch_id,
        status=FindingStatus.pending.value,
        reported_by=principal.id if principal.kind == "user" else None,
    )
    session.add(finding)
    await session.flush()
    await audit.record(session, principal, "finding.create", "member_finding", finding.id,
                       org_path=finding.org_path)
    return finding


def _decide(principal: Principal, finding: MemberFinding, branch_path: str | None) -> None:
    """Only from pending, and only by `members:verify` over the branch (else where found)."""
    authorize(principal, Perm.member_verify, branch_path or finding.org_path,
              not_found=FindingNotFound())
    if finding.status != FindingStatus.pending:
        raise FindingNotPending()


async def _target_org(session: AsyncSession, principal: Principal, finding: MemberFinding,
                      data: FindingVerify) -> Org:
    if data.org_id is not None:
        return await members.party_org(session, principal, data.org_id, field="org_id",
                                       permission=Perm.member_verify)
    org = await repo.org_by_id(session, finding.branch_id or finding.org_id)
    assert org is not None  # foreign keys with ON DELETE RESTRICT
    return org


def _new_member(finding: MemberFinding, org: Org, cipher: FieldCipher, category: Category,
                status: str) -> Member:
    # Findings and members share the encryption context, so the ciphertexts carry over.
    born = birth_date_of(cipher.decrypt(finding.id_number_cipher, context=ID_CONTEXT))
    return Member(**members.org_columns(org), name=finding.name, gender=finding.gender,
                  birth_date=born, id_number_cipher=finding.id_number_cipher,
                  id_number_index=finding.id_number_index, phone_cipher=finding.phone_cipher,
                  phone_index=finding.phone_index, status=status, category=category.value,
                  work_unit=finding.work_unit, badge_posted=finding.badge_posted)


def _reclassify(principal: Principal, member: Member, finding: MemberFinding, org: Org | None,
                category: Category, status: str | None) -> None:
    if not any(covers(p, member.org_path) for p in scope_paths(principal, Perm.member_verify)):
        raise MemberHeldElsewhere()
    member.category = category.value
    member.badge_posted = member.badge_posted or finding.badge_posted
    member.work_unit = member.work_unit or finding.work_unit
    if status == "full":  # probationary → full only; a full member stays full
        member.status = status
    if org is not None:
        for key, value in members.org_columns(org).items():
            setattr(member, key, value)


async def verify(session: AsyncSession, principal: Principal, cipher: FieldCipher,
                 finding: MemberFinding, branch_path: str | None, data: FindingVerify
                 ) -> MemberFinding:
    _decide(principal, finding, branch_path)
    category = data.category or Category(finding.category_found)
    member = await repo.member_by_index(session, finding.id_number_index)
    if member is None:
        org = await _target_org(session, principal, finding, data)
        member = _new_member(finding, org, cipher, category, data.status or "full")
        await members.add_member(session, member)
    else:
        moved = (await members.party_org(session, principal, data.org_id, field="org_id",
                                         permission=Perm.member_verify)
                 if data.org_id is not None else None)
        _reclassify(principal, member, finding, moved, category, data.status)
    _close(principal, finding, FindingStatus.verified)
    finding.member_id = member.id
    await flush_versioned(session)
    await audit.record(session, principal, "finding.verify", "member_finding", finding.id,
                       org_path=finding.org_path, detail={"member_id": member.id})
    return finding


async def reject(session: AsyncSession, principal: Principal, finding: MemberFinding,
                 branch_path: str | None, data: FindingReject) -> MemberFinding:
    _decide(principal, finding, branch_path)
    _close(principal, finding, FindingStatus.rejected)
    finding.reason = data.reason
    await flush_versioned(session)
    await audit.record(session, principal, "finding.reject", "member_finding", finding.id,
                       org_path=finding.org_path)
    return finding


def _close(principal: Principal, finding: MemberFinding, status: FindingStatus) -> None:
    finding.status = status.value
    finding.decided_by = principal.id if principal.kind == "user" else None
    finding.decided_at = utcnow()


async def list_findings(session: AsyncSession, principal: Principal, *, org_id: int | None,
                        status: FindingStatus | None, category_found: Category | None,
                        page: PageParams) -> list[MemberFinding]:
    filters: list[Any] = []
    if org_id is not None:
        org = await repo.org_visible(session, principal, org_id)
        if org is None:
            return []
        filters.append(in_paths(MemberFinding.org_path, [org.path]))
    if status is not None:
        filters.append(MemberFinding.status == status.value)
    if category_found is not None:
        filters.append(MemberFinding.category_found == category_found.value)
    return await repo.list_findings(session, principal, filters=filters, page=page)


def finding_read(finding: MemberFinding, cipher: FieldCipher) -> FindingRead:
    id_number = cipher.decrypt(finding.id_number_cipher, context=ID_CONTEXT)
    phone = (cipher.decrypt(finding.phone_cipher, context=PHONE_CONTEXT)
             if finding.phone_cipher else None)
    category = Category(finding.category_found)
    return FindingRead(
        id=finding.id, org_id=finding.org_id, org_path=finding.org_path,
        street_id=finding.street_id, community_id=finding.community_id,
        name=mask_name(finding.name) or "", gender=finding.gender,
        id_number=mask_id_number(id_number) or "", phone=mask_phone(phone),
        category_found=category, category_label=CATEGORY_LABELS[category],
        work_unit=finding.work_unit, badge_posted=finding.badge_posted,
        branch_id=finding.branch_id, notes=finding.notes,
        status=FindingStatus(finding.status), reported_by=finding.reported_by,
        decided_by=finding.decided_by, decided_at=finding.decided_at, reason=finding.reason,
        member_id=finding.member_id, version=finding.version, created_at=finding.created_at,
        updated_at=finding.updated_at,
    )


# --- the campaign's counts ------------------------------------------------------------------

def _add(counts: CampaignCounts, status: str, category: str, badge: bool, n: int) -> None:
    counts.found += n
    setattr(counts, status, getattr(counts, status) + n)
    counts.by_category[Category(category)] += n
    if badge and status != FindingStatus.rejected:
        counts.badges_posted += n


def _area(org: Org) -> CampaignArea:
    return CampaignArea(org_id=org.id, kind=org.kind, name=org.name)


def _owner(path: str, by_path: dict[str, CampaignArea]) -> CampaignArea | None:
    """The nearest business district or community at or above `path`."""
    parts = path.strip("/").split("/")
    for depth in range(len(parts), 0, -1):
        found = by_path.get("/" + "/".join(parts[:depth]) + "/")
        if found is not None:
            return found
    return None


async def summary(session: AsyncSession, principal: Principal, org_id: int | None
                  ) -> CampaignSummary:
    under = None
    if org_id is not None:
        under = (await orgs.get(session, principal, org_id, Perm.member_read)).path
    kinds = (OrgKind.business_district.value, OrgKind.community.value)
    nodes = await repo.areas(session, principal, under, kinds)
    areas = {o.path: _area(o) for o in nodes}
    # A business district's own findings and its enterprises' count for it; the rest for the
    # community they were found in.
    districts = {o.path: areas[o.path] for o in nodes if o.kind == OrgKind.business_district}
    total = CampaignCounts()
    touched: set[int] = set()
    for path, status, category, badge, n in await repo.finding_counts(session, principal, under):
        _add(total, status, category, badge, n)
        owner = _owner(path, districts) or _owner(path, areas)
        if owner is not None:
            _add(owner, status, category, badge, n)
            touched.add(owner.org_id)
    return CampaignSummary(
        org_id=org_id, total=total,
        business_districts=list(districts.values()),
        communities=[a for a in areas.values()
                     if a.kind == OrgKind.community and a.org_id in touched],
    )
