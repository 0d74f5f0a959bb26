"""Open311 operations on our cases: services are leaf case categories, requests are cases
reported through `app.cases.service.create` with the client's principal."""

from __future__ import annotations

from collections.abc import Callable

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from app.cases import categories
from app.cases import service as cases
from app.cases.calendar import WorkCalendar
from app.cases.errors import OutsideArea, OutsideGrids
from app.cases.rules import FINAL
from app.cases.schemas import CaseCreate, CategoryNode, Status
from app.core.permissions import Perm
from app.core.scope import scope_paths
from app.core.security import Principal
from app.models import Grid
from app.open311 import mapping
from app.open311 import repository as repo
from app.open311.errors import bad_request, forbidden, not_found
from app.open311.inputs import Page, Report, Search, Window
from app.open311.mapping import ATTRIBUTES, MEDIA_MARK, RequestRow

SOURCE = "open311"
MediaLink = Callable[[int, int], str]  # (case id, attachment id) → download URL
Record = dict[str, object]


async def _leaves(session: AsyncSession) -> list[tuple[CategoryNode, CategoryNode | None]]:
    """Active categories with a time limit are services; their parent names the group."""
    out: list[tuple[CategoryNode, CategoryNode | None]] = []

    def walk(node: CategoryNode, parent: CategoryNode | None) -> None:
        if node.time_limit_hours is not None:
            out.append((node, parent))
        for child in node.children:
            walk(child, node)

    for root in await categories.tree(session):
        walk(root, None)
    return out


async def services(session: AsyncSession) -> list[Record]:
    return [mapping.service_record(leaf, parent) for leaf, parent in await _leaves(session)]


async def _service(session: AsyncSession, code: str) -> CategoryNode:
    for leaf, _ in await _leaves(session):
        if leaf.code == code:
            return leaf
    raise not_found(f"服务 {code} 不存在", f"No service with service_code {code!r}")


async def definition(session: AsyncSession, code: str) -> Record:
    leaf = await _service(session, code)
    return mapping.definition_record(leaf.code)


def _address_detail(attributes: dict[str, list[str]]) -> str | None:
    """Known attributes are checked; codes we do not define are ignored, as clients (e.g.
    FixMyStreet) send their own extras."""
    details: str | None = None
    for a in ATTRIBUTES:
        values = attributes.get(a.code, [])
        if a.required and not values:
            raise bad_request(f"缺少属性 {a.code}", f"attribute[{a.code}] is required")
        if len(values) > 1 or any(len(v) > a.max_len for v in values):
            raise bad_request(f"属性 {a.code} 应为一个不超过 {a.max_len} 字的值",
                              f"attribute[{a.code}] takes one value of at most {a.max_len} "
                              "characters")
        if a.code == "address_detail" and values:
            details = values[0]
    return details


def _centre(grid: Grid) -> tuple[float, float]:
    if None in (grid.min_lng, grid.max_lng, grid.min_lat, grid.max_lat):
        raise bad_request("该地址所在网格没有边界，请提供 lat 与 long",
                          "The grid of this address has no boundary: send lat and long")
    assert grid.min_lng is not None and grid.max_lng is not None
    assert grid.min_lat is not None and grid.max_lat is not None
    return (grid.min_lng + grid.max_lng) / 2, (grid.min_lat + grid.max_lat) / 2


async def _grid_of_address(session: AsyncSession, principal: Principal, data: Report
                           ) -> Grid:
    """Without coordinates: `address_id` is a grid code; an `address_string` must name one of
    the client's grids (we have no geocoder)."""
    paths = scope_paths(principal, Perm.case_report)
    if data.address_id is not None:
        grid = await repo.grid_by_code(session, paths, data.address_id)
        if grid is None:
            raise bad_request(f"address_id {data.address_id} 不是可上报的网格编码",
                              f"address_id {data.address_id!r} is not a grid code you may "
                              "report in")
        return grid
    assert data.address_string is not None
    found = await repo.grids_named_in(session, paths, data.address_string)
    longest = max((len(g.name) for g in found), default=0)
    best = [g for g in found if len(g.name) == longest]
    if len(best) != 1:
        raise bad_request("无法根据 address_string 确定网格，请提供 lat 与 long（WGS-84）",
                          "No single grid can be found from address_string alone: send lat "
                          "and long (WGS-84)")
    return best[0]


async def _location(session: AsyncSession, principal: Principal, data: Report
                    ) -> tuple[float, float, int | None]:
    """(lng, lat, grid id or None to place by the point)."""
    if (data.lat is None) != (data.lng is None):
        raise bad_request("lat 与 long 须同时提供", "lat and long go together")
    if data.lat is not None and data.lng is not None:
        return data.lng, data.lat, None
    if data.address_id is None and data.address_string is None:
        raise bad_request("须提供位置：lat 与 long、address_string 或 address_id",
                          "A location is required: lat and long, address_string or address_id")
    grid = await _grid_of_address(session, principal, data)
    lng, lat = _centre(grid)
    return lng, lat, grid.id


