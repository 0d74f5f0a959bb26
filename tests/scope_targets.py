"""What the scope matrix aims at: the routes (read from the app's OpenAPI document), the callers,
the objects that lie outside each caller's subtree, and a plausible body for each write.

A new route joins the matrix by itself. If it has a path parameter (or an `*_id` query parameter
on a list) nobody has taught this module to resolve, the matrix fails and names the missing
`RESOLVERS` entry; a new write route likewise needs a `BODIES` entry.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from app.core.permissions import ROLE_NODE_KINDS, Role
from app.core.types import utcnow
from app.main import create_app
from app.models import Grid, Org, User
from app.orgs.rules import may_sit_under
from app.orgs.schemas import OrgKind
from app.volunteers.activities import codes
from tests.conftest import make_settings
from tests.factories import COMMUNITY_ROLES, GRID_ROLES, STREET_ROLES, World

API = "/api/v1"

# Caller node → the roles held there. Root roles see everything, so they are never callers.
CALLERS: dict[str, tuple[Role, ...]] = {
    "s1": STREET_ROLES,
    "s1c1": COMMUNITY_ROLES,
    "s1c1g1": GRID_ROLES,
}
# Caller node → areas outside its subtree: the other street; the other community of the same
# street and the other street; the other grid of the same community.
OUTSIDE: dict[str, tuple[str, ...]] = {
    "s1": ("s2",),
    "s1c1": ("s1c2", "s2"),
    "s1c1g1": ("s1c1g2",),
}
CALLER_AREAS: list[tuple[str, Role, str]] = [
    (node, role, area)
    for node, roles in CALLERS.items()
    for role in roles
    for area in OUTSIDE[node]
]
CONTROL = Role.district_admin  # root scope: reaches every target, proves the URL and body are real


# --- routes, from the OpenAPI document ------------------------------------------------------

_PARAM = re.compile(r"{(\w+)}")


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    tag: str
    query: tuple[str, ...]
    body_required: bool
    item_fields: tuple[str, ...] | None  # list routes: the path-like fields of one item
    required_query: tuple[str, ...] = ()  # e.g. a point: such lists get hand-written tests

    @property
    def params(self) -> list[str]:
        return _PARAM.findall(self.path)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def _deref(doc: dict[str, Any], schema: dict[str, Any] | None) -> dict[str, Any]:
    while schema and "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema or {}


def _item_fields(doc: dict[str, Any], op: dict[str, Any]) -> tuple[str, ...] | None:
    """For a `{"items": [...]}` response, the item's `path`/`org_path` fields, else None."""
    content = op.get("responses", {}).get("200", {}).get("content", {})
    page = _deref(doc, content.get("application/json", {}).get("schema"))
    items = page.get("properties", {}).get("items")
    if not items or items.get("type") != "array":
        return None
    props = _deref(doc, items.get("items")).get("properties", {})
    return tuple(f for f in ("path", "org_path") if f in props)


def routes_from_openapi(doc: dict[str, Any]) -> list[Route]:
    out = []
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            params = op.get("parameters", [])
            out.append(Route(
                method=method.upper(),
                path=path,
                tag=(op.get("tags") or [""])[0],
                query=tuple(p["name"] for p in params if p["in"] == "query"),
                body_required=bool(op.get("requestBody", {}).get("required")),
                item_fields=_item_fields(doc, op),
                required_query=tuple(p["name"] for p in params
                                     if p["in"] == "query" and p.get("required")),
            ))
    return out


def app_openapi() -> dict[str, Any]:
    """The document of an app built by the same factory as the test app (collection time)."""
    return create_app(make_settings()).openapi()


# --- the fixture world, by node key ("s2", "s1c2", "s1c1g2") -----------------------------

_KEY = re.compile(r"^s(\d)(?:c(\d)(?:g(\d))?)?$")


def _indices(key: str) -> tuple[int, int | None, int | None]:
    m = _KEY.match(key)
    assert m, f"not a node key: {key}"
    s, c, g = (int(x) if x else None for x in m.groups())
    assert s is not None
    return s, c, g


def org_at(world: World, key: str) -> Org:
    s, c, g = _indices(key)
    if c is None:
        return world.streets[s - 1]
    if g is None:
        return world.communities[2 * (s - 1) + c - 1]
    return world.branches[4 * (s - 1) + 2 * (c - 1) + g - 1]


