"""SQL for units, registrations, agreements and cadres, starting from the caller's scope.

Two ways to reach a row: by its own path (a unit by the node it sits under; a registration,
agreement or cadre by the street or community it concerns), and — for rows that name a unit — by
that unit's path, so whoever reads a unit (its liaison on the unit's node) reads its agreements
and cadres in every community. Both are `readable` conditions from `app/core/scope.py`.
"""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from sqlalchemy import Select, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from app.core.pagination import PageParams, keyset
from app.core.permissions import Perm
from app.core.scope import in_paths, readable, scope_paths, visible_paths
from app.core.security import Principal
from app.models import (
    Agreement,
    AgreementProject,
    AgreementReport,
    Cadre,
    Org,
    Unit,
    UnitRegistration,
    User,
)


def via_unit(principal: Principal, unit_col: Any, permission: Perm) -> ColumnElement[bool]:
    """`unit_col` names a unit on whose path the caller holds `permission`."""
    paths = scope_paths(principal, permission)
    if not paths:
        return false()
    cond: ColumnElement[bool] = unit_col.in_(select(Unit.id).where(in_paths(Unit.org_path,
                                                                             paths)))
    return cond


def readable_rows(principal: Principal, model: Any) -> ColumnElement[bool]:
    """The starting condition for agreements and cadres: by their own path or their unit's."""
    return or_(readable(principal, model.org_path, Perm.unit_read),
               via_unit(principal, model.unit_id, Perm.unit_read))


# --- orgs and users named in bodies (unscoped: the services decide what the caller may see) ---

async def org(session: AsyncSession, org_id: int) -> Org | None:
    return await session.get(Org, org_id)


async def user(session: AsyncSession, user_id: int) -> User | None:
    return await session.get(User, user_id)


async def org_names(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await session.execute(select(Org.id, Org.name).where(Org.id.in_(ids)))
    return {i: n for i, n in rows}


# --- units and registrations ----------------------------------------------------------------

async def unit_visible(session: AsyncSession, principal: Principal, unit_id: int) -> Unit | None:
    stmt = select(Unit).where(Unit.id == unit_id,
                              in_paths(Unit.org_path, visible_paths(principal)))
    return (await session.execute(stmt)).scalar_one_or_none()


async def unit_exists(session: AsyncSession, unit_id: int) -> Unit | None:
    return await session.get(Unit, unit_id)


async def unit_by_code(session: AsyncSession, code: str) -> Unit | None:
    """Unscoped: codes are unique across the district."""
    return (await session.execute(select(Unit).where(Unit.code == code))).scalar_one_or_none()


async def list_units(session: AsyncSession, principal: Principal, *, filters: list[Any],
                     page: PageParams) -> list[Unit]:
    stmt = select(Unit).where(readable(principal, Unit.org_path, Perm.unit_read), *filters)
    return list((await session.execute(keyset(stmt, [(Unit.id, False)], page))).scalars())


async def registration(session: AsyncSession, unit_id: int, reg_id: int
                       ) -> UnitRegistration | None:
    stmt = select(UnitRegistration).where(UnitRegistration.id == reg_id,
                                          UnitRegistration.unit_id == unit_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def active_registration(session: AsyncSession, unit_id: int, community_id: int
                              ) -> UnitRegistration | None:
    stmt = select(UnitRegistration).where(UnitRegistration.unit_id == unit_id,
                                          UnitRegistration.community_id == community_id,
                                          UnitRegistration.status == "active")
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_registrations(session: AsyncSession, unit_id: int, *, status: str | None,
                             page: PageParams) -> list[UnitRegistration]:
    """Of a unit the caller has already been authorized to read."""
    stmt = select(UnitRegistration).where(UnitRegistration.unit_id == unit_id)
    if status is not None:
        stmt = stmt.where(UnitRegistration.status == status)
    keys = [(UnitRegistration.id, False)]
    return list((await session.execute(keyset(stmt, keys, page))).scalars())


async def community_units(session: AsyncSession, principal: Principal, community_id: int, *,
                          page: PageParams) -> list[tuple[Unit, UnitRegistration]]:
    """Units actively registered with a community, read through the registration's path."""
    stmt: Select[Any] = cast(Select[Any], (
        select(Unit, UnitRegistration)
        .join(Unit, Unit.id == UnitRegistration.unit_id)
        .where(readable(principal, UnitRegistration.org_path, Perm.unit_read),
               UnitRegistration.community_id == community_id,
               UnitRegistration.status == "active")
    ))
    rows = await session.execute(keyset(stmt, [(UnitRegistration.id, False)], page))
    return [(u, r) for u, r in rows]


# --- agreements -----------------------------------------------------------------------------

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


# --- cadres ---------------------------------------------------------------------------------

async def cadre_visible(session: AsyncSession, principal: Principal, cadre_id: int
                        ) -> tuple[Cadre, str] | None:
    seen = visible_paths(principal)
    stmt = (select(Cadre, Unit.org_path).join(Unit, Unit.id == Cadre.unit_id)
            .where(Cadre.id == cadre_id,
                   or_(in_paths(Cadre.org_path, seen), in_paths(Unit.org_path, seen))))
    row = (await session.execute(stmt)).one_or_none()
    return (row[0], row[1]) if row else None


def active_on(day: date) -> ColumnElement[bool]:
    return (Cadre.starts_on <= day) & or_(Cadre.ends_on.is_(None), Cadre.ends_on >= day)


async def list_cadres(session: AsyncSession, principal: Principal, *, filters: list[Any],
                      page: PageParams) -> list[Cadre]:
    stmt = select(Cadre).where(readable_rows(principal, Cadre), *filters)
    return list((await session.execute(keyset(stmt, [(Cadre.id, False)], page))).scalars())


async def cadre_counts(session: AsyncSession, principal: Principal, *, under: str | None,
                       day: date) -> list[tuple[int | None, int | None, str, int]]:
    """(street_id, community_id, rank, count) of cadres serving on `day`, in one GROUP BY.
    Counted by the served org's path only: a summary is the streets' and communities' view."""
    stmt = (select(Cadre.street_id, Cadre.community_id, Cadre.rank, func.count())
            .where(readable(principal, Cadre.org_path, Perm.unit_read), active_on(day))
            .group_by(Cadre.street_id, Cadre.community_id, Cadre.rank))
    if under is not None:
        stmt = stmt.where(in_paths(Cadre.org_path, [under]))
    return [(s, c, r, n) for s, c, r, n in (await session.execute(stmt))]
