"""Building groups (楼栋党小组) and member households (党员中心户): org nodes under a grid branch,
tied to the register. A group covers buildings of its grid; a member household has its own home
and the 10–20 households around it that it looks after (1–30 accepted).

Each PUT replaces the whole set. A building is in at most one group and a household in at most
one member household's care (409 naming the conflict); everything must lie in the node's grid
(422 naming the field). A node of another kind reads as missing (404), like an unknown id.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import audit
from app.core.errors import NotFound, field_error
from app.core.permissions import Perm
from app.core.scope import authorize, covers
from app.core.security import Principal
from app.members import repository as repo
from app.members.errors import (
    BuildingGroupNotFound,
    BuildingInOtherGroup,
    HouseholdInOtherCare,
    MemberHouseholdNotFound,
)
from app.members.schemas import (
    BuildingBrief,
    GroupBuildingsIn,
    GroupBuildingsRead,
    HouseholdBrief,
    MemberHouseholdIn,
    MemberHouseholdRead,
)
from app.models import Building, Household, Org
from app.orgs.schemas import OrgKind


async def _node(session: AsyncSession, principal: Principal, node_id: int, kind: OrgKind,
                not_found: NotFound, permission: Perm) -> Org:
    org = await repo.org_visible(session, principal, node_id)
    if org is None or org.kind != kind:
        raise not_found
    authorize(principal, permission, org.path, not_found=not_found)
    return org


async def _in_grid(session: AsyncSession, model: Any, ids: list[int], node: Org, field: str
                   ) -> list[Any]:
    """Rows of the register in the node's grid: their path is the grid branch's, an ancestor
    of the node."""
    rows = await repo.rows_by_ids(session, model, ids)
    if len(rows) != len(ids) or not all(covers(r.org_path, node.path) for r in rows):
        raise field_error(field, "须为本网格内的楼栋/住户", f"{field} must be in the node's grid")
    return rows


# --- building groups ------------------------------------------------------------------------

async def group_buildings(session: AsyncSession, principal: Principal, group_id: int
                          ) -> GroupBuildingsRead:
    group = await _node(session, principal, group_id, OrgKind.building_group,
                        BuildingGroupNotFound(), Perm.people_read)
    return await _group_read(session, group)


async def _group_read(session: AsyncSession, group: Org) -> GroupBuildingsRead:
    buildings = await repo.group_buildings(session, group.id)
    return GroupBuildingsRead(group_id=group.id, name=group.name,
                              buildings=[BuildingBrief.model_validate(b) for b in buildings])


async def set_group_buildings(session: AsyncSession, principal: Principal, group_id: int,
                              data: GroupBuildingsIn) -> GroupBuildingsRead:
    group = await _node(session, principal, group_id, OrgKind.building_group,
                        BuildingGroupNotFound(), Perm.people_write)
    ids = list(dict.fromkeys(data.building_ids))
    await _in_grid(session, Building, ids, group, "building_ids")
    if await repo.buildings_in_other_groups(session, group.id, ids):
        raise BuildingInOtherGroup()
    try:
        async with session.begin_nested():
            await repo.replace_group_buildings(session, group.id, ids)
    except IntegrityError:
        raise BuildingInOtherGroup() from None  # another group took one meanwhile
    await audit.record(session, principal, "building_group.buildings", "org", group.id,
                       org_path=group.path, detail={"building_ids": ids})
    return await _group_read(session, group)


# --- member households ----------------------------------------------------------------------

async def member_household(session: AsyncSession, principal: Principal, node_id: int
                           ) -> MemberHouseholdRead:
    node = await _node(session, principal, node_id, OrgKind.member_household,
                       MemberHouseholdNotFound(), Perm.people_read)
    return await _household_read(session, node)


async def _household_read(session: AsyncSession, node: Org) -> MemberHouseholdRead:
    links = await repo.household_links(session, node.id)
    home = next((h for h, is_home in links if is_home), None)
    return MemberHouseholdRead(
        node_id=node.id, name=node.name,
        home=HouseholdBrief.model_validate(home) if home else None,
        households=[HouseholdBrief.model_validate(h) for h, is_home in links if not is_home],
    )


async def set_member_household(session: AsyncSession, principal: Principal, node_id: int,
                               data: MemberHouseholdIn) -> MemberHouseholdRead:
    node = await _node(session, principal, node_id, OrgKind.member_household,
                       MemberHouseholdNotFound(), Perm.people_write)
    cared = list(dict.fromkeys(data.household_ids))
    if data.home_household_id in cared:
        raise field_error("household_ids", "中心户本户不计入联系户",
                          "The home household is not one of the households looked after")
    await _in_grid(session, Household, cared, node, "household_ids")
    every = cared
    if data.home_household_id is not None:
        await _in_grid(session, Household, [data.home_household_id], node, "home_household_id")
        every = [*cared, data.home_household_id]
    if await repo.households_in_other_care(session, node.id, every):
        raise HouseholdInOtherCare()
    try:
        async with session.begin_nested():
            await repo.replace_household_links(session, node.id, data.home_household_id, cared)
    except IntegrityError:
        raise HouseholdInOtherCare() from None
    await audit.record(session, principal, "member_household.households", "org", node.id,
                       org_path=node.path, detail={"households": len(cared)})
    return await _household_read(session, node)
