"""SQL for members, findings and the group/household links, starting from the caller's scope."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.pagination import PageParams, keyset
from app.core.permissions import Perm
from app.core.scope import in_paths, readable, scope_paths, visible_paths
from app.core.security import Principal
from app.models import (
    Building,
    BuildingGroupBuilding,
    Household,
    Member,
    MemberFinding,
    MemberHouseholdLink,
    Org,
    Resident,
)

# --- members --------------------------------------------------------------------------------


async def member_visible(session: AsyncSession, principal: Principal, member_id: int
                         ) -> Member | None:
    """The member if any grant covers it (the service checks the permission: 404 vs 403)."""
    stmt = select(Member).where(Member.id == member_id,
                                in_paths(Member.org_path, visible_paths(principal)))
    return (await session.execute(stmt)).scalar_one_or_none()


async def member_by_index(session: AsyncSession, id_number_index: str) -> Member | None:
    """Unscoped: one person is one member across the district."""
    stmt = select(Member).where(Member.id_number_index == id_number_index)
    return (await session.execute(stmt)).scalar_one_or_none()


async def member_of_user(session: AsyncSession, user_id: int) -> Member | None:
    return (await session.execute(select(Member).where(Member.user_id == user_id))
            ).scalar_one_or_none()


async def list_members(session: AsyncSession, principal: Principal, *, filters: list[Any],
                       page: PageParams) -> list[Member]:
    stmt = select(Member).where(readable(principal, Member.org_path, Perm.member_read), *filters)
    return list((await session.execute(keyset(stmt, [(Member.id, False)], page))).scalars())


async def resident_visible(session: AsyncSession, principal: Principal, *,
                           resident_id: int | None = None, id_number_index: str | None = None
                           ) -> Resident | None:
    stmt = select(Resident).where(in_paths(Resident.org_path, visible_paths(principal)))
    if resident_id is not None:
        stmt = stmt.where(Resident.id == resident_id)
    if id_number_index is not None:
        stmt = stmt.where(Resident.id_number_index == id_number_index)
    return (await session.execute(stmt)).scalar_one_or_none()


# --- findings -------------------------------------------------------------------------------


def _finding_scope(paths: list[str]) -> ColumnElement[bool]:
    """Where it was found, or the branch said to hold the membership (which verifies it)."""
    branches = select(Org.id).where(in_paths(Org.path, paths))
    return or_(in_paths(MemberFinding.org_path, paths), MemberFinding.branch_id.in_(branches))


async def finding_visible(session: AsyncSession, principal: Principal, finding_id: int
                          ) -> tuple[MemberFinding, str | None] | None:
    """The finding and its branch's path, if any grant covers either."""
    stmt = (select(MemberFinding, Org.path)
            .outerjoin(Org, Org.id == MemberFinding.branch_id)
            .where(MemberFinding.id == finding_id, _finding_scope(visible_paths(principal))))
    row = (await session.execute(stmt)).one_or_none()
    return None if row is None else (row[0], row[1])


async def list_findings(session: AsyncSession, principal: Principal, *, filters: list[Any],
                        page: PageParams) -> list[MemberFinding]:
    stmt = select(MemberFinding).where(
        _finding_scope(scope_paths(principal, Perm.member_read)), *filters)
    return list((await session.execute(keyset(stmt, [(MemberFinding.id, False)], page))
                 ).scalars())


async def finding_counts(session: AsyncSession, principal: Principal, under: str | None
                         ) -> list[tuple[str, str, str, bool, int]]:
    """(org_path, status, category, badge_posted, count): one GROUP BY for the whole campaign,
    however many districts and communities it spans."""
    stmt = (select(MemberFinding.org_path, MemberFinding.status, MemberFinding.category_found,
                   MemberFinding.badge_posted, func.count())
            .where(readable(principal, MemberFinding.org_path, Perm.member_read))
            .group_by(MemberFinding.org_path, MemberFinding.status,
                      MemberFinding.category_found, MemberFinding.badge_posted))
    if under is not None:
        stmt = stmt.where(in_paths(MemberFinding.org_path, [under]))
    return [(p, s, c, bool(b), int(n)) for p, s, c, b, n in (await session.execute(stmt)).all()]


