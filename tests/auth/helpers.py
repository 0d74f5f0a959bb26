"""Plain async helpers for the identity tests."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from app.core.db import Database
from app.models import User
from tests.factories import PASSWORD, make_user

API = "/api/v1"


def unique(prefix: str) -> str:
    # The in-memory limiter is shared by every test using the session's app: never reuse a name.
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


async def new_user(db: Database, prefix: str = "u", **changes: Any) -> User:
    """A committed user (the test's outer transaction still rolls it back)."""
    async with db.writing() as session:
        user = await make_user(session, unique(prefix))
        for name, value in changes.items():
            setattr(user, name, value)
        await session.commit()
    return user


async def login(client: httpx.AsyncClient, username: str,
                password: str = PASSWORD) -> httpx.Response:
    return await client.post(f"{API}/auth/login",
                             json={"username": username, "password": password})


async def refresh(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.post(f"{API}/auth/refresh", json={"refresh_token": token})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_problem(r: httpx.Response, status: int, code: str) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == code, r.text
