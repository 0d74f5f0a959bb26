"""The `gridapi` console script, run as operators run it, against a database of its own."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from tests.conftest import _TMP, DATABASE_URL, IS_PG

pytestmark = pytest.mark.real_commits
ROOT = Path(__file__).resolve().parent.parent


async def _admin(sql: str) -> None:
    eng = create_async_engine(DATABASE_URL, isolation_level="AUTOCOMMIT")
    async with eng.connect() as c:
        await c.execute(text(sql))
    await eng.dispose()


@pytest.fixture(scope="module")
def scratch_url() -> Iterator[str]:
    """A database of the suite's kind that only these commands touch."""
    name = f"cli_{uuid.uuid4().hex[:10]}"
    if not IS_PG:
        yield f"sqlite+aiosqlite:///{_TMP}/{name}.db"
        return
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    yield make_url(DATABASE_URL).set(database=name).render_as_string(hide_password=False)
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}"'))


def gridapi(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url, "GRID_ENV": "development"}
    return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def test_migrate_create_admin_and_client(scratch_url: str):
    assert gridapi(scratch_url, "migrate").returncode == 0
    r = gridapi(scratch_url, "create-admin", "--username", "root", "--password", "S3cret!pass")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["username"] == "root"
    again = gridapi(scratch_url, "create-admin", "--username", "root", "--password", "x" * 9)
    assert again.returncode != 0 and "already exists" in again.stderr
    c = gridapi(scratch_url, "create-client", "--name", "市民热线", "--scopes", "orgs:read")
    assert c.returncode == 0, c.stderr
    lines = c.stdout.strip().splitlines()
    assert len(lines) == 1
    out = json.loads(lines[0])
    assert {"client_id", "client_secret", "api_key"} <= set(out)
    assert out["scopes"] == ["orgs:read"]
    bad = gridapi(scratch_url, "create-client", "--name", "x", "--scopes", "everything")
    assert bad.returncode != 0 and "unknown scopes" in bad.stderr


def test_export_openapi_to_stdout(scratch_url: str):
    r = gridapi(scratch_url, "export-openapi", "--output", "-")
    assert r.returncode == 0 and json.loads(r.stdout)["openapi"].startswith("3.")


def test_worker_once(scratch_url: str):
    gridapi(scratch_url, "migrate")
    r = gridapi(scratch_url, "worker", "--once")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout.strip().splitlines()[-1]) == {"delivered": 0}


def test_seed_demo_refused_in_production(scratch_url: str):
    strong = {
        "GRID_ENV": "production",
        "GRID_JWT_KEYS": json.dumps({"k1": "p" * 40}),
        "GRID_DATA_KEYS": json.dumps({"d1": base64.b64encode(b"k" * 32).decode()}),
        "GRID_BLIND_INDEX_KEY": "b" * 40,
    }
    r = subprocess.run([sys.executable, "-m", "app.cli", "seed-demo"], cwd=ROOT,
                       env={**os.environ, "DATABASE_URL": scratch_url, **strong},
                       capture_output=True, text=True, timeout=120, check=False)
    assert r.returncode == 2 and "production" in r.stderr
