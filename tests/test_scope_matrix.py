"""The scope matrix: no role reads or writes outside its subtree, on every route.

Routes come from the app's OpenAPI document, so a new route joins the matrix when it is added;
`tests/scope_targets.py` says which object outside the caller's subtree each parameter names.

- every route with a path parameter, every non-root caller, every area outside its subtree → 404
  (not 403: that would reveal the object exists), with the district admin as positive control;
- every list route (`{"items": [...]}`) → items only from the caller's grants, exactly the
  district admin's items inside them when the caller holds `<tag>:read`, and `*_id` filters
  pointing outside do not widen it.

At the end, hand-written cases for references the matrix cannot derive: a readable user's role
assignments outside the caller's subtree, and locating a point inside an outside grid.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.permissions import ROLE_PERMISSIONS, Perm, Role
from app.models import RoleAssignment
from tests import scope_targets as st
from tests.factories import World, png_bytes

ROUTES = st.routes_from_openapi(st.app_openapi())
PARAM_ROUTES = [r for r in ROUTES if r.params]
LIST_ROUTES = [
    r for r in ROUTES
    if r.method == "GET" and not r.params and r.item_fields is not None and not r.required_query
    and r.path not in st.PERSONAL_LISTS
]

# Cases that answer something other than 404 today: case id → reason. They run as
# xfail(strict=True), so the leak stays recorded and the case turns red once it is fixed.
KNOWN_LEAKS: dict[str, str] = {}
NO_SUCH_ID = 2_000_000_000  # fits a 32-bit integer, exists nowhere


def _case(case_id: str, *values: Any, leak: str | None = None) -> Any:
    reason = leak or KNOWN_LEAKS.get(case_id)
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(*values, id=case_id, marks=marks)


@pytest.fixture(scope="module")
async def assignments(engine: AsyncEngine, world: World) -> dict[int, list[st.Target]]:
    """The world's role assignments by user (the factories do not keep them)."""
    stmt = select(RoleAssignment.user_id, RoleAssignment.id, RoleAssignment.org_path).order_by(
        RoleAssignment.id
    )
    async with engine.connect() as conn:
        rows = (await conn.execute(stmt)).all()
    out: dict[int, list[st.Target]] = {}
    for user_id, a_id, path in rows:
        out.setdefault(user_id, []).append(st.Target(a_id, path))
    return out


def _request(route: st.Route, world: World, node: str, area: str,
             assignments: dict[int, list[st.Target]]) -> st.Request:
    built = st.build_request(route, st.Ctx(world, node, area, assignments))
    if isinstance(built, str):
        pytest.fail(built)
    caller_path = st.org_at(world, node).path
    for param, target in built.targets.items():
        # Guards the resolvers: an in-scope target could pass vacuously (404 for lack of a right).
        assert not target.path.startswith(caller_path), (
            f"resolver for {param!r} returned an object inside {node}: {target}"
        )
    return built


def _problem(r: httpx.Response) -> tuple[str, str, str]:
    assert r.headers["content-type"].startswith("application/problem+json"), r.text
    body = r.json()
    return body["code"], body["title"], body["detail"]


async def _send(client: httpx.AsyncClient, route: st.Route, req: st.Request,
                headers: dict[str, str]) -> httpx.Response:
    if req.json and st.MULTIPART in req.json:
        files = {req.json[st.MULTIPART]: ("photo.png", png_bytes(), "image/png")}
        return await client.request(route.method, req.url, files=files, headers=headers)
    return await client.request(route.method, req.url, json=req.json, headers=headers)


