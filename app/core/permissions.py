"""The permission table: which role may do what. Scope (where) comes from the role's org node."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    district_admin = "district_admin"
    street_admin = "street_admin"
    community_admin = "community_admin"
    command_operator = "command_operator"
    grid_head = "grid_head"
    grid_worker = "grid_worker"
    party_instructor = "party_instructor"
    unit_liaison = "unit_liaison"
    member = "member"
    volunteer = "volunteer"
    auditor = "auditor"


class Perm(StrEnum):
    org_read = "orgs:read"
    org_write = "orgs:write"
    grid_read = "grids:read"
    grid_write = "grids:write"
    grid_staff = "grids:staff"
    user_read = "users:read"
    user_write = "users:write"
    audit_read = "audit:read"


_ADMIN = frozenset(Perm)
_STAFF_READ = frozenset({Perm.org_read, Perm.grid_read})

ROLE_PERMISSIONS: dict[Role, frozenset[Perm]] = {
    Role.district_admin: _ADMIN,
    Role.street_admin: _ADMIN - {Perm.audit_read},
    Role.community_admin: _ADMIN - {Perm.audit_read},
    Role.command_operator: _STAFF_READ | {Perm.user_read},
    Role.grid_head: _STAFF_READ | {Perm.user_read},
    Role.grid_worker: _STAFF_READ,
    Role.party_instructor: _STAFF_READ,
    Role.unit_liaison: frozenset({Perm.org_read}),
    Role.member: frozenset({Perm.org_read}),
    Role.volunteer: frozenset({Perm.org_read}),
    Role.auditor: _STAFF_READ | {Perm.user_read, Perm.audit_read},
}

# Where in the tree each role may be held: the kinds of org node it can be assigned on.
ROLE_NODE_KINDS: dict[Role, frozenset[str]] = {
    Role.district_admin: frozenset({"district"}),
    Role.street_admin: frozenset({"street", "town"}),
    Role.community_admin: frozenset({"community"}),
    Role.command_operator: frozenset({"district", "street", "town"}),
    Role.grid_head: frozenset({"grid_branch"}),
    Role.grid_worker: frozenset({"grid_branch"}),
    Role.party_instructor: frozenset({"grid_branch"}),
    Role.unit_liaison: frozenset({"agency", "district", "street", "town", "community"}),
    Role.member: frozenset(
        {"community", "grid_branch", "building_group", "member_household", "agency",
         "business_district", "enterprise", "social_org_branch"}
    ),
    Role.volunteer: frozenset({"community", "grid_branch", "social_org_branch"}),
    Role.auditor: frozenset({"district", "street", "town"}),
}

# Scopes a third-party client may be granted (client credentials); same names as permissions.
CLIENT_SCOPES: frozenset[str] = frozenset({Perm.org_read, Perm.grid_read})
