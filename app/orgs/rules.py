"""Which kind of node may sit under which: the shape of the five-tier organisation."""

from __future__ import annotations

from app.orgs.schemas import OrgKind as K

ALLOWED_PARENTS: dict[K, frozenset[K]] = {
    K.district: frozenset(),
    K.street: frozenset({K.district}),
    K.town: frozenset({K.district}),
    K.community: frozenset({K.street, K.town}),
    K.grid_branch: frozenset({K.community}),
    K.building_group: frozenset({K.grid_branch}),
    K.member_household: frozenset({K.building_group}),
    K.agency: frozenset({K.district, K.street, K.town}),
    K.business_district: frozenset({K.district, K.street, K.town}),
    K.enterprise: frozenset({K.business_district, K.street, K.town, K.community}),
    K.social_org_branch: frozenset(
        {K.district, K.street, K.town, K.community, K.business_district}
    ),
}
STREET_LEVEL = frozenset({K.street, K.town})
COMMUNITY_LEVEL = frozenset({K.community})


def may_sit_under(kind: K, parent_kind: K) -> bool:
    return parent_kind in ALLOWED_PARENTS[kind]


def level_ids(kind: K, node_id: int, parent_street: int | None, parent_community: int | None
              ) -> tuple[int | None, int | None]:
    """(street_id, community_id) a node carries: its own id at its level, else its parent's."""
    street = node_id if kind in STREET_LEVEL else parent_street
    community = node_id if kind in COMMUNITY_LEVEL else parent_community
    return street, community
