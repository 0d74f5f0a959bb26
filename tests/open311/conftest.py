"""Fixtures of the Open311 tests: real API keys (the world's clients carry none) and a
configured jurisdiction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest

from app.core.config import Settings
from app.models import Org
from app.seed.accounts import create_client
from tests.factories import World

JURISDICTION = "jianan.example.gov.cn"
MakeKey = Callable[..., Awaitable[str]]


@pytest.fixture
def make_key(db: Any, world: World) -> MakeKey:
    """`await make_key(org, scopes)`: a new client homed on `org` (street 1 by default) with
    `scopes` (all client scopes by default); returns its api_key."""

    async def make(org: Org | None = None, scopes: list[str] | None = None) -> str:
        async with db.writing() as s:
            creds = await create_client(s, name="Open311 test app",
                                        org_id=(org or world.streets[0]).id, scopes=scopes)
            await s.commit()
        return str(creds["api_key"])

    return make


@pytest.fixture
async def key(make_key: MakeKey) -> str:
    """A client of street 1 with every client scope."""
    return await make_key()


@pytest.fixture
def jurisdiction(settings: Settings) -> Iterator[str]:
    """GRID_OPEN311_JURISDICTION, set on the running app's settings for one test. (Not a field
    of Settings yet; the service reads it with getattr.)"""
    had = "open311_jurisdiction" in settings.__dict__
    before = settings.__dict__.get("open311_jurisdiction")
    object.__setattr__(settings, "open311_jurisdiction", JURISDICTION)
    try:
        yield JURISDICTION
    finally:
        if had:
            object.__setattr__(settings, "open311_jurisdiction", before)
        else:
            del settings.__dict__["open311_jurisdiction"]


@pytest.fixture
def public_reads_off(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """GRID_OPEN311_PUBLIC_READS=false on the running app's settings for one test."""
    monkeypatch.setattr(settings, "open311_public_reads", False)
