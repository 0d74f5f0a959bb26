"""SQL for 双报到, every read starting from the caller's scope (or from the member themself)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from typing import cast as typed

from sqlalchemy import Select, Text, cast, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from app.core.pagination import PageParams, keyset
from app.core.permissions import Perm
from app.core.scope import in_paths, minimal_paths, scope_paths
from app.core.security import Principal
from app.models import Member, Registration

# Who reads registrations: the reviewers (community and above) and whoever reads members.
READ_PERMS = (Perm.registration_review, Perm.member_read)


@dataclass
class Row:
    """A registration with its member's name (masked on the way out) and account."""

    reg: Registration
    name: str
    user_id: int | None


def read_paths(principal: Principal) -> list[str]:
    return minimal_paths(p for perm in READ_PERMS for p in scope_paths(principal, perm))


def _with_name() -> Select[Any]:
    # Typed loosely: keyset() takes any Select, and the rows are unpacked by _rows().
    return typed(Select[Any], select(Registration, Member.name, Member.user_id)
                 .join(Member, Member.id == Registration.member_id))


def _rows(result: Any) -> list[Row]:
    return [Row(r[0], r[1], r[2]) for r in result]


async def member_of_user(session: AsyncSession, user_id: int) -> Member | None:
    """The member whose account is this user (how 双报到 finds "me")."""
    stmt = select(Member).where(Member.user_id == user_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def with_name(session: AsyncSession, registration_id: int) -> Row | None:
    stmt = _with_name().where(Registration.id == registration_id)
    rows = _rows(await session.execute(stmt))
    return rows[0] if rows else None


async def list_page(session: AsyncSession, principal: Principal, *, filters: list[Any],
                    page: PageParams) -> list[Row]:
    stmt = _with_name().where(in_paths(Registration.org_path, read_paths(principal)), *filters)
    return _rows(await session.execute(keyset(stmt, [(Registration.id, True)], page)))


async def mine(session: AsyncSession, user_id: int, page: PageParams) -> list[Row]:
    stmt = _with_name().where(Member.user_id == user_id)
    return _rows(await session.execute(keyset(stmt, [(Registration.id, True)], page)))


def has_skill(skill: str) -> ColumnElement[bool]:
    """JSON text containment: the skill as JSON encodes it, quotes included, so "修" does not
    match "维修"; both spellings of non-ASCII text (escaped or not) are tried, so the answer does
    not depend on how the driver serialised the list."""
    text = cast(Registration.skills, Text)
    return or_(*(text.contains(json.dumps(skill, ensure_ascii=a), autoescape=True)
                 for a in (True, False)))


async def roster(session: AsyncSession, community_id: int, skill: str | None,
                 page: PageParams) -> list[Row]:
    stmt = _with_name().where(Registration.community_id == community_id,
                              Registration.status == "approved")
    if skill:
        stmt = stmt.where(has_skill(skill))
    return _rows(await session.execute(keyset(stmt, [(Registration.id, False)], page)))
