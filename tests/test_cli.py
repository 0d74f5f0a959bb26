"""The `gridapi` console script, run as operators run it, against a database of its own."""

from __future__ import annotations

import argparse
import asyncio
import base64
import io
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from app.cli import ADMIN_PASSWORD_ENV, _admin_password, build_parser, cmd_create_admin
from app.core import outbox
from app.core.config import SchemaSettings, Settings
from app.core.permissions import CLIENT_SCOPES
from app.main import create_app
from tests.conftest import _TMP, DATABASE_URL, IS_PG, make_settings

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


def gridapi(url: str, *args: str, stdin: str | None = None,
            **env: str) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "DATABASE_URL": url, "GRID_ENV": "development", **env}
    return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=full,
                          input=stdin, stdin=None if stdin is not None else subprocess.DEVNULL,
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


def test_worker_once_runs_the_sweeps_then_delivers(scratch_url: str):
    gridapi(scratch_url, "migrate")
    r = gridapi(scratch_url, "worker", "--once")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["delivered"] == 0 and out["failed"] == []
    assert set(out["sweeps"]) == {name for name, _, _ in outbox.PERIODIC}
    assert {"case-escalation", "retention", "orphan-uploads"} <= set(out["sweeps"])


def test_create_admin_reads_the_password_from_stdin(scratch_url: str):
    assert gridapi(scratch_url, "migrate").returncode == 0
    piped = gridapi(scratch_url, "create-admin", "--username", "piped", "--password-stdin",
                    stdin="Piped!pass 1\n")
    assert piped.returncode == 0, piped.stderr

    async def login(username: str, password: str) -> int:
        app = create_app(make_settings(database_url=scratch_url))
        async with app.router.lifespan_context(app), httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            r = await c.post("/api/v1/auth/login",
                             json={"username": username, "password": password})
        return r.status_code

    # The newline that ends the piped line is not part of the password; spaces inside are.
    assert asyncio.run(login("piped", "Piped!pass 1")) == 200


def test_create_admin_password_sources(monkeypatch, capsys):
    parse = build_parser().parse_args
    monkeypatch.setenv(ADMIN_PASSWORD_ENV, "From-env!pass")
    assert _admin_password(parse(["create-admin", "--username", "a"])) == "From-env!pass"
    given = parse(["create-admin", "--username", "a", "--password", "Option!pass"])
    assert _admin_password(given) == "Option!pass"  # the option wins over the environment
    monkeypatch.delenv(ADMIN_PASSWORD_ENV)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # not a terminal: nobody to ask
    assert cmd_create_admin(parse(["create-admin", "--username", "a"])) == 2
    assert "--password-stdin" in capsys.readouterr().err
    with pytest.raises(SystemExit) as both:
        parse(["create-admin", "--username", "a", "--password-stdin", "--password", "y"])
    assert both.value.code == 2


def test_migrate_needs_only_the_database_in_production(scratch_url: str):
    """The README's `docker run --rm -e DATABASE_URL=… gridapi gridapi migrate`: the image sets
    GRID_ENV=production and the one-off job is given no keys."""
    keyless = {k: v for k, v in os.environ.items() if not k.startswith("GRID_")}
    r = subprocess.run([sys.executable, "-m", "app.cli", "migrate"], cwd=ROOT,
                       env={**keyless, "DATABASE_URL": scratch_url, "GRID_ENV": "production"},
                       capture_output=True, text=True, timeout=120, check=False)
    assert r.returncode == 0, r.stderr
    # Whatever signs or encrypts still refuses the development keys there.
    with pytest.raises(ValidationError, match="refusing to start in production"):
        Settings(env="production", database_url=scratch_url)
    assert SchemaSettings(env="production", database_url=scratch_url).env == "production"


def _walk(parser: argparse.ArgumentParser, path: str) -> Iterator[tuple[str, argparse.Action]]:
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        if isinstance(action, argparse._SubParsersAction):
            helped = {a.dest: a.help for a in action._choices_actions}
            for name, child in action.choices.items():
                yield f"{path} {name}", argparse.Action([], name, help=helped.get(name))
                yield from _walk(child, f"{path} {name}")
            continue
        yield path, action


def test_every_command_and_option_has_help():
    found = list(_walk(build_parser(), "gridapi"))
    missing = [f"{where}: {'/'.join(a.option_strings) or a.dest}" for where, a in found
               if not a.help or a.help == argparse.SUPPRESS]
    assert missing == []
    assert len(found) > 25  # the walk reached the sub-commands' options


def test_scopes_help_lists_every_scope():
    text = " ".join(build_parser()._subparsers._group_actions[0]  # type: ignore[union-attr]
                    .choices["create-client"].format_help().split())
    for scope in CLIENT_SCOPES:
        assert scope in text


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


def test_serve_defaults_from_the_environment(monkeypatch):
    """The image sets GRID_HOST/PORT/WORKERS; the HEALTHCHECK reads the same GRID_PORT."""
    monkeypatch.setenv("GRID_HOST", "0.0.0.0")
    monkeypatch.setenv("GRID_PORT", "9123")
    monkeypatch.setenv("GRID_WORKERS", "2")
    args = build_parser().parse_args(["serve"])
    assert (args.host, args.port, args.workers) == ("0.0.0.0", 9123, 2)
    assert build_parser().parse_args(["serve", "--port", "1"]).port == 1