def grid_key(key: str) -> str:
    """The key itself if it names a grid, else the first grid under it ("s2" → "s2c1g1")."""
    s, c, g = _indices(key)
    return f"s{s}c{c or 1}g{g or 1}"


def grid_at(world: World, key: str) -> Grid:
    s, c, g = _indices(grid_key(key))
    assert c is not None and g is not None
    return world.grids[4 * (s - 1) + 2 * (c - 1) + g - 1]


def all_orgs(world: World) -> list[Org]:
    return [world.root, *world.streets, *world.communities, *world.branches]


def org_by_id(world: World, org_id: int) -> Org:
    return next(o for o in all_orgs(world) if o.id == org_id)


def orgs_under(world: World, key: str) -> list[Org]:
    top = org_at(world, key).path
    return [o for o in all_orgs(world) if o.path.startswith(top)]


def users_under(world: World, key: str) -> list[User]:
    top = org_at(world, key).path
    return [u for u in world.users.values() if (u.org_path or "").startswith(top)]


def user_homed_at(world: World, key: str) -> User:
    return next(u for k, u in world.users.items() if k.split(":")[0] == key)


# --- resolvers: (path prefix, parameter name) → an object in the target area -------------

@dataclass(frozen=True)
class Target:
    id: int
    path: str  # the org path the object is scoped by


@dataclass
class Ctx:
    world: World
    caller: str  # node key of the caller's grant
    area: str  # node key of an area outside the caller's subtree
    assignments: dict[int, list[Target]]  # user id → that user's role assignments
    resolved: dict[str, Target] = field(default_factory=dict)


def _org(c: Ctx) -> Target:
    # The first grid branch of the area: deep enough to be moved under a community of the
    # caller's own subtree, so the move body stays valid.
    org = org_at(c.world, grid_key(c.area))
    return Target(org.id, org.path)


def _grid(c: Ctx) -> Target:
    grid = grid_at(c.world, c.area)
    return Target(grid.id, grid.org_path)


def _user(c: Ctx) -> Target:
    user = user_homed_at(c.world, c.area)
    return Target(user.id, user.org_path or "")


def _assignment(c: Ctx) -> Target:
    user = c.resolved.get("user_id") or _user(c)
    return c.assignments[user.id][0]


def _case(c: Ctx) -> Target:
    case = c.world.cases[c.world.grids.index(grid_at(c.world, c.area))]
    return Target(case.id, case.org_path)


def _attachment(c: Ctx) -> Target:
    case = c.resolved.get("case_id") or _case(c)
    att = next(a for a in c.world.attachments if a.case_id == case.id)
    return Target(att.id, case.path)


def _webhook(c: Ctx) -> Target:
    # Clients live on streets: the area's street client is outside every caller's subtree.
    street = org_at(c.world, f"s{_indices(c.area)[0]}")
    index = c.world.streets.index(street)
    client = c.world.clients[index]
    if client.org_path.startswith(org_at(c.world, c.caller).path):
        client = c.world.clients[1 - index]  # a street caller: the other street's client
    sub = next(w for w in c.world.webhooks if w.client_id == client.id)
    return Target(sub.id, client.org_path)


def _patrol(c: Ctx) -> Target:
    patrol = c.world.patrols[c.world.grids.index(grid_at(c.world, c.area))]
    return Target(patrol.id, patrol.org_path)


def _visit(c: Ctx) -> Target:
    visit = c.world.visits[c.world.grids.index(grid_at(c.world, c.area))]
    return Target(visit.id, visit.org_path)


def _in_area(rows: str) -> Callable[[Ctx], Target]:
    """The register row (`world.buildings`, `.households`, `.residents`) of the area's grid."""
    def resolve(c: Ctx) -> Target:
        row = getattr(c.world, rows)[c.world.grids.index(grid_at(c.world, c.area))]
        return Target(row.id, row.org_path)
    return resolve


def _area_node(c: Ctx) -> Target:
    org = org_at(c.world, c.area)
    return Target(org.id, org.path)


def _area_community(c: Ctx) -> Target:
    org = org_by_id(c.world, grid_at(c.world, c.area).community_id or 0)
    return Target(org.id, org.path)