async def areas(session: AsyncSession, principal: Principal, under: str | None,
                kinds: tuple[str, ...]) -> list[Org]:
    """The business districts and communities the summary reports on."""
    stmt = select(Org).where(readable(principal, Org.path, Perm.member_read), Org.kind.in_(kinds))
    if under is not None:
        stmt = stmt.where(in_paths(Org.path, [under]))
    return list((await session.execute(stmt.order_by(Org.path))).scalars())


# --- building groups and member households ---------------------------------------------------


async def org_visible(session: AsyncSession, principal: Principal, org_id: int) -> Org | None:
    stmt = select(Org).where(Org.id == org_id, in_paths(Org.path, visible_paths(principal)))
    return (await session.execute(stmt)).scalar_one_or_none()


async def org_by_id(session: AsyncSession, org_id: int) -> Org | None:
    return await session.get(Org, org_id)


async def rows_by_ids(session: AsyncSession, model: Any, ids: list[int]) -> list[Any]:
    if not ids:
        return []
    return list((await session.execute(select(model).where(model.id.in_(ids)))).scalars())


async def group_buildings(session: AsyncSession, group_id: int) -> list[Building]:
    stmt = (select(Building).join(BuildingGroupBuilding,
                                  BuildingGroupBuilding.building_id == Building.id)
            .where(BuildingGroupBuilding.group_id == group_id).order_by(Building.id))
    return list((await session.execute(stmt)).scalars())


async def buildings_in_other_groups(session: AsyncSession, group_id: int, ids: list[int]
                                    ) -> list[int]:
    stmt = select(BuildingGroupBuilding.building_id).where(
        BuildingGroupBuilding.building_id.in_(ids), BuildingGroupBuilding.group_id != group_id)
    return list((await session.execute(stmt)).scalars())


async def replace_group_buildings(session: AsyncSession, group_id: int, ids: list[int]) -> None:
    await session.execute(delete(BuildingGroupBuilding).where(
        BuildingGroupBuilding.group_id == group_id, BuildingGroupBuilding.building_id.not_in(ids)))
    kept = set((await session.execute(select(BuildingGroupBuilding.building_id).where(
        BuildingGroupBuilding.group_id == group_id))).scalars())
    session.add_all(BuildingGroupBuilding(group_id=group_id, building_id=b)
                    for b in ids if b not in kept)
    await session.flush()


async def household_links(session: AsyncSession, node_id: int
                          ) -> list[tuple[Household, bool]]:
    stmt = (select(Household, MemberHouseholdLink.is_home)
            .join(MemberHouseholdLink, MemberHouseholdLink.household_id == Household.id)
            .where(MemberHouseholdLink.node_id == node_id).order_by(Household.id))
    return [(h, bool(home)) for h, home in (await session.execute(stmt)).all()]


async def households_in_other_care(session: AsyncSession, node_id: int, ids: list[int]
                                   ) -> list[int]:
    stmt = select(MemberHouseholdLink.household_id).where(
        MemberHouseholdLink.household_id.in_(ids), MemberHouseholdLink.node_id != node_id)
    return list((await session.execute(stmt)).scalars())


async def replace_household_links(session: AsyncSession, node_id: int, home: int | None,
                                  cared: list[int]) -> None:
    # Delete and re-insert: the home flag may move between the node's own households.
    await session.execute(delete(MemberHouseholdLink).where(
        MemberHouseholdLink.node_id == node_id))
    links = [MemberHouseholdLink(node_id=node_id, household_id=h, is_home=False) for h in cared]
    if home is not None:
        links.append(MemberHouseholdLink(node_id=node_id, household_id=home, is_home=True))
    session.add_all(links)
    await session.flush()
