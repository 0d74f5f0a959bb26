"""Operator commands: the first admin, and third-party clients."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.permissions import CLIENT_SCOPES, Role
from app.core.security import hash_password, sha256_hex
from app.models import ApiClient, Org, RoleAssignment, User
from app.orgs import service as orgs
from app.orgs.schemas import OrgKind

API_KEY_PREFIX = "gk_"


async def root_district(session: AsyncSession, name: str) -> Org:
    root = (await session.execute(select(Org).where(Org.parent_id.is_(None)))).scalar_one_or_none()
    if root is None:
        root = await orgs.add_node(session, None, None, OrgKind.district, name, None)
    return root


async def create_admin(session: AsyncSession, *, username: str, password: str, district: str
                       ) -> int:
    if len(password) < 8:
        raise SystemExit("password must be at least 8 characters")
    exists = (await session.execute(select(User).where(User.username == username))).scalar()
    if exists is not None:
        raise SystemExit(f"user {username!r} already exists")
    root = await root_district(session, district)
    user = User(username=username, password_hash=hash_password(password),
                display_name=username, org_id=root.id, org_path=root.path)
    session.add(user)
    await session.flush()
    session.add(RoleAssignment(user_id=user.id, role=Role.district_admin, org_id=root.id,
                               org_path=root.path))
    await session.flush()
    return user.id


def new_api_key() -> tuple[str, str, str]:
    """(full key, lookup prefix, hash). The key is shown once and stored only hashed."""
    prefix = API_KEY_PREFIX + secrets.token_hex(4)
    key = f"{prefix}.{secrets.token_urlsafe(24)}"
    return key, prefix, sha256_hex(key)


async def create_client(session: AsyncSession, *, name: str, org_id: int | None,
                        scopes: list[str] | None) -> dict[str, str | int | list[str]]:
    wanted = sorted(set(scopes) if scopes else CLIENT_SCOPES)
    unknown = set(wanted) - CLIENT_SCOPES
    if unknown:
        raise SystemExit(f"unknown scopes: {', '.join(sorted(unknown))}; "
                         f"known: {', '.join(sorted(CLIENT_SCOPES))}")
    if org_id is None:
        org = (await session.execute(select(Org).where(Org.parent_id.is_(None)))).scalar()
    else:
        org = await session.get(Org, org_id)
    if org is None:
        raise SystemExit("no such org (create the district first: gridapi create-admin)")
    client_id = "cli_" + secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    api_key, prefix, key_hash = new_api_key()
    session.add(ApiClient(client_id=client_id, name=name, secret_hash=hash_password(secret),
                          api_key_prefix=prefix, api_key_hash=key_hash, scopes=wanted,
                          org_id=org.id, org_path=org.path))
    await session.flush()
    return {"client_id": client_id, "client_secret": secret, "api_key": api_key,
            "org_id": org.id, "scopes": wanted}
