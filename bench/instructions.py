"""CPU instructions per request, app beside the bare baseline, counted by valgrind's callgrind:
a figure that does not move with the machine's load (wall and CPU time on a shared 2-core
machine do, by 2× and more).

    .venv/bin/python bench/floor.py --seconds 1 --connections 4   # seeds, writes floor.json
    DATABASE_URL=... .venv/bin/python bench/instructions.py [--requests 300] [--path me|grid]

Runs each side in-process (ASGI messages as plain dicts, no HTTP server, no client library:
the server's own cost is the same for both and left out) under `valgrind --tool=callgrind`
twice, once with `--requests` measured requests and once with none, after the same warm-up;
the difference divided by the count is the side's instructions per request. Counts only this
process (the database server's work is not in it). The app runs with production settings
(access log to a null stream, metrics, principal cache 5 s); the baseline is
bench/raw_floor.py replaying the statements bench/floor.py recorded.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import logging
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SPEC_FILE = Path(tempfile.gettempdir()) / "gridapi-bench" / "floor.json"
WARMUP = 50


def _scope(path: str, token: str) -> dict[str, Any]:
    return {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "server": ("127.0.0.1", 8000), "client": ("127.0.0.1", 50000),
        "headers": [(b"host", b"bench"), (b"authorization", f"Bearer {token}".encode())],
    }


async def _drive(app: Any, scope: dict[str, Any], n: int) -> None:
    status = [0]

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status[0] = message["status"]

    for _ in range(n):
        await app(dict(scope), receive, send)
        assert status[0] == 200, status[0]


async def child(side: str, which: str, n: int) -> None:
    import json

    from sqlalchemy import select

    from app.core.config import Settings
    from app.core.db import Database, make_engine
    from app.core.security import issue_access_token
    from app.models import Grid, RoleAssignment, User

    settings = Settings()
    db = Database(make_engine(settings))
    async with db.reading() as s:
        user_id = (await s.execute(select(User.id).where(
            User.username == "demo_grid_worker"))).scalar_one()
        org_path = (await s.execute(select(RoleAssignment.org_path).where(
            RoleAssignment.user_id == user_id))).scalars().first()
        grid_id = (await s.execute(select(Grid.id).where(Grid.org_path == org_path))
                   ).scalars().first()
    token = issue_access_token(settings, subject=f"user:{user_id}", ttl_seconds=3600)
    path = "/api/v1/me" if which == "me" else f"/api/v1/grids/{grid_id}"
    assert json.loads(SPEC_FILE.read_text())["dialect"] == db.engine.dialect.name
    if side == "app":
        from app.main import create_app

        app = create_app(settings, db)
        sink = io.StringIO()  # the access log is formatted, not kept
        for handler in logging.getLogger("gridapi").handlers:
            if isinstance(handler, logging.StreamHandler):
                handler.setStream(sink)
        await _drive(app, _scope(path, token), WARMUP)
        await _drive(app, _scope(path, token), n)
    else:
        await db.dispose()
        os.environ["BENCH_FLOOR_SQL"] = str(SPEC_FILE)
        from bench import raw_floor

        async with raw_floor.lifespan(raw_floor.app):
            await _drive(raw_floor.app, _scope(path, token), WARMUP)
            await _drive(raw_floor.app, _scope(path, token), n)


def count(side: str, which: str, n: int) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/out",
             sys.executable, __file__, "--child", side, "--path", which, "--requests", str(n)],
            capture_output=True, text=True, cwd=ROOT)
    found = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode or not found:
        raise SystemExit(f"{side} failed:\n{done.stderr[-3000:]}")
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--path", choices=("me", "grid"), default="me")
    parser.add_argument("--child", choices=("app", "raw"))
    args = parser.parse_args()
    if args.child:
        asyncio.run(child(args.child, args.path, args.requests))
        return
    if not SPEC_FILE.exists():
        raise SystemExit("run bench/floor.py first on the same DATABASE_URL (it writes "
                         f"{SPEC_FILE})")
    per: dict[str, float] = {}
    for side in ("app", "raw"):
        with_n, without = count(side, args.path, args.requests), count(side, args.path, 0)
        per[side] = (with_n - without) / args.requests
        print(f"{side}: {per[side]:,.0f} instructions per GET {args.path}", file=sys.stderr)
    print(f"GET {args.path}: app {per['app']:,.0f} instructions per request, baseline "
          f"{per['raw']:,.0f}: app ÷ baseline {per['app'] / per['raw']:.2f}× the work "
          f"(a throughput ratio of about {per['raw'] / per['app']:.2f} before the HTTP "
          "server's own share)")


if __name__ == "__main__":
    main()