def _area_street(c: Ctx) -> Target:
    org = org_by_id(c.world, grid_at(c.world, c.area).street_id or 0)
    return Target(org.id, org.path)


def _registration(c: Ctx) -> Target:
    # One approved registration per community (world.registrations, same order).
    community = _area_community(c)
    reg = c.world.registrations[[o.id for o in c.world.communities].index(community.id)]
    return Target(reg.id, reg.org_path)


def _wish(c: Ctx) -> Target:
    wish = c.world.wishes[c.world.grids.index(grid_at(c.world, c.area))]
    return Target(wish.id, wish.org_path)


def _wish_attachment(c: Ctx) -> Target:
    # The evidence photo bound to the resolved wish (tests/factories.py add_wish_evidence).
    wish = c.resolved.get("wish_id") or _wish(c)
    att = next(a for a in c.world.wish_attachments if a.wish_id == wish.id)
    return Target(att.id, wish.path)


def _unit(c: Ctx) -> Target:
    # The world's unit sits under the district: outside every non-district caller's subtree.
    unit = c.world.units[0]
    return Target(unit.id, unit.org_path)


def _per_community(rows: str) -> Callable[[Ctx], Target]:
    """The co-construction row (`world.agreements`, `.cadres`, ...) of the area's community."""
    def resolve(c: Ctx) -> Target:
        index = [o.id for o in c.world.communities].index(_area_community(c).id)
        row = getattr(c.world, rows)[index]
        return Target(row.id, row.org_path)
    return resolve


def _agreement_project(c: Ctx) -> Target:
    agreement = c.resolved.get("agreement_id") or _per_community("agreements")(c)
    project = next(p for p in c.world.agreement_projects if p.agreement_id == agreement.id)
    return Target(project.id, agreement.path)


def _finding(c: Ctx) -> Target:
    # One finding per community (world.findings), held by the community's second grid branch:
    # outside a first-grid caller on both counts.
    community = _area_community(c)
    finding = c.world.findings[[o.id for o in c.world.communities].index(community.id)]
    return Target(finding.id, finding.org_path)


def _grid_node(rows: str) -> Callable[[Ctx], Target]:
    """The org node (`world.building_groups`, `.member_households`) under the area's grid."""
    def resolve(c: Ctx) -> Target:
        node = getattr(c.world, rows)[c.world.grids.index(grid_at(c.world, c.area))]
        return Target(node.id, node.path)
    return resolve


def _signup(c: Ctx) -> Target:
    # The sign-up on the resolved activity (tests/factories.py add_activities).
    activity = c.resolved.get("activity_id") or _per_community("activities")(c)
    signup = next(s for s in c.world.signups if s.activity_id == activity.id)
    return Target(signup.id, signup.org_path)


def _team_member(c: Ctx) -> Target:
    # The member of the resolved team: the community's reg_user (tests/factories.py add_teams).
    team = c.resolved.get("team_id") or _per_community("teams")(c)
    index = [t.id for t in c.world.teams].index(team.id)
    return Target(c.world.reg_users[index].id, team.path)


def _task_report(c: Ctx) -> Target:
    # The week's report on the resolved task (tests/factories_steering.py add_steering).
    task = c.resolved.get("task_id") or _per_community("tasks")(c)
    report = next(r for r in c.world.task_reports if r.task_id == task.id)
    return Target(report.id, task.path)


def _task_report_attachment(c: Ctx) -> Target:
    report = c.resolved.get("report_id") or _task_report(c)
    att = next(a for a in c.world.task_report_attachments if a.task_report_id == report.id)
    return Target(att.id, report.path)


def _meeting_attachment(c: Ctx) -> Target:
    meeting = c.resolved.get("meeting_id") or _per_community("meetings")(c)
    att = next(a for a in c.world.meeting_attachments if a.meeting_id == meeting.id)
    return Target(att.id, meeting.path)


def _task_responsible(c: Ctx) -> int:
    task = c.resolved["task_id"]
    return next(r.id for r in c.world.task_responsibles if r.task_id == task.id)