class TestMatrixIsComplete:
    def test_routes_match_the_running_app(self, app: Any) -> None:
        assert {str(r) for r in st.routes_from_openapi(app.openapi())} == {str(r) for r in ROUTES}
        assert PARAM_ROUTES and LIST_ROUTES

    def test_every_path_parameter_has_a_resolver(self) -> None:
        missing = [st.missing_resolver_message(r, p) for r in PARAM_ROUTES for p in r.params
                   if st.resolver_for(r.path, p) is None]
        assert not missing, "\n".join(missing)

    def test_every_list_id_filter_has_a_resolver(self) -> None:
        missing = [st.missing_resolver_message(r, q) for r in LIST_ROUTES
                   for q in st.id_query_params(r) if st.resolver_for(r.path, q) is None]
        assert not missing, "\n".join(missing)

    def test_every_write_with_a_path_parameter_has_a_body(self) -> None:
        missing = [st.missing_body_message(r) for r in PARAM_ROUTES
                   if r.body_required and (r.method, r.path) not in st.BODIES]
        assert not missing, "\n".join(missing)

    def test_list_items_carry_a_path(self) -> None:
        bare = [str(r) for r in LIST_ROUTES if not r.item_fields]
        assert not bare, f"list items without `path`/`org_path`, cannot be scope-checked: {bare}"


OUTSIDE_CASES = [
    _case(f"{route} as {node}:{role} on {area}", route, node, role, area)
    for route in PARAM_ROUTES
    for node, role, area in st.CALLER_AREAS
]


@pytest.mark.parametrize(("route", "node", "role", "area"), OUTSIDE_CASES)
async def test_outside_subtree_is_404(route: st.Route, node: str, role: Role, area: str,
                                      client: httpx.AsyncClient, auth: Any, world: World,
                                      assignments: dict[int, list[st.Target]]) -> None:
    req = _request(route, world, node, area, assignments)
    r = await _send(client, route, req, auth(world.users[f"{node}:{role}"]))
    assert r.status_code == 404, (
        f"{route} as {node}:{role} reached {req.url} in {area}: {r.status_code} {r.text}"
    )
    # "Not yours" must read exactly like "does not exist", or the 404 itself reveals existence.
    missing = st.Request(st.with_ids(route, NO_SUCH_ID), req.json, {})
    r_missing = await _send(client, route, missing, auth(world.users[f"{node}:{role}"]))
    assert r_missing.status_code == 404, r_missing.text
    assert _problem(r) == _problem(r_missing)


CONTROL_CASES = [
    pytest.param(route, node, area, id=f"{route} as root:{st.CONTROL} on {area} (body of {node})")
    for route in PARAM_ROUTES
    for node in st.CALLERS
    for area in st.OUTSIDE[node]
]


@pytest.mark.parametrize(("route", "node", "area"), CONTROL_CASES)
async def test_district_admin_reaches_the_same_target(route: st.Route, node: str, area: str,
                                                      client: httpx.AsyncClient, auth: Any,
                                                      world: World,
                                                      assignments: dict[int, list[st.Target]]
                                                      ) -> None:
    """Positive control: the same URL and body are real, so the 404 above is the scope check."""
    req = _request(route, world, node, area, assignments)
    r = await _send(client, route, req, auth(world.user(st.CONTROL)))
    owner_only = st.OWNER_ONLY.get((route.method, route.path))
    if owner_only and r.status_code == 403:
        assert r.json()["code"] == owner_only, r.text
        return
    # 409 is fine (e.g. deleting a non-empty node); 404/405/422 would mean a wrong URL or body.
    assert r.status_code < 300 or r.status_code == 409, f"{req.url}: {r.status_code} {r.text}"


# --- list routes ------------------------------------------------------------------------------

def _paths_in(value: Any, fields: tuple[str, ...]) -> list[str]:
    """Every `path`/`org_path` in an item, nested ones included."""
    if isinstance(value, dict):
        own = [v for k, v in value.items() if k in fields and isinstance(v, str)]
        return own + [p for v in value.values() for p in _paths_in(v, fields)]
    if isinstance(value, list):
        return [p for v in value for p in _paths_in(v, fields)]
    return []


