"""The demo district: 建安区 with its 2 street offices, 13 towns and 13 urban communities, each
community split into 3-6 grids with boundaries, "one head, two staff", building groups and
member households, plus one login per role (`DEMO_LOGINS`, password `GRID_DEMO_PASSWORD`).

Idempotent: every org and grid carries a code and every user a fixed username, looked up before
anything is created, so a second run adds no row. Unlike a service, this owns its transactions:
one commit per community keeps progress visible and the session small.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.db import Database
from app.core.permissions import Role
from app.core.security import hash_password
from app.grids import boundary as geo
from app.grids.schemas import PolygonIn
from app.models import Grid, GridStaff, Org, RoleAssignment, User
from app.orgs import service as orgs
from app.orgs.schemas import OrgKind
from app.seed import accounts, demo_assessment, demo_people, demo_steering, demo_volunteers
from app.seed.demo_data import (
    COMMUNITIES,
    DISTRICT,
    NUMERALS,
    ROLE_LABELS,
    STREETS,
    TOWNS,
    person_name,
)

XINGFU = "幸福社区"
DEMO_GRID = f"{XINGFU}第一网格"

# (username, role, where). "建安区" is the root district, whatever name an existing root has.
DEMO_LOGINS: list[tuple[str, str, str]] = [
    ("demo_district_admin", Role.district_admin, DISTRICT),
    ("demo_command", Role.command_operator, DISTRICT),
    ("demo_auditor", Role.auditor, DISTRICT),
    ("demo_street_admin", Role.street_admin, "许由街道"),
    ("demo_community_admin", Role.community_admin, XINGFU),
    ("demo_unit_liaison", Role.unit_liaison, XINGFU),
    ("demo_member", Role.member, XINGFU),
    ("demo_volunteer", Role.volunteer, XINGFU),
    ("demo_grid_head", Role.grid_head, DEMO_GRID),
    ("demo_grid_worker", Role.grid_worker, DEMO_GRID),
    ("demo_instructor", Role.party_instructor, DEMO_GRID),
]

# Grid layout: 0.004° squares (~370 m × 440 m) with 0.001° gaps, one row per community, north
# of Xuchang's centre and clear of the test fixtures' squares at 34.00-34.01.
ORIGIN_LNG, ORIGIN_LAT, STEP, SIZE = 113.760, 34.050, 0.005, 0.004

Progress = Callable[[str], None]
BBox = tuple[float, float, float, float]


@dataclass(frozen=True)
class Person:
    username: str
    display_name: str
    role: Role


@dataclass(frozen=True)
class GroupPlan:
    code: str
    name: str
    household_code: str
    household_name: str


@dataclass(frozen=True)
class GridPlan:
    code: str
    name: str
    bbox: BBox
    staff: tuple[Person, ...]
    groups: tuple[GroupPlan, ...]


@dataclass(frozen=True)
class CommunityPlan:
    number: int
    code: str
    name: str
    street_code: str
    people: tuple[Person, ...]
    grids: tuple[GridPlan, ...]

    def usernames(self) -> list[str]:
        staff = [p for g in self.grids for p in g.staff]
        return sorted({p.username for p in (*self.people, *staff)})


def logins_at(where: str) -> list[Person]:
    return [Person(u, f"演示{ROLE_LABELS[r]}", Role(r)) for u, r, w in DEMO_LOGINS if w == where]


def _staff(code: str, where: str, workers: int, seq: int) -> tuple[Person, ...]:
    """Head, workers, instructor; a demo login for the role, if any, takes its first seat."""
    demo = {p.role: p for p in reversed(logins_at(where))}
    slots = [(Role.grid_head, "head")]
    slots += [(Role.grid_worker, f"worker{k}") for k in range(1, workers + 1)]
    slots += [(Role.party_instructor, "instructor")]
    prefix = code.lower().replace("-", "_")
    out: list[Person] = []
    for k, (role, seat) in enumerate(slots):
        login = demo.pop(role, None)
        out.append(login or Person(f"{prefix}_{seat}", person_name(seq + k), role))
    return tuple(out)


def _bbox(row: int, col: int) -> BBox:
    w, s = ORIGIN_LNG + STEP * col, ORIGIN_LAT + STEP * row
    return round(w, 6), round(s, 6), round(w + SIZE, 6), round(s + SIZE, 6)


def _grid(index: int, j: int, ccode: str, cname: str) -> GridPlan:
    code, name = f"{ccode}-G{j + 1}", f"{cname}第{NUMERALS[j]}网格"
    groups = []
    for b in range(1 + (index + j + 1) % 2):
        gcode = f"{code}-B{b + 1}"
        groups.append(GroupPlan(gcode, f"{2 * j + b + 1}号楼党小组", f"{gcode}-H1",
                                f"{person_name(index * 97 + j * 13 + b + 50)}党员中心户"))
    staff = _staff(code, name, 1 + (index + j) % 2, index * 97 + j * 13)
    return GridPlan(code, name, _bbox(index, j), staff, tuple(groups))


def community_plans() -> list[CommunityPlan]:
    """The 13 urban communities in order; grid counts cycle 3, 4, 5, 6 (deterministic)."""
    plans: list[CommunityPlan] = []
    for street_code, names in COMMUNITIES.items():
        for k, name in enumerate(names, start=1):
            index, code = len(plans), f"{street_code}-{k:02d}"
            grids = tuple(_grid(index, j, code, name) for j in range(3 + index % 4))
            plans.append(CommunityPlan(index + 1, code, name, street_code,
                                       tuple(logins_at(name)), grids))
    return plans


class _Hash:
    """The demo password hashed once, on first need (Argon2 is slow; a rerun may need none)."""

    def __init__(self, password: str) -> None:
        self._password, self._value = password, ""

    async def get(self) -> str:
        if not self._value:
            self._value = await asyncio.to_thread(hash_password, self._password)
        return self._value


@dataclass
class _Writer:
    """Get-or-create for one session, from rows preloaded by code and username."""

    session: AsyncSession
    password: _Hash
    created: Counter[str]
    orgs: dict[str, Org] = field(default_factory=dict)
    grids: dict[str, Grid] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    roles: set[tuple[int, str, int]] = field(default_factory=set)
    staff: set[tuple[int, int, str]] = field(default_factory=set)

    async def preload(self, *, codes: Sequence[str], prefix: str | None,
                      usernames: Sequence[str]) -> None:
        s = self.session
        cond: ColumnElement[bool] = Org.code.in_(codes)
        if prefix:
            cond = or_(cond, Org.code.like(f"{prefix}-%"))
            stmt = select(Grid).where(Grid.code.like(f"{prefix}-%"))
            self.grids = {g.code: g for g in await s.scalars(stmt) if g.code}
        self.orgs = {o.code: o for o in await s.scalars(select(Org).where(cond)) if o.code}
        stmt_u = select(User).where(User.username.in_(usernames))
        self.users = {u.username: u for u in await s.scalars(stmt_u)}
        user_ids = [u.id for u in self.users.values()]
        grid_ids = [g.id for g in self.grids.values()]
        ra = select(RoleAssignment.user_id, RoleAssignment.role, RoleAssignment.org_id)
        self.roles = {(u, r, o) for u, r, o in await s.execute(
            ra.where(RoleAssignment.user_id.in_(user_ids)))}
        gs = select(GridStaff.grid_id, GridStaff.user_id, GridStaff.role)
        self.staff = {(g, u, r) for g, u, r in await s.execute(
            gs.where(GridStaff.grid_id.in_(grid_ids)))}

    async def node(self, parent: Org, kind: OrgKind, name: str, code: str) -> Org:
        org = self.orgs.get(code)
        if org is None:
            org = await orgs.add_node(self.session, None, parent, kind, name, code)
            self.orgs[code] = org
            self.created["orgs"] += 1
        elif org.kind != kind:
            raise SystemExit(f"org code {code} is taken by {org.name} ({org.kind}), "
                             f"not the demo's {name} ({kind})")
        return org

    async def people(self, people: Sequence[Person], node: Org) -> list[User]:
        """Users with their role on `node` (also their home org when the user is new)."""
        for p in people:
            if p.username not in self.users:
                user = User(username=p.username, password_hash=await self.password.get(),
                            display_name=p.display_name, org_id=node.id, org_path=node.path)
                self.session.add(user)
                self.users[p.username] = user
                self.created["users"] += 1
        await self.session.flush()
        out = [self.users[p.username] for p in people]
        for p, user in zip(people, out, strict=True):
            if (user.id, p.role, node.id) not in self.roles:
                self.session.add(RoleAssignment(user_id=user.id, role=p.role, org_id=node.id,
                                                org_path=node.path))
                self.roles.add((user.id, p.role, node.id))
                self.created["role_assignments"] += 1
        return out

    async def grid(self, community: Org, plan: GridPlan) -> Grid:
        """As `grids.service.create` does it: the grid_branch node first, then the grid."""
        grid = self.grids.get(plan.code)
        # An existing grid keeps its own branch, even one created without a code.
        found = await self.session.get(Org, grid.branch_id) if grid else None
        branch = found or await self.node(community, OrgKind.grid_branch,
                                          f"{plan.name}党支部", plan.code)
        if grid is None:
            grid = _new_grid(plan, branch, community)
            self.session.add(grid)
            await self.session.flush()
            self.grids[plan.code] = grid
            self.created["grids"] += 1
        users = await self.people(plan.staff, branch)
        for p, user in zip(plan.staff, users, strict=True):
            if (grid.id, user.id, p.role) not in self.staff:
                self.session.add(GridStaff(grid_id=grid.id, user_id=user.id, role=p.role))
                self.staff.add((grid.id, user.id, p.role))
                self.created["grid_staff"] += 1
        for g in plan.groups:
            group = await self.node(branch, OrgKind.building_group, g.name, g.code)
            await self.node(group, OrgKind.member_household, g.household_name, g.household_code)
        return grid


def _new_grid(plan: GridPlan, branch: Org, community: Org) -> Grid:
    w, s, e, n = plan.bbox
    ring = [[w, s], [e, s], [e, n], [w, n], [w, s]]
    # Through the API's own check, so demo boundaries obey the same rules as real ones.
    shape = geo.normalize(PolygonIn(type="Polygon", coordinates=[ring]), "wgs84")
    grid = Grid(branch_id=branch.id, community_id=community.id, street_id=community.street_id,
                org_path=branch.path, name=plan.name, code=plan.code, boundary=shape)
    grid.min_lng, grid.min_lat, grid.max_lng, grid.max_lat = geo.bbox(shape)
    return grid


async def _top(db: Database, settings: Settings, password: _Hash, created: Counter[str],
               progress: Progress) -> None:
    """Root, street offices, towns, and the logins held on the root and the street."""
    places = {DISTRICT, *(name for _, name in STREETS)}
    usernames = [u for u, _, where in DEMO_LOGINS if where in places]
    async with db.writing() as session:
        root = await accounts.root_district(session, settings.default_district_name)
        w = _Writer(session, password, created)
        await w.preload(codes=[c for c, _ in STREETS + TOWNS], prefix=None, usernames=usernames)
        await w.people(logins_at(DISTRICT), root)
        for code, name in STREETS:
            await w.people(logins_at(name), await w.node(root, OrgKind.street, name, code))
        for code, name in TOWNS:
            await w.node(root, OrgKind.town, name, code)
    progress(f"{root.name}: {len(STREETS)} streets, {len(TOWNS)} towns")


async def _community(db: Database, plan: CommunityPlan, password: _Hash,
                     created: Counter[str]) -> None:
    async with db.writing() as session:
        w = _Writer(session, password, created)
        await w.preload(codes=[plan.street_code, plan.code], prefix=plan.code,
                        usernames=plan.usernames())
        street = w.orgs[plan.street_code]
        community = await w.node(street, OrgKind.community, plan.name, plan.code)
        await w.people(plan.people, community)
        for grid in plan.grids:
            await w.grid(community, grid)


def _summary(created: Counter[str]) -> str:
    if not created:
        return "demo district already complete: nothing created"
    return "created " + ", ".join(f"{n} {table}" for table, n in sorted(created.items()))


async def seed(db: Database, settings: Settings, progress: Callable[[str], None]) -> None:
    password, created = _Hash(settings.demo_password), Counter[str]()
    await _top(db, settings, password, created, progress)
    plans = community_plans()
    for plan in plans:
        before = sum(created.values())
        await _community(db, plan, password, created)
        new = sum(created.values()) - before
        progress(f"[{plan.number}/{len(plans)}] {plan.name}: {len(plan.grids)} grids"
                 + (f" ({new} rows created)" if new else " (already there)"))
    xingfu = next(p for p in plans if p.name == XINGFU)
    created.update(await demo_people.seed(db, settings, xingfu.code))
    created.update(await demo_volunteers.seed(db, xingfu.code))
    created.update(await demo_steering.seed(db, xingfu.code))
    created.update(await demo_assessment.seed(db, STREETS[0][0]))
    progress(_summary(created))
    progress(f"logins ({len(DEMO_LOGINS)}, password from GRID_DEMO_PASSWORD): "
             + ", ".join(u for u, _, _ in DEMO_LOGINS))