def _per_street(rows: str) -> Callable[[Ctx], Target]:
    """The assessment row (`world.assessment_sheets`, `.assessment_rounds`) of the area's street:
    rooted at the street, so outside a community or grid caller of that street too."""
    def resolve(c: Ctx) -> Target:
        row = getattr(c.world, rows)[_indices(c.area)[0] - 1]
        return Target(row.id, row.org_path)
    return resolve


def _review(c: Ctx) -> Target:
    # A review is reachable (to file a report) by the orgs it reviews: the street's review
    # reaches that street's communities, so the target is the review of the other street.
    street = 2 if _indices(c.caller)[0] == 1 else 1
    review = c.world.reviews[street - 1]
    return Target(review.id, review.org_path)


def _round(c: Ctx) -> Target:
    # Like a review, a street's round is read by the communities it assesses (their own line):
    # the target is the round of the other street.
    street = 2 if _indices(c.caller)[0] == 1 else 1
    rnd = c.world.assessment_rounds[street - 1]
    return Target(rnd.id, rnd.org_path)


def _review_report(c: Ctx) -> Target:
    review = c.resolved.get("review_id") or _review(c)
    report = next(r for r in c.world.review_reports if r.review_id == review.id)
    return Target(report.id, report.org_path)


def _reviewed_community(c: Ctx) -> dict[str, Any]:
    # A community of the review's street: the control is found but is not its secretary (403).
    report = _review_report(c)
    org_id = next(r.org_id for r in c.world.review_reports if r.id == report.id)
    return {"org_id": org_id, "content": "scope-matrix"}


def _score_body(c: Ctx) -> dict[str, Any]:
    street = next(i for i, r in enumerate(c.world.assessment_rounds)
                  if r.id == c.resolved["round_id"].id)
    return {"org_id": c.world.communities[2 * street].id,
            "item_id": c.world.assessment_manual_items[street], "score": 50,
            "reason": "scope-matrix"}


