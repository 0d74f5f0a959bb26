"""Rules shared by units, agreements and cadres: rows reachable from two sides, orgs named in
bodies, date ranges, PATCH nulls."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from app.coconstruction import repository as shared
from app.core.errors import Forbidden, NotFound, field_error
from app.core.permissions import Perm
from app.core.scope import covers, scope_paths, sees
from app.core.security import Principal
from app.models import Org

COMMUNITY = frozenset({"community"})
STREET_OR_COMMUNITY = frozenset({"street", "town", "community"})
UNIT_HOMES = frozenset({"district", "agency"})




def holds_on_any(principal: Principal, permission: Perm, paths: Iterable[str]) -> bool:
    wanted = list(paths)
    return any(covers(s, p) for s in scope_paths(principal, permission) for p in wanted)


def authorize_either(principal: Principal, permission: Perm, paths: tuple[str, ...],
                     not_found: NotFound) -> None:
    """`scope.authorize` for a row reachable by two paths (its community's and its unit's):
    404 when no grant covers either, 403 when the right is held on neither."""
    if not any(sees(principal, p) for p in paths):
        raise not_found
    if not holds_on_any(principal, permission, paths):
        raise Forbidden()


async def referenced_org(session: AsyncSession, principal: Principal, org_id: int, *,
                         field: str, kinds: frozenset[str], scoped: bool = True) -> Org:
    """An org named in a body: one the caller cannot see (when `scoped`) reads exactly like a
    missing one — 422 naming the field — as does one of the wrong kind."""
    org = await shared.org(session, org_id)
    if org is None or (scoped and not sees(principal, org.path)):
        raise field_error(field, "组织不存在", "No such organisation")
    if org.kind not in kinds:
        allowed = "、".join(sorted(kinds))
        raise field_error(field, f"组织类型须为：{allowed}", f"The org must be one of: {allowed}")
    return org


def check_dates(starts_on: date | None, ends_on: date | None, field: str = "ends_on") -> None:
    if starts_on is not None and ends_on is not None and ends_on < starts_on:
        raise field_error(field, "结束日期不能早于开始日期", "ends_on is before starts_on")


def no_nulls(fields: dict[str, object], required: Iterable[str]) -> None:
    """PATCH: `null` only clears optional fields."""
    for name in required:
        if name in fields and fields[name] is None:
            raise field_error(name, "不能为空", "must not be null")