async def _walk(client: httpx.AsyncClient, route: st.Route, headers: dict[str, str],
                params: dict[str, Any]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(100):
        query = {**params, "limit": 100, **({"cursor": cursor} if cursor else {})}
        r = await client.get(route.path, params=query, headers=headers)
        assert r.status_code == 200, f"{route} {query}: {r.status_code} {r.text}"
        page = r.json()
        items += page["items"]
        cursor = page.get("next_cursor")
        if not cursor:
            return items
    pytest.fail(f"{route}: next_cursor never ends")


def _outside(items: list[dict[str, Any]], fields: tuple[str, ...], grants: list[str]
             ) -> list[dict[str, Any]]:
    return [i for i in items
            if not all(any(p.startswith(g) for g in grants) for p in _paths_in(i, fields))]


def _grants(world: World, node: str, role: Role) -> list[str]:
    return [world.user_node[f"{node}:{role}"].path]


LIST_CASES = [
    _case(f"{route} as {node}:{role}", route, node, role)
    for route in LIST_ROUTES
    for node, roles in st.CALLERS.items()
    for role in roles
]


@pytest.mark.parametrize(("route", "node", "role"), LIST_CASES)
async def test_list_stays_in_subtree(route: st.Route, node: str, role: Role,
                                     client: httpx.AsyncClient, auth: Any, world: World) -> None:
    fields = route.item_fields or ()
    grants = _grants(world, node, role)
    items = await _walk(client, route, auth(world.users[f"{node}:{role}"]), {})
    leaked = _outside(items, fields, grants)
    assert not leaked, f"{route} as {node}:{role} lists objects outside {grants}: {leaked}"

    everything = await _walk(client, route, auth(world.user(st.CONTROL)), {})
    assert _outside(everything, fields, grants), "control: nothing exists outside the caller"
    perm = f"{route.tag}:read"
    if perm in {p.value for p in Perm}:
        # Lists show exactly what the read right covers: all of it inside, nothing without it.
        held = perm in ROLE_PERMISSIONS[role]
        expected = [i["id"] for i in everything if held and not _outside([i], fields, grants)]
        assert [i["id"] for i in items] == expected


FILTER_CASES = [
    _case(f"{route} ?{param}=<{area}> as {node}:{role}", route, param, node, role, area)
    for route in LIST_ROUTES
    for param in st.id_query_params(route)
    for node, role, area in st.CALLER_AREAS
]


@pytest.mark.parametrize(("route", "param", "node", "role", "area"), FILTER_CASES)
async def test_list_filter_outside_does_not_widen(route: st.Route, param: str, node: str,
                                                  role: Role, area: str,
                                                  client: httpx.AsyncClient, auth: Any,
                                                  world: World,
                                                  assignments: dict[int, list[st.Target]]
                                                  ) -> None:
    resolve = st.resolver_for(route.path, param)
    if resolve is None:
        pytest.fail(st.missing_resolver_message(route, param))
    target = resolve(st.Ctx(world, node, area, assignments))
    items = await _walk(client, route, auth(world.users[f"{node}:{role}"]), {param: target.id})
    grants = _grants(world, node, role)
    leaked = _outside(items, route.item_fields or (), grants)
    assert not leaked, f"{route}?{param}={target.id} as {node}:{role}: {leaked}"
    # Control: the filter is accepted and everything the caller got is really there.
    control = await _walk(client, route, auth(world.user(st.CONTROL)), {param: target.id})
    assert {i["id"] for i in items} <= {i["id"] for i in control}


# --- references that are not path parameters ----------------------------------------------
# Hand-written, because the world has no user holding roles in two subtrees and a point is not
# an id: a user inside the caller's subtree gets a role outside it (granted by the district admin
# inside the test's transaction), and a point inside an outside grid is looked up.

USER_READERS = [
    (node, role, area) for node, role, area in st.CALLER_AREAS
    if Perm.user_read in ROLE_PERMISSIONS[role]
]
USERS = f"{st.API}/users"


def _cases(label: str, leak: str | None) -> list[Any]:
    return [_case(f"{label} as {node}:{role} on {area}", node, role, area, leak=leak)
            for node, role, area in USER_READERS]


async def _inside_user_with_outside_role(client: httpx.AsyncClient, auth: Any, world: World,
                                         node: str, role: Role, area: str) -> tuple[int, int]:
    caller = world.users[f"{node}:{role}"]
    inside = next(u for u in st.users_under(world, node) if u.id != caller.id)
    outside_org = st.org_at(world, st.grid_key(area))
    r = await client.post(f"{USERS}/{inside.id}/roles", headers=auth(world.user(st.CONTROL)),
                          json={"role": Role.member, "org_id": outside_org.id})
    assert r.status_code == 201, r.text
    return inside.id, r.json()["id"]


@pytest.mark.parametrize(("node", "role", "area"),
                         _cases(f"GET {USERS}/{{user_id}} roles", None))
async def test_user_read_shows_no_role_outside(node: str, role: Role, area: str,
                                               client: httpx.AsyncClient, auth: Any,
                                               world: World) -> None:
    user_id, _ = await _inside_user_with_outside_role(client, auth, world, node, role, area)
    r = await client.get(f"{USERS}/{user_id}", headers=auth(world.users[f"{node}:{role}"]))
    assert r.status_code == 200, r.text
    grants = _grants(world, node, role)
    outside = [x for x in r.json()["roles"] if not any(x["org_path"].startswith(g) for g in grants)]
    assert not outside, f"roles outside {grants}: {outside}"


@pytest.mark.parametrize(("node", "role", "area"),
                         _cases(f"DELETE {USERS}/{{user_id}}/roles/<outside>", None))
async def test_remove_outside_role_reads_as_missing(node: str, role: Role, area: str,
                                                    client: httpx.AsyncClient, auth: Any,
                                                    world: World) -> None:
    user_id, a_id = await _inside_user_with_outside_role(client, auth, world, node, role, area)
    headers = auth(world.users[f"{node}:{role}"])
    r = await client.delete(f"{USERS}/{user_id}/roles/{a_id}", headers=headers)
    assert r.status_code == 404, r.text
    missing = await client.delete(f"{USERS}/{user_id}/roles/{NO_SUCH_ID}", headers=headers)
    assert _problem(r) == _problem(missing)


@pytest.mark.parametrize(("node", "role", "area"),
                         _cases(f"POST {USERS}/{{user_id}}/roles on <outside org>", None))
async def test_grant_on_outside_org_reads_as_missing(node: str, role: Role, area: str,
                                                     client: httpx.AsyncClient, auth: Any,
                                                     world: World) -> None:
    caller = world.users[f"{node}:{role}"]
    inside = next(u for u in st.users_under(world, node) if u.id != caller.id)
    headers = auth(caller)
    url = f"{USERS}/{inside.id}/roles"
    org = st.org_at(world, st.grid_key(area))
    r = await client.post(url, headers=headers, json={"role": Role.member, "org_id": org.id})
    assert r.status_code == 404, r.text
    missing = await client.post(url, headers=headers,
                                json={"role": Role.member, "org_id": NO_SUCH_ID})
    assert _problem(r) == _problem(missing)


LOCATE = f"{st.API}/grids/locate"
LOCATE_CASES = [
    _case(f"GET {LOCATE} in <{area}> as {node}:{role}", node, role, area)
    for node, role, area in st.CALLER_AREAS
]


@pytest.mark.parametrize(("node", "role", "area"), LOCATE_CASES)
async def test_locate_does_not_find_outside_grid(node: str, role: Role, area: str,
                                                 client: httpx.AsyncClient, auth: Any,
                                                 world: World) -> None:
    assert LOCATE in {r.path for r in ROUTES}
    grid = st.grid_at(world, area)
    assert grid.min_lng is not None and grid.max_lng is not None
    assert grid.min_lat is not None and grid.max_lat is not None
    point = {"lng": (grid.min_lng + grid.max_lng) / 2, "lat": (grid.min_lat + grid.max_lat) / 2}
    r = await client.get(LOCATE, params=point, headers=auth(world.users[f"{node}:{role}"]))
    assert r.status_code == 404, r.text
    control = await client.get(LOCATE, params=point, headers=auth(world.user(st.CONTROL)))
    assert control.status_code == 200 and control.json()["id"] == grid.id, control.text
