"""Turn a bearer token into the request's `Principal` (once per request)."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.db import get_session
from app.core.errors import Unauthorized
from app.core.permissions import ROLE_PERMISSIONS, Role
from app.core.reads import Read
from app.core.security import Grant, Principal, decode_access_token
from app.models import ApiClient, RoleAssignment, User

_bearer = HTTPBearer(auto_error=False, description="`POST /api/v1/auth/login` 返回的 access_token")


# The user and all their grants in one statement; on most requests of a busy process the
# principal cache answers instead, but every user's first request per TTL runs it.
_USER_GRANTS = Read(
    select(User.id, User.username, User.is_active, RoleAssignment.id.label("grant_id"),
           RoleAssignment.role, RoleAssignment.org_id, RoleAssignment.org_path)
    .outerjoin(RoleAssignment, RoleAssignment.user_id == User.id)
    .where(User.id == bindparam("user_id"))
)


async def load_user_principal(
    session: AsyncSession, user_id: int, session_id: str | None = None
) -> Principal:
    rows = await _USER_GRANTS.all(session, user_id=user_id)
    if not rows or not rows[0].is_active:
        raise Unauthorized(
            "账号不存在或已停用", "Account missing or disabled", code="token_invalid"
        )
    grants = tuple(
        Grant(r.role, r.org_id, r.org_path, frozenset(ROLE_PERMISSIONS[Role(r.role)]), r.grant_id)
        for r in rows
        if r.role is not None
    )
    return Principal("user", rows[0].id, rows[0].username, grants, session_id)


async def load_client_principal(session: AsyncSession, client_id: str, scope: str) -> Principal:
    client = (
        await session.execute(select(ApiClient).where(ApiClient.client_id == client_id))
    ).scalar_one_or_none()
    if client is None or not client.is_active:
        raise Unauthorized(
            "客户端不存在或已停用", "Client missing or disabled", code="token_invalid"
        )
    # A token carries what was asked for at issue time, never more than the client holds now.
    allowed = frozenset(client.scopes) & frozenset(scope.split())
    grant = Grant("client", client.org_id, client.org_path, allowed)
    return Principal("client", client.id, client.client_id, (grant,))


class PrincipalCache:
    """Per-process cache of recently loaded principals, keyed by token subject and session.

    Loading grants costs a statement on every request; a few seconds of staleness for role
    changes is the documented price (`principal_cache_seconds`)."""

    MAX_ENTRIES = 10_000

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._entries: dict[tuple[str, str | None], tuple[float, Principal]] = {}
        self._claims: dict[str, tuple[float, dict[str, Any]]] = {}

    def get(self, key: tuple[str, str | None]) -> Principal | None:
        hit = self._entries.get(key)
        if hit is None or hit[0] < time.monotonic():
            return None
        return hit[1]

    def put(self, key: tuple[str, str | None], principal: Principal) -> None:
        if self.ttl <= 0:
            return
        if len(self._entries) >= self.MAX_ENTRIES:
            self._entries.clear()  # crude, but bounded; refills within one TTL
        self._entries[key] = (time.monotonic() + self.ttl, principal)

    def claims(self, token: str) -> dict[str, Any] | None:
        """The claims of a token verified within the TTL (and not expired since): the same
        string verifies the same way, so the signature check (~0.1 ms) is done once."""
        hit = self._claims.get(token)
        if hit is None or hit[0] < time.monotonic():
            return None
        return hit[1]

    def put_claims(self, token: str, claims: dict[str, Any]) -> None:
        if self.ttl <= 0:
            return
        if len(self._claims) >= self.MAX_ENTRIES:
            self._claims.clear()
        left = float(claims.get("exp", 0)) - time.time()
        if left > 0:
            self._claims[token] = (time.monotonic() + min(self.ttl, left), claims)


async def get_principal(
    request: Request,
    session: Annotated[AsyncSession, Depends(get_session)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    cached: Principal | None = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized()
    cache: PrincipalCache = request.app.state.principals
    claims = cache.claims(credentials.credentials)
    if claims is None:
        settings: Settings = request.app.state.settings
        claims = decode_access_token(settings, credentials.credentials)
        cache.put_claims(credentials.credentials, claims)
    kind, _, ident = str(claims["sub"]).partition(":")
    key = (str(claims["sub"]), f"{claims.get('sid')}|{claims.get('scope', '')}")
    principal = cache.get(key)
    if principal is None:
        if kind == "user" and ident.isdigit():
            principal = await load_user_principal(session, int(ident), claims.get("sid"))
        elif kind == "client" and ident:
            principal = await load_client_principal(session, ident,
                                                    str(claims.get("scope", "")))
        else:
            raise Unauthorized(code="token_invalid")
        cache.put(key, principal)
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]
