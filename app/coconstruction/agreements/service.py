"""Co-construction agreements (共驻共建协议): their projects, and the reports back (双报告).

- The community side signs: `units:write` at the community, and the unit must be actively
  registered there (else 422 `unit_not_registered`, the same answer whether or not such a unit
  exists, so unit ids cannot be probed).
- An agreement is read by `units:read` at its community or at its unit's node (the liaison's
  view); writes take `units:write` on either side.
- Status: active → completed | ended, nothing after. Projects: planned → in_progress → done.
- Reports: side `unit` needs `agreements:report` on the unit's node (its liaison), side
  `community` on the community (its staff); the other side's report is 403.
- A project's owner is usually a person's name: it is masked in every response.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.coconstruction.access import (
    COMMUNITY,
    authorize_either,
    check_dates,
    holds_on_any,
    no_nulls,
    referenced_org,
)
from app.coconstruction.agreements import repository as repo
from app.coconstruction.agreements.errors import (
    AgreementInvalidTransition,
    AgreementNotActive,
    AgreementNotFound,
    ProjectInvalidTransition,
    ProjectNotFound,
    ReportSideForbidden,
    UnitNotRegistered,
)
from app.coconstruction.agreements.schemas import (
    AgreementCreate,
    AgreementRead,
    AgreementUpdate,
    ProjectCreate,
    ProjectRead,
    ProjectUpdate,
    ReportCreate,
)
from app.coconstruction.units import service as units
from app.core import audit
from app.core.concurrency import flush_versioned
from app.core.crypto import mask_name
from app.core.pagination import PageParams
from app.core.permissions import Perm
from app.core.scope import authorize
from app.core.security import Principal
from app.core.types import utcnow
from app.models import Agreement, AgreementProject, AgreementReport
from app.models.scoped import scope_from

AGREEMENT_STEPS = {"active": {"completed", "ended"}}
PROJECT_STEPS = {"planned": {"in_progress"}, "in_progress": {"done"}}
















async def get(session: AsyncSession, principal: Principal, agreement_id: int,
              permission: Perm = Perm.unit_read) -> tuple[Agreement, str]:
    """The agreement and its unit's path (the second side it is reached from)."""
    found = await repo.agreement_visible(session, principal, agreement_id)
    if found is None:
        raise AgreementNotFound()
    agreement, unit_path = found
    authorize_either(principal, permission, (agreement.org_path, unit_path),
                     AgreementNotFound())
    return agreement, unit_path


def _project(agreement_id: int, data: ProjectCreate) -> AgreementProject:
    return AgreementProject(agreement_id=agreement_id, name=data.name, owner=data.owner,
                            starts_on=data.starts_on, ends_on=data.ends_on, status="planned")


async def create(session: AsyncSession, principal: Principal, data: AgreementCreate
                 ) -> tuple[Agreement, list[AgreementProject]]:
    community = await referenced_org(session, principal, data.community_id,
                                     field="community_id", kinds=COMMUNITY)
    authorize(principal, Perm.unit_write, community.path)
    check_dates(data.starts_on, data.ends_on)
    for i, p in enumerate(data.projects):
        check_dates(p.starts_on, p.ends_on, f"projects.{i}.ends_on")
    if not await units.registered(session, data.unit_id, community.id):
        raise UnitNotRegistered()
    agreement = Agreement(
        unit_id=data.unit_id, **scope_from(community), title=data.title, resources=data.resources,
        needs=data.needs, starts_on=data.starts_on, ends_on=data.ends_on, status="active",
        signed_by=principal.id if principal.kind == "user" else None)
    session.add(agreement)
    await session.flush()
    projects = [_project(agreement.id, p) for p in data.projects]
    session.add_all(projects)
    await session.flush()
    await audit.record(session, principal, "agreement.create", "agreement", agreement.id,
                       org_path=agreement.org_path, detail={"unit_id": agreement.unit_id})
    return agreement, projects


async def update(session: AsyncSession, principal: Principal, agreement: Agreement,
                 data: AgreementUpdate) -> Agreement:
    fields = data.model_dump(exclude_unset=True)
    no_nulls(fields, ("title", "resources", "needs", "status"))
    status = fields.get("status")
    if status is not None and status != agreement.status:
        if status not in AGREEMENT_STEPS.get(agreement.status, set()):
            raise AgreementInvalidTransition()
    check_dates(agreement.starts_on, fields.get("ends_on", agreement.ends_on))
    for name, value in fields.items():
        setattr(agreement, name, value)
    await flush_versioned(session)
    await audit.record(session, principal, "agreement.update", "agreement", agreement.id,
                       org_path=agreement.org_path, detail={"fields": sorted(fields)})
    return agreement