def _case_create(data: Report, leaf: CategoryNode, lng: float, lat: float,
                 grid_id: int | None) -> CaseCreate:
    detail = _address_detail(data.attributes)
    address = " ".join(p for p in (data.address_string, detail) if p) or None
    if address is not None and len(address) > 255:
        raise bad_request("地址过长（最多 255 字）", "The address is too long (at most 255)")
    description = (data.description or leaf.name) + (
        f"{MEDIA_MARK}{data.media_url}" if data.media_url else "")
    try:
        return CaseCreate.model_validate({
            "category_code": leaf.code, "description": description,
            "lng": lng, "lat": lat, "crs": "wgs84", "address": address, "grid_id": grid_id})
    except ValidationError as exc:
        raise bad_request("上报内容无效", f"Invalid report: {exc.errors()[0]['msg']}") from None


async def report(session: AsyncSession, principal: Principal, calendar: WorkCalendar,
                 data: Report) -> list[Record]:
    if not principal.has(Perm.case_report):
        raise forbidden("该 api_key 无权上报", "This api_key may not submit requests")
    leaf = await _service(session, data.service_code)
    lng, lat, grid_id = await _location(session, principal, data)
    body = _case_create(data, leaf, lng, lat, grid_id)
    try:
        case, _ = await cases.create(session, principal, body, calendar, source=SOURCE)
    except OutsideGrids:
        raise bad_request("该位置不在任何网格内（坐标应为 WGS-84）",
                          "The location is outside every grid (lat/long are WGS-84)") from None
    except OutsideArea:
        raise forbidden("该位置不在此 api_key 的上报范围内",
                        "The location is outside the area this api_key may report in") from None
    return [{"service_request_id": case.code,
             "service_notice": mapping.time_limit_notice(leaf.time_limit_hours),
             "account_id": data.account_id}]


async def _scope(session: AsyncSession, principal: Principal | None) -> ColumnElement[bool]:
    """A client's cases, or without a key (None) the public ones of the district."""
    if principal is not None:
        return repo.client_scope(principal)
    return repo.public_scope(await repo.district_paths(session))


async def _records(session: AsyncSession, rows: list[RequestRow], media: MediaLink, *,
                   public: bool) -> list[Record]:
    if public:  # never our photos (mapping.request_record): no need to look them up
        return [mapping.request_record(r, None, public=True) for r in rows]
    firsts = await repo.first_attachments(session, [r.case.id for r in rows])
    return [mapping.request_record(
        r, media(r.case.id, firsts[r.case.id]) if r.case.id in firsts else None) for r in rows]


def _states(wanted: list[str]) -> list[str] | None:
    """Our workflow states behind Open311's `open`/`closed` (None: no filter)."""
    if not wanted or set(wanted) == {"open", "closed"}:
        return None
    closed = wanted == ["closed"]
    return [s.value for s in Status if (s in FINAL) == closed]


async def find(session: AsyncSession, principal: Principal | None, query: Search,
               media: MediaLink) -> list[Record]:
    """Requests found by `query`; `principal` None: a reader without a key."""
    scope = await _scope(session, principal)
    if query.ids:
        rows = await repo.by_codes(session, scope, query.ids)
    else:
        assert query.window is not None
        rows = await repo.search(
            session, scope, start=query.window.start, end=query.window.end,
            services=query.services, states=_states(query.states),
            offset=query.page.offset, limit=query.page.size)
    return await _records(session, rows, media, public=principal is None)


async def one(session: AsyncSession, principal: Principal | None, code: str, media: MediaLink
              ) -> list[Record]:
    rows = await repo.by_codes(session, await _scope(session, principal), [code])
    if not rows:
        raise not_found(f"服务请求 {code} 不存在", f"No service request {code!r}")
    return await _records(session, rows, media, public=principal is None)


async def token(session: AsyncSession, principal: Principal | None, token: str
                ) -> list[Record]:
    """Requests are created at once, so a token is the service_request_id itself."""
    rows = await repo.by_codes(session, await _scope(session, principal), [token])
    if not rows:
        raise not_found(f"令牌 {token} 不存在", f"No token {token!r}")
    return [{"service_request_id": rows[0].case.code, "token": token}]


async def updates(session: AsyncSession, principal: Principal | None, window: Window,
                  page: Page) -> list[Record]:
    scope = await _scope(session, principal)
    rows = await repo.events(session, scope, start=window.start, end=window.end,
                             offset=page.offset, limit=page.size)
    return [mapping.update_record(event, code) for event, code in rows]
