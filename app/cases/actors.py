"""Who did what on a case, as a worker reads it: each actor's display name and the role they
acted in, not only `user:2`.

A name is shown in full to callers whose scope covers the person's home org (and to the person
themself), masked (`张*`) to everyone else, as every person's name is. The role is the one held
closest to the case: of the actor's roles on a node that covers the case's grid or its handler
org (or lies below the handler, as a grid worker of the community a case was sent to), the one
on the deepest node. Timeline entries keep the role they were written with (`actor_role`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.crypto import mask_name
from app.core.i18n import t
from app.core.scope import covers, sees
from app.core.security import Principal
from app.users import service as users

# Actors that are not people or applications: timeline entries the service writes itself.
SYSTEM_NAMES = {"system": ("系统", "System")}


def _parsed(key: str | None) -> tuple[str, int] | None:
    kind, _, ident = (key or "").partition(":")
    return (kind, int(ident)) if kind in ("user", "client") and ident.isdigit() else None


def closest_role(roles: Iterable[tuple[str, str]], paths: Iterable[str | None]) -> str | None:
    """The role on the deepest node related to one of `paths` (covering it or under it)."""
    best, depth = None, -1
    wanted = [p for p in paths if p]
    for role, node in roles:
        if len(node) > depth and any(covers(node, p) or covers(p, node) for p in wanted):
            best, depth = role, len(node)
    return best


def acting_role(principal: Principal, paths: Iterable[str | None]) -> str | None:
    """The role the caller acts in on a case at these paths (recorded on timeline entries)."""
    return closest_role(((g.role, g.org_path) for g in principal.grants), paths)


@dataclass
class Actors:
    """The people and applications of a set of actor keys, for one caller."""

    principal: Principal
    people: dict[int, users.Person] = field(default_factory=dict)
    clients: dict[int, str] = field(default_factory=dict)

    def name(self, key: str | None) -> str | None:
        parsed = _parsed(key)
        if parsed is None:
            zh, en = SYSTEM_NAMES.get(key or "", (key, key))
            return t(zh, en) if zh and en else None
        kind, ident = parsed
        if kind == "client":
            return self.clients.get(ident)  # an application's name is not personal
        person = self.people.get(ident)
        if person is None:
            return None
        if key == self.principal.key or sees(self.principal, person.org_path):
            return person.name
        return mask_name(person.name)

    def role(self, key: str | None, paths: Iterable[str | None]) -> str | None:
        parsed = _parsed(key)
        if parsed is None or parsed[0] != "user":
            return None
        person = self.people.get(parsed[1])
        return closest_role(person.roles, paths) if person else None


async def load(session: AsyncSession, principal: Principal, keys: Iterable[str | None]) -> Actors:
    """One statement for the people among `keys` (and one for applications, only if any)."""
    parsed = {p for p in map(_parsed, keys) if p is not None}
    return Actors(
        principal,
        await users.people(session, {i for kind, i in parsed if kind == "user"}),
        await users.client_names(session, {i for kind, i in parsed if kind == "client"}),
    )


def user_key(user_id: int | None) -> str | None:
    return f"user:{user_id}" if user_id is not None else None
