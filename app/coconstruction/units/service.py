"""District units (区直单位) and their registrations with communities (单位到社区报到).

Visibility: a unit is read by whoever holds `units:read` on the node it sits under (the district,
or the unit's own `agency` node, where its liaison is assigned). Street and community staff do not
see district units through `/units`: a community sees the units registered with it through
`GET /communities/{id}/units`, which is read through the registration's (the community's) path.

Registering: the caller must see the unit (else 404) and hold `units:write` on the unit or on the
community. One active registration per unit and community, enforced by the unique `active_key`.
The contact's phone is encrypted (FieldCipher) and masked, with the name, in every response.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.coconstruction import repository as shared
from app.coconstruction.access import (
    COMMUNITY,
    UNIT_HOMES,
    authorize_either,
    no_nulls,
    referenced_org,
)
from app.coconstruction.schemas import UnitRegistrationCreate
from app.coconstruction.units import repository as repo
from app.coconstruction.units.errors import (
    AlreadyRegistered,
    CommunityNotFound,
    RegistrationNotActive,
    UnitCodeTaken,
    UnitNotFound,
    UnitRegistrationNotFound,
)
from app.coconstruction.units.schemas import RegisteredUnitRead, UnitCreate, UnitRead, UnitUpdate
from app.core import audit
from app.core.concurrency import flush_versioned
from app.core.crypto import FieldCipher, mask_name, mask_phone
from app.core.pagination import PageParams
from app.core.permissions import Perm
from app.core.scope import authorize
from app.core.security import Principal
from app.core.types import utcnow
from app.models import Org, Unit, UnitRegistration
from app.models.scoped import scope_from

PHONE_CONTEXT = "unit.contact_phone"












async def get(session: AsyncSession, principal: Principal, unit_id: int,
              permission: Perm = Perm.unit_read) -> Unit:
    unit = await repo.unit_visible(session, principal, unit_id)
    if unit is None:
        raise UnitNotFound()
    authorize(principal, permission, unit.org_path, not_found=UnitNotFound())
    return unit


def _encrypt(cipher: FieldCipher, phone: str | None) -> str | None:
    return cipher.encrypt(phone, context=PHONE_CONTEXT) if phone else None


async def _add_unique(session: AsyncSession, unit: Unit) -> None:
    """Insert or rewrite, turning a code taken by a concurrent request into 409."""
    try:
        async with session.begin_nested():
            session.add(unit)
            await session.flush()
    except IntegrityError:
        raise UnitCodeTaken() from None


async def create(session: AsyncSession, principal: Principal, cipher: FieldCipher,
                 data: UnitCreate) -> Unit:
    home = await referenced_org(session, principal, data.org_id, field="org_id",
                                kinds=UNIT_HOMES)
    authorize(principal, Perm.unit_write, home.path)
    if data.code and await repo.unit_by_code(session, data.code) is not None:
        raise UnitCodeTaken()
    unit = Unit(org_id=home.id, **scope_from(home, Unit), name=data.name,
                code=data.code, contact_name=data.contact_name,
                contact_phone_cipher=_encrypt(cipher, data.contact_phone))
    await _add_unique(session, unit)
    await audit.record(session, principal, "unit.create", "unit", unit.id,
                       org_path=unit.org_path)
    return unit


async def update(session: AsyncSession, principal: Principal, cipher: FieldCipher, unit: Unit,
                 data: UnitUpdate) -> Unit:
    fields = data.model_dump(exclude_unset=True)
    no_nulls(fields, ("name",))
    code = fields.get("code")
    if code and code != unit.code and await repo.unit_by_code(session, code) is not None:
        raise UnitCodeTaken()
    if "contact_phone" in fields:
        unit.contact_phone_cipher = _encrypt(cipher, fields.pop("contact_phone"))
    for name, value in fields.items():
        setattr(unit, name, value)
    try:
        async with session.begin_nested():
            await flush_versioned(session)
    except IntegrityError:
        raise UnitCodeTaken() from None
    # Field names only: the contact's name and phone are personal data.
    await audit.record(session, principal, "unit.update", "unit", unit.id,
                       org_path=unit.org_path, detail={"fields": sorted(data.model_fields_set)})
    return unit


async def list_units(session: AsyncSession, principal: Principal, *, org_id: int | None,
                     page: PageParams) -> list[Unit]:
    filters: list[Any] = [] if org_id is None else [Unit.org_id == org_id]
    return await repo.list_units(session, principal, filters=filters, page=page)


def unit_read(unit: Unit, cipher: FieldCipher) -> UnitRead:
    phone = (cipher.decrypt(unit.contact_phone_cipher, context=PHONE_CONTEXT)
             if unit.contact_phone_cipher else None)
    return UnitRead(id=unit.id, org_id=unit.org_id, org_path=unit.org_path,
                    street_id=unit.street_id, name=unit.name, code=unit.code,
                    contact_name=mask_name(unit.contact_name), contact_phone=mask_phone(phone),
                    version=unit.version, created_at=unit.created_at,
                    updated_at=unit.updated_at)


# --- registrations --------------------------------------------------------------------------

def _authorize_registration(principal: Principal, unit: Unit, community_path: str) -> None:
    # The unit is visible (checked by `get`); the right may come from either side.
    authorize_either(principal, Perm.unit_write, (unit.org_path, community_path),
                     UnitNotFound())


async def register(session: AsyncSession, principal: Principal, unit: Unit,
                   data: UnitRegistrationCreate) -> UnitRegistration:
    # Communities are public places: a unit's owner may register it with any of them.
    community = await referenced_org(session, principal, data.community_id,
                                     field="community_id", kinds=COMMUNITY, scoped=False)
    _authorize_registration(principal, unit, community.path)
    if await repo.active_registration(session, unit.id, community.id) is not None:
        raise AlreadyRegistered()
    reg = UnitRegistration(unit_id=unit.id, **scope_from(community), status="active",
                           active_key=f"{unit.id}:{community.id}",
                           registered_at=utcnow())
    try:
        async with session.begin_nested():
            session.add(reg)
    except IntegrityError:
        raise AlreadyRegistered() from None  # a concurrent registration won
    await audit.record(session, principal, "unit.register", "unit_registration", reg.id,
                       org_path=reg.org_path, detail={"unit_id": unit.id})
    return reg


async def get_registration(session: AsyncSession, unit: Unit, reg_id: int) -> UnitRegistration:
    reg = await repo.registration(session, unit.id, reg_id)
    if reg is None:
        raise UnitRegistrationNotFound()
    return reg


async def list_registrations(session: AsyncSession, unit: Unit, *, status: str | None,
                             page: PageParams) -> list[UnitRegistration]:
    return await repo.list_registrations(session, unit.id, status=status, page=page)


async def end_registration(session: AsyncSession, principal: Principal, unit: Unit,
                           reg: UnitRegistration) -> UnitRegistration:
    _authorize_registration(principal, unit, reg.org_path)
    if reg.status != "active":
        raise RegistrationNotActive()
    reg.status, reg.ended_at, reg.active_key = "ended", utcnow(), None
    await flush_versioned(session)
    await audit.record(session, principal, "unit.registration_end", "unit_registration",
                       reg.id, org_path=reg.org_path, detail={"unit_id": unit.id})
    return reg


async def community(session: AsyncSession, principal: Principal, community_id: int) -> Org:
    org = await shared.org(session, community_id)
    if org is None or org.kind not in COMMUNITY:
        raise CommunityNotFound()
    authorize(principal, Perm.unit_read, org.path, not_found=CommunityNotFound())
    return org


async def community_units(session: AsyncSession, principal: Principal, cipher: FieldCipher,
                          org: Org, page: PageParams) -> list[RegisteredUnitRead]:
    rows = await repo.community_units(session, principal, org.id, page=page)
    return [RegisteredUnitRead(**unit_read(u, cipher).model_dump(), registration_id=r.id,
                               registered_at=r.registered_at) for u, r in rows]


async def exists(session: AsyncSession, unit_id: int) -> bool:
    """Unscoped: units are public district agencies, naming one reveals nothing personal."""
    return await repo.unit_exists(session, unit_id) is not None


async def registered(session: AsyncSession, unit_id: int, community_id: int) -> bool:
    """The unit is actively registered with the community."""
    return await repo.active_registration(session, unit_id, community_id) is not None