RESOLVERS: dict[tuple[str, str], Callable[[Ctx], Target]] = {
    (f"{API}/orgs", "org_id"): _org,
    (f"{API}/orgs", "parent_id"): _area_node,
    (f"{API}/grids", "grid_id"): _grid,
    (f"{API}/grids", "community_id"): _area_community,
    (f"{API}/grids", "street_id"): _area_street,
    (f"{API}/users", "user_id"): _user,
    (f"{API}/users", "assignment_id"): _assignment,
    (f"{API}/cases", "case_id"): _case,
    (f"{API}/audit", "object_id"): _case,  # the world's report of that case is audited
    (f"{API}/cases", "attachment_id"): _attachment,
    (f"{API}/cases", "grid_id"): _grid,
    (f"{API}/cases", "community_id"): _area_community,
    (f"{API}/webhooks", "webhook_id"): _webhook,
    (f"{API}/patrols", "patrol_id"): _patrol,
    (f"{API}/patrols", "grid_id"): _grid,
    (f"{API}/patrols", "community_id"): _area_community,
    (f"{API}/patrols", "worker_id"): _user,
    (f"{API}/visits", "visit_id"): _visit,
    (f"{API}/visits", "grid_id"): _grid,
    (f"{API}/visits", "community_id"): _area_community,
    (f"{API}/visits", "author_id"): _user,
    (f"{API}/buildings", "building_id"): _in_area("buildings"),
    (f"{API}/buildings", "grid_id"): _grid,
    (f"{API}/households", "household_id"): _in_area("households"),
    (f"{API}/households", "building_id"): _in_area("buildings"),
    (f"{API}/residents", "resident_id"): _in_area("residents"),
    (f"{API}/residents", "household_id"): _in_area("households"),
    (f"{API}/residents", "grid_id"): _grid,
    (f"{API}/residents", "import_id"): _in_area("resident_imports"),
    (f"{API}/visits", "household_id"): _in_area("households"),
    (f"{API}/registrations", "registration_id"): _registration,
    (f"{API}/registrations", "community_id"): _area_community,
    (f"{API}/communities", "community_id"): _area_community,
    (f"{API}/wishes", "wish_id"): _wish,
    (f"{API}/wishes", "attachment_id"): _wish_attachment,
    (f"{API}/wishes", "grid_id"): _grid,
    (f"{API}/wishes", "community_id"): _area_community,
    (f"{API}/units", "unit_id"): _unit,
    (f"{API}/units", "reg_id"): _per_community("unit_registrations"),
    (f"{API}/units", "org_id"): _area_node,
    (f"{API}/agreements", "agreement_id"): _per_community("agreements"),
    (f"{API}/agreements", "project_id"): _agreement_project,
    (f"{API}/agreements", "community_id"): _area_community,
    (f"{API}/agreements", "unit_id"): _unit,
    (f"{API}/cadres", "cadre_id"): _per_community("cadres"),
    (f"{API}/cadres", "org_id"): _area_community,
    (f"{API}/cadres", "unit_id"): _unit,
    (f"{API}/members", "member_id"): _in_area("members"),
    (f"{API}/members", "org_id"): _area_node,
    (f"{API}/member-findings", "finding_id"): _finding,
    (f"{API}/member-findings", "org_id"): _area_node,
    (f"{API}/building-groups", "group_id"): _grid_node("building_groups"),
    (f"{API}/member-households", "node_id"): _grid_node("member_households"),
    (f"{API}/activities", "activity_id"): _per_community("activities"),
    (f"{API}/activities", "signup_id"): _signup,
    (f"{API}/activities", "community_id"): _area_community,
    (f"{API}/activities", "org_id"): _area_community,
    (f"{API}/market/goods", "goods_id"): _per_community("goods"),
    (f"{API}/market/redemptions", "redemption_id"): _per_community("redemptions"),
    (f"{API}/market", "community_id"): _area_community,
    (f"{API}/volunteer-teams", "team_id"): _per_community("teams"),
    (f"{API}/volunteer-teams", "user_id"): _team_member,
    (f"{API}/volunteer-teams", "org_id"): _area_community,
    (f"{API}/tasks", "task_id"): _per_community("tasks"),
    (f"{API}/tasks", "report_id"): _task_report,
    (f"{API}/tasks", "attachment_id"): _task_report_attachment,
    (f"{API}/tasks", "org_id"): _area_community,
    (f"{API}/tasks", "parent_id"): _per_community("tasks"),
    (f"{API}/tasks", "meeting_id"): _per_community("meetings"),
    (f"{API}/tasks/bulletins", "bulletin_id"): _per_community("bulletins"),
    (f"{API}/meetings", "meeting_id"): _per_community("meetings"),
    (f"{API}/meetings", "attachment_id"): _meeting_attachment,
    (f"{API}/meetings", "org_id"): _area_community,
    (f"{API}/assessment", "sheet_id"): _per_street("assessment_sheets"),
    (f"{API}/assessment", "round_id"): _round,
    (f"{API}/assessment", "org_id"): _area_node,
    (f"{API}/reviews", "review_id"): _review,
    (f"{API}/reviews", "report_id"): _review_report,
    (f"{API}/reviews", "org_id"): _area_node,
}


def resolver_for(path: str, param: str) -> Callable[[Ctx], Target] | None:
    keys = [k for k in RESOLVERS if k[1] == param and path.startswith(k[0])]
    return RESOLVERS[max(keys, key=lambda k: len(k[0]))] if keys else None


def with_ids(route: Route, value: int) -> str:
    """The route's URL with every path parameter set to `value`."""
    return _PARAM.sub(str(value), route.path)


def missing_resolver_message(route: Route, param: str) -> str:
    return (
        f"{route}: no scope-matrix resolver for parameter {param!r}. Add an entry "
        f"(path prefix, {param!r}) → function(ctx) returning a Target outside the caller's "
        f"subtree to RESOLVERS in tests/scope_targets.py."
    )


def id_query_params(route: Route) -> list[str]:
    """Query parameters that name a scoped object (`parent_id`, `street_id`, ...)."""
    return [q for q in route.query if q.endswith("_id")]


# --- bodies: valid for the endpoint, referring to objects in the caller's own subtree -------
# Only the path parameter lies outside the caller's subtree, so the 404 can come from nothing
# but the scope check; the district admin's control proves the body itself is accepted.

def _move_body(c: Ctx) -> dict[str, Any]:
    org = org_by_id(c.world, c.resolved["org_id"].id)
    kind = OrgKind(org.kind)
    own = [o for o in orgs_under(c.world, c.caller) if may_sit_under(kind, OrgKind(o.kind))]
    # A grid caller's subtree holds no node a grid branch may sit under: keep the parent.
    return {"new_parent_id": own[0].id if own else org.parent_id}


