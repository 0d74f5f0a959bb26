"""Fixtures of the production-path harness (tests/e2e/harness.py): a template database built
once per run, a fresh copy and a freshly built app for every test.

Nothing here uses the suite's shared database or its swapped session factories; the suite's
per-test rollback fixture is switched off for these tests (they never touch that database)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.harness import Harness, PostgresStore, SqliteStore, Store, Tokens, serve


@pytest.fixture(autouse=True)
def rollback() -> None:
    """Replaces the suite's per-test transaction: these tests do not use its database."""


@pytest.fixture(scope="session")
async def e2e_store(tmp_path_factory: pytest.TempPathFactory
                    ) -> AsyncIterator[tuple[Store, dict[str, Any]]]:
    url = os.environ["DATABASE_URL"]
    store: Store = (PostgresStore(url) if url.startswith("postgresql")
                    else SqliteStore(tmp_path_factory.mktemp("e2e-db")))
    api_client = await store.build()
    try:
        yield store, api_client
    finally:
        await store.drop()


@pytest.fixture(scope="session")
def e2e_tokens() -> Tokens:
    return {}


@pytest.fixture
async def harness(e2e_store: tuple[Store, dict[str, Any]], e2e_tokens: Tokens, tmp_path: Path
                  ) -> AsyncIterator[Harness]:
    store, api_client = e2e_store
    url = await store.fresh()
    async with serve(url, tmp_path / "uploads", api_client, e2e_tokens) as h:
        yield h
