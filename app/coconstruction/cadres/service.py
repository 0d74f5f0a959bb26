"""Seconded cadres (下沉干部): section-level (科级) and general (一般) cadres sent from a unit to
a street (town) or community for a period.

A cadre is scoped by the org served: `units:write` there registers and edits them, `units:read`
there (or on the sending unit's node, the unit's own roster) reads them. The sending unit is
named by id; units are public district agencies, so referencing one reveals nothing personal.
Name and phone are personal data: the phone is encrypted, both are masked in every response.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import or_
from sqlalchemy.ext.asyncio import AsyncSession

from app.coconstruction import repository as shared
from app.coconstruction.access import (
    STREET_OR_COMMUNITY,
    authorize_either,
    check_dates,
    no_nulls,
    referenced_org,
)
from app.coconstruction.cadres import repository as repo
from app.coconstruction.cadres.errors import CadreNotFound, SummaryOrgNotFound
from app.coconstruction.cadres.schemas import (
    CadreCreate,
    CadreRead,
    CadreSummary,
    CadreUpdate,
    RankCounts,
    SummaryRow,
)
from app.coconstruction.units import service as units
from app.core import audit
from app.core.concurrency import flush_versioned
from app.core.crypto import FieldCipher, mask_name, mask_phone
from app.core.errors import field_error
from app.core.pagination import PageParams
from app.core.permissions import Perm
from app.core.scope import authorize, sees
from app.core.security import Principal
from app.models import Cadre, Org
from app.models.scoped import scope_from

PHONE_CONTEXT = "cadre.phone"






async def get(session: AsyncSession, principal: Principal, cadre_id: int,
              permission: Perm = Perm.unit_read) -> Cadre:
    found = await repo.cadre_visible(session, principal, cadre_id)
    if found is None:
        raise CadreNotFound()
    cadre, unit_path = found
    authorize_either(principal, permission, (cadre.org_path, unit_path), CadreNotFound())
    return cadre


def _encrypt(cipher: FieldCipher, phone: str | None) -> str | None:
    return cipher.encrypt(phone, context=PHONE_CONTEXT) if phone else None


async def _check_refs(session: AsyncSession, principal: Principal, data: CadreCreate) -> None:
    if not await units.exists(session, data.unit_id):
        raise field_error("unit_id", "单位不存在", "No such unit")
    if data.user_id is not None:
        user = await repo.user(session, data.user_id)
        if user is None or not sees(principal, user.org_path):
            raise field_error("user_id", "用户不存在", "No such user")


async def create(session: AsyncSession, principal: Principal, cipher: FieldCipher,
                 data: CadreCreate) -> Cadre:
    served = await referenced_org(session, principal, data.org_id, field="org_id",
                                  kinds=STREET_OR_COMMUNITY)
    authorize(principal, Perm.unit_write, served.path)
    check_dates(data.starts_on, data.ends_on)
    await _check_refs(session, principal, data)
    cadre = Cadre(unit_id=data.unit_id, org_id=served.id, **scope_from(served), name=data.name,
                  rank=data.rank, position=data.position,
                  phone_cipher=_encrypt(cipher, data.phone), user_id=data.user_id,
                  starts_on=data.starts_on, ends_on=data.ends_on)
    session.add(cadre)
    await session.flush()
    await audit.record(session, principal, "cadre.create", "seconded_cadre", cadre.id,
                       org_path=cadre.org_path, detail={"unit_id": cadre.unit_id})
    return cadre


async def update(session: AsyncSession, principal: Principal, cipher: FieldCipher,
                 cadre: Cadre, data: CadreUpdate) -> Cadre:
    fields = data.model_dump(exclude_unset=True)
    no_nulls(fields, ("name", "rank", "starts_on"))
    check_dates(fields.get("starts_on", cadre.starts_on), fields.get("ends_on", cadre.ends_on))
    if "phone" in fields:
        cadre.phone_cipher = _encrypt(cipher, fields.pop("phone"))
    for name, value in fields.items():
        setattr(cadre, name, value)
    await flush_versioned(session)
    # Field names only: name and phone are personal data.
    await audit.record(session, principal, "cadre.update", "seconded_cadre", cadre.id,
                       org_path=cadre.org_path, detail={"fields": sorted(data.model_fields_set)})
    return cadre


async def list_page(session: AsyncSession, principal: Principal, *, filters: list[Any],
                    page: PageParams) -> list[Cadre]:
    return await repo.list_cadres(session, principal, filters=filters, page=page)


def list_filters(*, org_id: int | None, unit_id: int | None, rank: str | None,
                 active_on: date | None) -> list[Any]:
    out: list[Any] = []
    if org_id is not None:  # served at the org itself or anywhere under its street/community
        out.append(or_(Cadre.org_id == org_id, Cadre.street_id == org_id,
                       Cadre.community_id == org_id))
    if unit_id is not None:
        out.append(Cadre.unit_id == unit_id)
    if rank is not None:
        out.append(Cadre.rank == rank)
    if active_on is not None:
        out.append(repo.active_on(active_on))
    return out


def cadre_read(cadre: Cadre, cipher: FieldCipher) -> CadreRead:
    phone = (cipher.decrypt(cadre.phone_cipher, context=PHONE_CONTEXT)
             if cadre.phone_cipher else None)
    return CadreRead(
        id=cadre.id, unit_id=cadre.unit_id, org_id=cadre.org_id, org_path=cadre.org_path,
        street_id=cadre.street_id, community_id=cadre.community_id,
        name=mask_name(cadre.name) or "", rank=cadre.rank,
        position=cadre.position, phone=mask_phone(phone), user_id=cadre.user_id,
        starts_on=cadre.starts_on, ends_on=cadre.ends_on, version=cadre.version,
        created_at=cadre.created_at, updated_at=cadre.updated_at)


async def _summary_root(session: AsyncSession, principal: Principal, org_id: int) -> Org:
    org = await shared.org(session, org_id)
    if org is None:
        raise SummaryOrgNotFound()
    authorize(principal, Perm.unit_read, org.path, not_found=SummaryOrgNotFound())
    return org


async def summary(session: AsyncSession, principal: Principal, *, org_id: int | None,
                  day: date) -> CadreSummary:
    """Counts by rank per community (cadres serving it) and per street (cadres serving the
    street itself), in the caller's scope and under `org_id`: a constant number of statements
    whatever the number of cadres or orgs."""
    under = (await _summary_root(session, principal, org_id)).path if org_id else None
    counts = await repo.cadre_counts(session, principal, under=under, day=day)
    groups: dict[tuple[str, int], RankCounts] = defaultdict(RankCounts)
    totals = RankCounts()
    for street_id, community_id, rank, n in counts:
        key = ("community", community_id) if community_id else ("street", street_id or 0)
        for bucket in (groups[key], totals):
            setattr(bucket, rank, getattr(bucket, rank) + n)
            bucket.total += n
    names = await repo.org_names(session, {i for _, i in groups})
    rows = [SummaryRow(org_id=i, name=names.get(i, ""), level=level,
                       **c.model_dump())
            for (level, i), c in sorted(groups.items(), key=lambda kv: (kv[0][1], kv[0][0]))]
    return CadreSummary(active_on=day, rows=rows, totals=totals)