def _staff_body(c: Ctx) -> dict[str, Any]:
    head, worker = users_under(c.world, c.caller)[:2]
    return {"head_user_id": head.id, "worker_user_ids": [worker.id]}


def _role_body(c: Ctx) -> dict[str, Any]:
    kinds = ROLE_NODE_KINDS[Role.member]
    org = next(o for o in orgs_under(c.world, c.caller) if o.kind in kinds)
    return {"role": Role.member, "org_id": org.id}


def _points_body(c: Ctx) -> dict[str, Any]:
    patrol = next(p for p in c.world.patrols if p.id == c.resolved["patrol_id"].id)
    at = patrol.started_at + timedelta(minutes=1, seconds=30)  # inside its window, a new fix
    return {"points": [{"lng": 113.805, "lat": 34.005, "at": at.isoformat()}]}


def _checkin_code_body(c: Ctx) -> dict[str, Any]:
    # A valid code for the resolved activity's sign-up: the control checks it in or answers 409
    # (the world's activities start in two days, outside the check-in window).
    signup = _signup(c)
    code, _ = codes.issue(make_settings(), c.resolved["activity_id"].id, signup.id, utcnow())
    return {"code": code}


def _own_case_body(c: Ctx) -> dict[str, Any]:
    return {"case_id": c.world.cases[c.world.grids.index(grid_at(c.world, grid_key(c.caller)))].id}


