"""SQL for agreements, their projects and reports: an agreement is reached by its community's
path or its unit's (`readable_rows`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.coconstruction.repository import readable_rows
from app.core.pagination import PageParams, keyset
from app.core.scope import in_paths, visible_paths
from app.core.security import Principal
from app.models import Agreement, AgreementProject, AgreementReport, Unit


async def agreement_visible(session: AsyncSession, principal: Principal, agreement_id: int
                            ) -> tuple[Agreement, str] | None:
    """The agreement and its unit's path, if any grant covers either."""
    seen = visible_paths(principal)
    stmt = (select(Agreement, Unit.org_path).join(Unit, Unit.id == Agreement.unit_id)
            .where(Agreement.id == agreement_id,
                   or_(in_paths(Agreement.org_path, seen), in_paths(Unit.org_path, seen))))
    row = (await session.execute(stmt)).one_or_none()
    return (row[0], row[1]) if row else None


async def list_agreements(session: AsyncSession, principal: Principal, *, filters: list[Any],
                          page: PageParams) -> list[Agreement]:
    stmt = select(Agreement).where(readable_rows(principal, Agreement), *filters)
    return list((await session.execute(keyset(stmt, [(Agreement.id, True)], page))).scalars())


async def projects_of(session: AsyncSession, agreement_ids: list[int]
                      ) -> dict[int, list[AgreementProject]]:
    """One statement for a whole page of agreements."""
    out: dict[int, list[AgreementProject]] = {i: [] for i in agreement_ids}
    if not agreement_ids:
        return out
    stmt = (select(AgreementProject).where(AgreementProject.agreement_id.in_(agreement_ids))
            .order_by(AgreementProject.id))
    for p in (await session.execute(stmt)).scalars():
        out[p.agreement_id].append(p)
    return out


async def project(session: AsyncSession, agreement_id: int, project_id: int
                  ) -> AgreementProject | None:
    stmt = select(AgreementProject).where(AgreementProject.id == project_id,
                                          AgreementProject.agreement_id == agreement_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_reports(session: AsyncSession, agreement_id: int, *, side: str | None,
                       page: PageParams) -> list[AgreementReport]:
    stmt = select(AgreementReport).where(AgreementReport.agreement_id == agreement_id)
    if side is not None:
        stmt = stmt.where(AgreementReport.side == side)
    keys = [(AgreementReport.id, True)]
    return list((await session.execute(keyset(stmt, keys, page))).scalars())