async def add_project(session: AsyncSession, principal: Principal, agreement: Agreement,
                      data: ProjectCreate) -> AgreementProject:
    if agreement.status != "active":
        raise AgreementNotActive()
    check_dates(data.starts_on, data.ends_on)
    project = _project(agreement.id, data)
    session.add(project)
    await session.flush()
    await audit.record(session, principal, "agreement.project_add", "agreement_project",
                       project.id, org_path=agreement.org_path)
    return project


async def get_project(session: AsyncSession, agreement: Agreement, project_id: int
                      ) -> AgreementProject:
    project = await repo.project(session, agreement.id, project_id)
    if project is None:
        raise ProjectNotFound()
    return project


async def update_project(session: AsyncSession, principal: Principal, agreement: Agreement,
                         project: AgreementProject, data: ProjectUpdate) -> AgreementProject:
    fields = data.model_dump(exclude_unset=True)
    no_nulls(fields, ("name", "owner", "status"))
    status = fields.get("status")
    if status is not None and status != project.status:
        if status not in PROJECT_STEPS.get(project.status, set()):
            raise ProjectInvalidTransition()
    check_dates(fields.get("starts_on", project.starts_on),
                fields.get("ends_on", project.ends_on))
    for name, value in fields.items():
        setattr(project, name, value)
    await flush_versioned(session)
    await audit.record(session, principal, "agreement.project_update", "agreement_project",
                       project.id, org_path=agreement.org_path,
                       detail={"fields": sorted(fields)})
    return project


async def report(session: AsyncSession, principal: Principal, agreement: Agreement,
                 unit_path: str, data: ReportCreate) -> AgreementReport:
    side_path = unit_path if data.side == "unit" else agreement.org_path
    if not holds_on_any(principal, Perm.agreement_report, (side_path,)):
        raise ReportSideForbidden()
    row = AgreementReport(agreement_id=agreement.id, side=data.side, period=data.period,
                          summary=data.summary,
                          author_id=principal.id if principal.kind == "user" else None,
                          created_at=utcnow())
    session.add(row)
    await session.flush()
    await audit.record(session, principal, "agreement.report", "agreement_report", row.id,
                       org_path=agreement.org_path, detail={"side": data.side})
    return row


async def list_page(session: AsyncSession, principal: Principal, *, filters: list[Any],
                    page: PageParams) -> list[Agreement]:
    return await repo.list_agreements(session, principal, filters=filters, page=page)


async def list_reports(session: AsyncSession, agreement: Agreement, *, side: str | None,
                       page: PageParams) -> list[AgreementReport]:
    return await repo.list_reports(session, agreement.id, side=side, page=page)


def list_filters(*, community_id: int | None, unit_id: int | None, status: str | None
                 ) -> list[Any]:
    out: list[Any] = []
    if community_id is not None:
        out.append(Agreement.community_id == community_id)
    if unit_id is not None:
        out.append(Agreement.unit_id == unit_id)
    if status is not None:
        out.append(Agreement.status == status)
    return out


def project_read(p: AgreementProject) -> ProjectRead:
    return ProjectRead(id=p.id, agreement_id=p.agreement_id, name=p.name,
                       owner=mask_name(p.owner) or "", starts_on=p.starts_on,
                       ends_on=p.ends_on, status=p.status,
                       version=p.version, created_at=p.created_at, updated_at=p.updated_at)


def agreement_read(a: Agreement, projects: list[AgreementProject]) -> AgreementRead:
    return AgreementRead(
        id=a.id, unit_id=a.unit_id, community_id=a.community_id, street_id=a.street_id,
        org_path=a.org_path, title=a.title, resources=list(a.resources), needs=list(a.needs),
        starts_on=a.starts_on, ends_on=a.ends_on, status=a.status,
        signed_by=a.signed_by, projects=[project_read(p) for p in projects],
        version=a.version, created_at=a.created_at, updated_at=a.updated_at)


async def reads(session: AsyncSession, rows: list[Agreement]) -> list[AgreementRead]:
    """A page of agreements with their projects: one statement for all the projects."""
    projects = await repo.projects_of(session, [a.id for a in rows])
    return [agreement_read(a, projects[a.id]) for a in rows]