BODIES: dict[tuple[str, str], Callable[[Ctx], dict[str, Any]]] = {
    ("PATCH", f"{API}/orgs/{{org_id}}"): lambda c: {"name": "scope-matrix"},
    ("POST", f"{API}/orgs/{{org_id}}/move"): _move_body,
    ("PATCH", f"{API}/grids/{{grid_id}}"): lambda c: {"name": "scope-matrix"},
    ("PUT", f"{API}/grids/{{grid_id}}/staff"): _staff_body,
    ("POST", f"{API}/users/{{user_id}}/roles"): _role_body,
    ("POST", f"{API}/cases/{{case_id}}/transitions"): lambda c: {"action": "accept"},
    # Multipart: the matrix sends a real photo as the `file` field.
    ("POST", f"{API}/cases/{{case_id}}/attachments"): lambda c: {MULTIPART: "file"},
    ("POST", f"{API}/patrols/{{patrol_id}}/points"): _points_body,
    ("POST", f"{API}/patrols/{{patrol_id}}/cases"): _own_case_body,
    ("PATCH", f"{API}/visits/{{visit_id}}"): lambda c: {"notes": "scope-matrix"},
    ("POST", f"{API}/residents/{{resident_id}}/reveal"): lambda c: {"purpose": "scope-matrix"},
    ("POST", f"{API}/registrations/{{registration_id}}/reject"):
        lambda c: {"reason": "scope-matrix"},
    # Members register where they live, anywhere in the district: the caller's own community.
    ("POST", f"{API}/registrations/{{registration_id}}/move"):
        lambda c: {"community_id": grid_at(c.world, c.caller).community_id, "address": "1号"},
    ("POST", f"{API}/wishes/{{wish_id}}/fulfil"): lambda c: {"evidence": "scope-matrix"},
    ("PATCH", f"{API}/units/{{unit_id}}"): lambda c: {"name": "scope-matrix"},
    # The unit is already registered with the caller's community: the control answers 409.
    ("POST", f"{API}/units/{{unit_id}}/registrations"):
        lambda c: {"community_id": grid_at(c.world, c.caller).community_id},
    ("PATCH", f"{API}/agreements/{{agreement_id}}"): lambda c: {"title": "scope-matrix"},
    ("POST", f"{API}/agreements/{{agreement_id}}/projects"):
        lambda c: {"name": "scope-matrix", "owner": "scope-matrix"},
    ("PATCH", f"{API}/agreements/{{agreement_id}}/projects/{{project_id}}"):
        lambda c: {"name": "scope-matrix"},
    ("POST", f"{API}/agreements/{{agreement_id}}/reports"):
        lambda c: {"side": "community", "period": "2026-Q4", "summary": "scope-matrix"},
    ("PATCH", f"{API}/cadres/{{cadre_id}}"): lambda c: {"position": "scope-matrix"},
    ("PATCH", f"{API}/members/{{member_id}}"): lambda c: {"badge_posted": True},
    ("POST", f"{API}/members/{{member_id}}/reveal"): lambda c: {"purpose": "scope-matrix"},
    ("POST", f"{API}/members/{{member_id}}/service-certificates"): lambda c: {},
    ("POST", f"{API}/member-findings/{{finding_id}}/verify"): lambda c: {},
    ("POST", f"{API}/member-findings/{{finding_id}}/reject"): lambda c: {"reason": "scope-matrix"},
    # The register rows of the target node's own grid: the only ones it may take.
    ("PUT", f"{API}/building-groups/{{group_id}}/buildings"):
        lambda c: {"building_ids": [_in_area("buildings")(c).id]},
    ("PUT", f"{API}/member-households/{{node_id}}/households"):
        lambda c: {"home_household_id": None, "household_ids": [_in_area("households")(c).id]},
    ("POST", f"{API}/activities/{{activity_id}}/cancel"): lambda c: {"reason": "scope-matrix"},
    ("PATCH", f"{API}/activities/{{activity_id}}"): lambda c: {"title": "scope-matrix"},
    ("POST", f"{API}/activities/{{activity_id}}/checkins"): _checkin_code_body,
    ("POST", f"{API}/activities/{{activity_id}}/signups/{{signup_id}}/check-in"):
        lambda c: {"lng": 113.805, "lat": 34.005},
    ("POST", f"{API}/activities/{{activity_id}}/signups/{{signup_id}}/check-out"):
        lambda c: {"lng": 113.805, "lat": 34.005},
    ("POST", f"{API}/activities/{{activity_id}}/signups/{{signup_id}}/correction"):
        lambda c: {"minutes": 30, "reason": "scope-matrix"},
    ("PATCH", f"{API}/market/goods/{{goods_id}}"): lambda c: {"name": "scope-matrix"},
    ("POST", f"{API}/market/goods/{{goods_id}}/stock"): lambda c: {"delta": 1},
    # The district admin has no points: the control's redemption answers 409.
    ("POST", f"{API}/market/goods/{{goods_id}}/redemptions"): lambda c: {"quantity": 1},
    # A user of the caller's own subtree joins the outside team (the body is not the target).
    ("POST", f"{API}/volunteer-teams/{{team_id}}/members"):
        lambda c: {"user_id": users_under(c.world, c.caller)[0].id},
    ("PATCH", f"{API}/tasks/{{task_id}}"): lambda c: {"content": "scope-matrix"},
    ("POST", f"{API}/tasks/{{task_id}}/reports"):
        lambda c: {"responsible_id": _task_responsible(c), "week": "2026-W47", "percent": 10,
                   "text": "scope-matrix"},
    ("PATCH", f"{API}/tasks/{{task_id}}/reports/{{report_id}}"):
        lambda c: {"text": "scope-matrix"},
    ("POST", f"{API}/meetings/{{meeting_id}}/move"):
        lambda c: {"scheduled_on": "2026-12-14", "reason": "scope-matrix"},
    ("POST", f"{API}/meetings/{{meeting_id}}/cancel"): lambda c: {"reason": "scope-matrix"},
    ("PUT", f"{API}/meetings/{{meeting_id}}/attendees"):
        lambda c: {"attendees": [{"kind": "org", "id": _area_community(c).id}]},
    ("POST", f"{API}/meetings/{{meeting_id}}/sign-in"): lambda c: {"code": "123456"},
    ("PUT", f"{API}/meetings/{{meeting_id}}/minutes"): lambda c: {"minutes": "scope-matrix"},
    ("POST", f"{API}/meetings/{{meeting_id}}/resolutions"):
        lambda c: {"content": "scope-matrix", "lead_org_id": _area_community(c).id,
                   "deadline": "2026-12-31"},
    # The world's sheets are in use: the control's edit answers 409.
    ("PATCH", f"{API}/assessment/sheets/{{sheet_id}}"): lambda c: {"name": "scope-matrix"},
    ("POST", f"{API}/assessment/rounds/{{round_id}}/scores"): _score_body,
    ("POST", f"{API}/reviews/{{review_id}}/reports"): _reviewed_community,
    ("POST", f"{API}/reviews/{{review_id}}/reports/{{report_id}}/ratings"):
        lambda c: {"grade": "good"},
}

