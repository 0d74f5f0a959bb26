"""The people-and-house register: buildings in a grid, households in a building, residents in a
household. Rows copy the grid's scope columns.

Personal data: ID-card and phone numbers are encrypted (FieldCipher, AES-GCM with a key id) and
blind-indexed for exact lookup and uniqueness; every read masks them and the name, for every role.
Full values come only from `reveal`, which needs `residents:reveal` at the resident, a purpose,
is rate-limited per user and writes an audit row that holds the purpose, never the values.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import audit
from app.core.crypto import FieldCipher, mask_id_number, mask_name, mask_phone
from app.core.errors import NotFound, field_error
from app.core.geo import Crs, from_wgs84, to_wgs84
from app.core.pagination import PageParams
from app.core.permissions import Perm
from app.core.ratelimit import RateLimits
from app.core.reveal import reveal_fields
from app.core.scope import authorize, sees
from app.core.security import Principal
from app.grids import service as grids
from app.models import Building, Grid, Household, Resident
from app.models.scoped import scope_from
from app.people import repository as repo
from app.people.errors import BuildingNotFound, HouseholdNotFound, ResidentExists, ResidentNotFound
from app.people.idcard import normalize_id_number
from app.people.schemas import (
    TAG_LABELS,
    BuildingCreate,
    BuildingRead,
    HouseholdCreate,
    ResidentCreate,
    ResidentRead,
    ResidentRevealed,
    ResidentTag,
    TagRead,
)

ID_CONTEXT = "resident.id_number"
PHONE_CONTEXT = "resident.phone"


async def _get(session: AsyncSession, principal: Principal, model: Any, row_id: int,
               not_found: NotFound, permission: Perm) -> Any:
    row = await repo.get_visible(session, principal, model, row_id)
    if row is None:
        raise not_found
    authorize(principal, permission, row.org_path, not_found=not_found)
    return row


async def get_building(session: AsyncSession, principal: Principal, building_id: int) -> Building:
    building: Building = await _get(session, principal, Building, building_id,
                                    BuildingNotFound(), Perm.people_read)
    return building


async def get_household(session: AsyncSession, principal: Principal, household_id: int
                        ) -> Household:
    household: Household = await _get(session, principal, Household, household_id,
                                      HouseholdNotFound(), Perm.people_read)
    return household


async def get_resident(session: AsyncSession, principal: Principal, resident_id: int,
                       permission: Perm = Perm.people_read) -> Resident:
    resident: Resident = await _get(session, principal, Resident, resident_id,
                                    ResidentNotFound(), permission)
    return resident


async def _parent(session: AsyncSession, principal: Principal, model: Any, row_id: int,
                  field: str) -> Any:
    """The row a new one goes under: one the caller cannot see reads like a missing one (422
    naming the field); a visible one without `people:write` there is 403."""
    row = await (grids.by_id(session, row_id) if model is Grid else session.get(model, row_id))
    if row is None or not sees(principal, row.org_path):
        raise field_error(field, "所属对象不存在", f"No such {field.removesuffix('_id')}")
    authorize(principal, Perm.people_write, row.org_path)
    return row


def _scope_of(parent: Grid | Building | Household) -> dict[str, Any]:
    grid_id = parent.id if isinstance(parent, Grid) else parent.grid_id
    return {"grid_id": grid_id, **scope_from(parent)}


async def create_building(session: AsyncSession, principal: Principal, data: BuildingCreate
                          ) -> Building:
    grid: Grid = await _parent(session, principal, Grid, data.grid_id, "grid_id")
    lng, lat = data.lng, data.lat
    if lng is not None and lat is not None:
        lng, lat = to_wgs84(lng, lat, data.crs)
    building = Building(**_scope_of(grid), name=data.name, address=data.address, lng=lng, lat=lat,
                        floors=data.floors, units=data.units)
    session.add(building)
    await session.flush()
    await audit.record(session, principal, "building.create", "building", building.id,
                       org_path=building.org_path)
    return building


async def create_household(session: AsyncSession, principal: Principal, data: HouseholdCreate
                           ) -> Household:
    building: Building = await _parent(session, principal, Building, data.building_id,
                                       "building_id")
    household = Household(**_scope_of(building), building_id=building.id, unit_no=data.unit_no,
                          room=data.room, size=data.size)
    session.add(household)
    await session.flush()
    await audit.record(session, principal, "household.create", "household", household.id,
                       org_path=household.org_path)
    return household


async def create_resident(session: AsyncSession, principal: Principal, cipher: FieldCipher,
                          data: ResidentCreate) -> Resident:
    household: Household = await _parent(session, principal, Household, data.household_id,
                                         "household_id")
    index = cipher.blind_index(data.id_number, context=ID_CONTEXT)
    if await repo.resident_by_index(session, index) is not None:
        raise ResidentExists()
    resident = Resident(
        **_scope_of(household), household_id=household.id, name=data.name, gender=data.gender,
        id_number_cipher=cipher.encrypt(data.id_number, context=ID_CONTEXT),
        id_number_index=index, birth_date=data.birth_date, ethnicity=data.ethnicity,
        relation_to_head=data.relation_to_head, tags=[tag.value for tag in data.tags],
        phone_cipher=cipher.encrypt(data.phone, context=PHONE_CONTEXT) if data.phone else None,
        phone_index=cipher.blind_index(data.phone, context=PHONE_CONTEXT) if data.phone else None,
    )
    try:
        async with session.begin_nested():
            session.add(resident)
    except IntegrityError:
        raise ResidentExists() from None  # a concurrent registration of the same person won
    # The audit row names the resident by id only: no name, ID or phone.
    await audit.record(session, principal, "resident.create", "resident", resident.id,
                       org_path=resident.org_path)
    return resident


async def list_buildings(session: AsyncSession, principal: Principal, *, grid_id: int | None,
                         page: PageParams) -> list[Building]:
    filters = [] if grid_id is None else [Building.grid_id == grid_id]
    return await repo.list_page(session, principal, Building, filters=filters, page=page)


async def list_households(session: AsyncSession, principal: Principal, *,
                          building_id: int | None, page: PageParams) -> list[Household]:
    filters = [] if building_id is None else [Household.building_id == building_id]
    return await repo.list_page(session, principal, Household, filters=filters, page=page)


async def list_residents(session: AsyncSession, principal: Principal, cipher: FieldCipher, *,
                         household_id: int | None, id_number: str | None, page: PageParams
                         ) -> list[Resident]:
    filters: list[Any] = []
    if household_id is not None:
        filters.append(Resident.household_id == household_id)
    if id_number is not None:
        index = cipher.blind_index(normalize_id_number(id_number), context=ID_CONTEXT)
        filters.append(Resident.id_number_index == index)
    return await repo.list_page(session, principal, Resident, filters=filters, page=page)


def building_read(building: Building, crs: Crs = "wgs84") -> BuildingRead:
    """Stored in WGS-84, answered in `crs`."""
    read = BuildingRead.model_validate(building)
    if crs != "wgs84" and read.lng is not None and read.lat is not None:
        lng, lat = from_wgs84(read.lng, read.lat, crs)
        read = read.model_copy(update={"lng": round(lng, 7), "lat": round(lat, 7), "crs": crs})
    return read


def _age(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def resident_read(resident: Resident, cipher: FieldCipher) -> ResidentRead:
    """The masked view every role gets."""
    id_number = cipher.decrypt(resident.id_number_cipher, context=ID_CONTEXT)
    phone = (cipher.decrypt(resident.phone_cipher, context=PHONE_CONTEXT)
             if resident.phone_cipher else None)
    return ResidentRead(
        id=resident.id, household_id=resident.household_id, grid_id=resident.grid_id,
        community_id=resident.community_id, street_id=resident.street_id,
        org_path=resident.org_path, name=mask_name(resident.name) or "",
        gender=resident.gender,
        id_number=mask_id_number(id_number) or "", phone=mask_phone(phone),
        age=_age(resident.birth_date, date.today()), ethnicity=resident.ethnicity,
        relation_to_head=resident.relation_to_head,
        tags=[TagRead(code=ResidentTag(c), label=TAG_LABELS[ResidentTag(c)])
              for c in resident.tags],
        version=resident.version, created_at=resident.created_at,
        updated_at=resident.updated_at,
    )


async def reveal(session: AsyncSession, principal: Principal, resident_id: int, *,
                 cipher: FieldCipher, limits: RateLimits, purpose: str, ip: str
                 ) -> ResidentRevealed:
    """Full values for a stated purpose: 404 outside, 403 without `residents:reveal` there, 429
    past the per-user limit (app/core/reveal.py). The audit row records who, which resident,
    why and from where."""
    resident = await get_resident(session, principal, resident_id, Perm.resident_reveal)
    plain = await reveal_fields(
        session, principal, cipher=cipher, limits=limits, object_type="resident",
        object_id=resident.id, org_path=resident.org_path, purpose=purpose, ip=ip,
        sealed={"id_number": (resident.id_number_cipher, ID_CONTEXT),
                "phone": (resident.phone_cipher, PHONE_CONTEXT)},
    )
    return ResidentRevealed(id=resident.id, name=resident.name, birth_date=resident.birth_date,
                            id_number=plain["id_number"] or "", phone=plain["phone"])
