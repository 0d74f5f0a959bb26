"""SQL for user accounts and role assignments, starting from the caller's scope."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, Select, bindparam, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.permissions import Perm
from app.core.reads import Read
from app.core.scope import in_paths, scope_paths
from app.core.security import Principal
from app.models import ApiClient, RoleAssignment, User


def _readable_users(principal: Principal) -> Select[User]:
    paths = scope_paths(principal, Perm.user_read)
    held_here = exists().where(
        RoleAssignment.user_id == User.id, in_paths(RoleAssignment.org_path, paths)
    )
    cond = or_(in_paths(User.org_path, paths), held_here)
    if principal.kind == "user":
        cond = or_(cond, User.id == principal.id)
    return select(User).where(cond)


async def get_readable(session: AsyncSession, principal: Principal, user_id: int) -> User | None:
    stmt = _readable_users(principal).where(User.id == user_id)
    user: User | None = (await session.execute(stmt)).scalar_one_or_none()
    return user


# Built once: `GET /me` runs it on every call, and building an IN over a fresh list (coercing
# every value) cost more than its execution's own Python work.
_ROLES_OF = (
    select(RoleAssignment)
    .where(RoleAssignment.user_id.in_(bindparam("user_ids", expanding=True)))
    .order_by(RoleAssignment.id)
)


# `GET /me`: the account and its role assignments in one statement, one row per assignment (one
# row with null role columns for an account without any). A compiled read: it runs on every call.
_ME = Read(
    select(User.id, User.username, User.display_name, User.phone_cipher,
           RoleAssignment.id.label("role_id"), RoleAssignment.role, RoleAssignment.org_id,
           RoleAssignment.org_path)
    .outerjoin(RoleAssignment, RoleAssignment.user_id == User.id)
    .where(User.id == bindparam("user_id"))
    .order_by(RoleAssignment.id)
)


async def me(session: AsyncSession, user_id: int) -> list[Any]:
    return await _ME.all(session, user_id=user_id)


async def roles_of(session: AsyncSession, user_ids: list[int]) -> list[RoleAssignment]:
    if not user_ids:
        return []
    return list((await session.execute(_ROLES_OF, {"user_ids": user_ids})).scalars())


PersonRow = Row[int, str, str | None, str, str]  # the role columns are null without a role


async def people(session: AsyncSession, user_ids: list[int]) -> Sequence[PersonRow]:
    """(id, display_name, org_path, role, role's org_path) for each of the users' role
    assignments — one row with null role for a user without any — in one statement."""
    stmt = (select(User.id, User.display_name, User.org_path, RoleAssignment.role,
                   RoleAssignment.org_path.label("role_path"))
            .outerjoin(RoleAssignment, RoleAssignment.user_id == User.id)
            .where(User.id.in_(user_ids)))
    return (await session.execute(stmt)).all()


async def client_names(session: AsyncSession, client_ids: list[int]) -> dict[int, str]:
    rows = await session.execute(select(ApiClient.id, ApiClient.name)
                                 .where(ApiClient.id.in_(client_ids)))
    return {id_: name for id_, name in rows}


async def rehome(session: AsyncSession, from_org_id: int, to_org_id: int, to_path: str) -> None:
    await session.execute(
        update(User).where(User.org_id == from_org_id).values(org_id=to_org_id, org_path=to_path)
    )


async def holders(session: AsyncSession, roles: list[str], org_ids: list[int]) -> list[int]:
    stmt = select(RoleAssignment.user_id).where(
        RoleAssignment.role.in_(roles), RoleAssignment.org_id.in_(org_ids)
    ).distinct()
    return list((await session.execute(stmt)).scalars())


async def username_taken(session: AsyncSession, username: str) -> bool:
    return bool(await session.scalar(select(exists().where(User.username == username))))


async def phone_taken(session: AsyncSession, index: str) -> bool:
    return bool(await session.scalar(select(exists().where(User.phone_index == index))))


async def assignment(session: AsyncSession, user_id: int, role: str, org_id: int
                     ) -> RoleAssignment | None:
    stmt = select(RoleAssignment).where(
        RoleAssignment.user_id == user_id, RoleAssignment.role == role,
        RoleAssignment.org_id == org_id,
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def lock_holders(session: AsyncSession, role: str, org_id: int) -> list[tuple[int, bool]]:
    """(assignment id, whether its user is active) of everyone holding `role` at `org_id`,
    locked until the transaction ends (PostgreSQL): two admins removing each other at once
    are serialised, so the second sees the first removal. SQLite has one writer anyway."""
    stmt = (
        select(RoleAssignment.id, User.is_active)
        .join(User, User.id == RoleAssignment.user_id)
        .where(RoleAssignment.role == role, RoleAssignment.org_id == org_id)
        .with_for_update(of=RoleAssignment)
    )
    return [(i, bool(active)) for i, active in (await session.execute(stmt)).all()]