# Writes only the object's owner may make, whoever else holds rights in scope (a patrol's track,
# end and cases belong to its worker). The district admin's control answers 403 with this code:
# the object was found and the body accepted, which is what the control has to prove.
OWNER_ONLY: dict[tuple[str, str], str] = {
    ("POST", f"{API}/patrols/{{patrol_id}}/points"): "patrol_not_owner",
    ("POST", f"{API}/patrols/{{patrol_id}}/end"): "patrol_not_owner",
    # Only the community a member is registered with issues their certificate: the matrix's
    # members (one per grid) are registered nowhere, so even the district admin gets 403.
    ("POST", f"{API}/members/{{member_id}}/service-certificates"): "certificate_not_issuer",
    ("POST", f"{API}/patrols/{{patrol_id}}/cases"): "patrol_not_owner",
    # A registration is the member's own; claiming needs the caller's own member record, and
    # fulfilling or releasing a wish is its claimant's.
    ("POST", f"{API}/registrations/{{registration_id}}/withdraw"): "registration_not_owner",
    ("POST", f"{API}/registrations/{{registration_id}}/move"): "registration_not_owner",
    ("POST", f"{API}/wishes/{{wish_id}}/claim"): "member_not_linked",
    ("POST", f"{API}/wishes/{{wish_id}}/fulfil"): "wish_not_claimant",
    ("POST", f"{API}/wishes/{{wish_id}}/release"): "wish_not_claimant",
    # Checking in and out is the volunteer's own, from their phone.
    ("POST", f"{API}/activities/{{activity_id}}/signups/{{signup_id}}/check-in"):
        "signup_not_owner",
    ("POST", f"{API}/activities/{{activity_id}}/signups/{{signup_id}}/check-out"):
        "signup_not_owner",
    ("GET", f"{API}/activities/{{activity_id}}/signups/{{signup_id}}/code"): "signup_not_owner",
    # Progress is reported by the responsible unit's own staff; signing in is the attendee's.
    ("POST", f"{API}/tasks/{{task_id}}/reports"): "task_not_responsible",
    ("PATCH", f"{API}/tasks/{{task_id}}/reports/{{report_id}}"): "task_not_responsible",
    ("POST", f"{API}/meetings/{{meeting_id}}/sign-in"): "meeting_not_attendee",
    # Only the org's own secretary files its year-end report.
    ("POST", f"{API}/reviews/{{review_id}}/reports"): "review_not_secretary",
}


MULTIPART = "__multipart__"

# Lists of the caller's own rows (no org path: they belong to a person, not a subtree).
# Each has its own "one user never sees another's" test next to its domain's tests.
PERSONAL_LISTS = {f"{API}/notifications": "tests/notify/test_router.py",
                  f"{API}/assessment/rounds/mine": "tests/assessment/test_round_lifecycle.py",
                  f"{API}/reviews/mine": "tests/assessment/test_round_lifecycle.py",
                  f"{API}/points/statement": "tests/volunteers/test_points.py",
                  f"{API}/registrations/mine": "tests/registrations/test_router.py",
                  f"{API}/tasks/assigned": "tests/tasks/test_lists.py"}


def missing_body_message(route: Route) -> str:
    return (
        f"{route} takes a request body: add a BODIES entry ({route.method!r}, {route.path!r}) "
        f"→ function(ctx) returning a valid body to tests/scope_targets.py."
    )


@dataclass(frozen=True)
class Request:
    url: str
    json: dict[str, Any] | None
    targets: dict[str, Target]


def build_request(route: Route, ctx: Ctx) -> Request | str:
    """The request aimed at the area, or the message naming what the matrix lacks."""
    url = route.path
    for param in route.params:
        resolve = resolver_for(route.path, param)
        if resolve is None:
            return missing_resolver_message(route, param)
        ctx.resolved[param] = resolve(ctx)
        url = url.replace(f"{{{param}}}", str(ctx.resolved[param].id))
    body = None
    if route.body_required:
        make = BODIES.get((route.method, route.path))
        if make is None:
            return missing_body_message(route)
        body = make(ctx)
    return Request(url, body, dict(ctx.resolved))
