"""Schemathesis over every /api/v1 operation, as a district admin and as a grid worker.

    python -m tests.fuzz.run [--db sqlite|postgres] [--examples N] [--seed N] [--role ROLE ...]
                             [--paths REGEX]

Migrates a fresh database (a SQLite file in a temporary directory, or a new PostgreSQL database
created and dropped here), loads `gridapi seed-demo`, serves the app with `gridapi serve` on a
free port, signs in as each role's demo login and runs `schemathesis run` with every default check,
a fixed seed and a bounded number of examples per operation, the stateful phase following the
OpenAPI links. Prints, per role, the operations, cases and failures schemathesis reports and exits
non-zero on any failure (`make fuzz`; `.ci/run` runs it on PostgreSQL).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from shapely.geometry import shape

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PG_ADMIN_URL = os.environ.get("FUZZ_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
ROLES = ("demo_district_admin", "demo_grid_worker")

# Operations left out, and why (each would end the run's own access, not find a defect):
# - POST /auth/logout ends the login session the run's token belongs to: every later request
#   would be 401 and test nothing. Token handling is covered by tests/auth.
EXCLUDED = [("POST", "/api/v1/auth/logout")]
STATEFUL_STEPS = 6  # schemathesis's default: create, read, change, read again, ...


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def database(kind: str, work: Path) -> Iterator[str]:
    """A fresh, empty database URL; a PostgreSQL one is dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{work / 'fuzz.db'}"
        return
    name = f"gridapi_fuzz_{int(time.time())}_{os.getpid()}"
    admin = PG_ADMIN_URL.rsplit("/", 1)[0]
    subprocess.run(["psql", PG_ADMIN_URL, "-qc", f"CREATE DATABASE {name}"], check=True)
    try:
        yield f"postgresql+asyncpg://{admin.split('://', 1)[1]}/{name}"
    finally:
        drop = f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        subprocess.run(["psql", PG_ADMIN_URL, "-qc", drop], check=False)


def environment(url: str, work: Path, wechat: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRID_")}
    env.update(
        {
            "DATABASE_URL": url,
            "GRID_ENV": "development",
            "GRID_UPLOAD_DIR": str(work / "uploads"),
            "GRID_LOG_JSON": "true",
            # The limits are generous enough for people, not for a fuzzer's thousands of requests;
            # their 429s are tested in tests/core/test_abuse_limits.py.
            "GRID_CASE_CREATE_LIMIT": "100000/minute",
            "GRID_EXPORT_LIMIT": "100000/hour",
            "GRID_REVEAL_LIMIT": "100000/hour",
            "GRID_PHONE_BIND_LIMIT": "100000/hour",
            "GRID_LOGIN_IP_LIMIT": "100000/minute",
            "GRID_WECHAT_LOGIN_LIMIT": "100000/minute",
            "GRID_WECHAT_APPID": "wxfuzz",
            "GRID_WECHAT_SECRET": "fuzz",
            "GRID_WECHAT_API_BASE": wechat,
            # The stateful phase's webhooks point at the local stub (loopback is refused
            # otherwise, app/webhooks/egress.py).
            "GRID_WEBHOOK_ALLOW_HOSTS": '["127.0.0.1"]',
        }
    )
    env.pop("REDIS_URL", None)
    return env


def gridapi(env: dict[str, str], *args: str) -> str:
    return subprocess.run(
        [str(BIN / "gridapi"), *args], cwd=ROOT, env=env, check=True, stdout=subprocess.PIPE,
        text=True,
    ).stdout


@contextlib.contextmanager
def serving(env: dict[str, str], log: Path) -> Iterator[str]:
    port = free_port()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(BIN / "gridapi"), "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            if proc.poll() is not None:
                raise SystemExit(f"the server exited: see {log}")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def login(base: str, username: str, password: str) -> str:
    r = httpx.post(f"{base}/api/v1/auth/login", json={"username": username, "password": password})
    r.raise_for_status()
    return str(r.json()["access_token"])


def _first(base: str, token: str, path: str, **params: str) -> dict[str, Any] | None:
    r = httpx.get(f"{base}/api/v1/{path}", params={"limit": "1", **params},
                  headers={"Authorization": f"Bearer {token}"}, timeout=30)
    if r.status_code != 200:
        return None
    body = r.json()
    items = body.get("items", body) if isinstance(body, dict) else body
    return items[0] if isinstance(items, list) and items else None


def _leaf(nodes: list[dict[str, Any]]) -> dict[str, Any] | None:
    for node in nodes:
        if not node.get("children"):
            return node
        if leaf := _leaf(node["children"]):
            return leaf
    return None


def stored_rows(base: str, token: str, webhook_url: str, client_id: str) -> dict[str, Any]:
    """Rows the role can see, for the stateful phase's creating calls (tests/fuzz/hooks.py):
    a grid and a point inside it, a leaf case category, a household, a community, an org."""
    state: dict[str, Any] = {"webhook_url": webhook_url, "client_id": client_id}
    grid = _first(base, token, "grids")
    r = httpx.get(f"{base}/api/v1/case-categories",
                  headers={"Authorization": f"Bearer {token}"}, timeout=30)
    category = _leaf(r.json()) if r.status_code == 200 else None
    if grid and category and grid.get("boundary"):
        point = shape(grid["boundary"]).representative_point()
        state["case"] = {"grid_id": grid["id"], "category_code": category["code"],
                         "lng": point.x, "lat": point.y, "crs": grid.get("crs", "wgs84")}
    if resident := _first(base, token, "residents"):
        state["household_id"] = resident["household_id"]
    if community := _first(base, token, "orgs", kind="community"):
        state["community_id"] = community["id"]
    if org := _first(base, token, "orgs"):
        state["org_id"] = org["id"]
    return state


def fuzz(base: str, token: str, args: argparse.Namespace, report: Path,
         state: dict[str, Any]) -> dict[str, int]:
    # The stateful phase's own number of scenarios (each up to STATEFUL_STEPS calls following
    # the OpenAPI links, app/core/openapi.LINKS): --max-examples is per operation, not per run.
    config = report.parent / "schemathesis.toml"
    config.write_text(
        f"[phases.stateful]\nmax-steps = {STATEFUL_STEPS}\n"
        f"generation.max-examples = {args.scenarios}\ninference.algorithms = []\n"
    )
    cmd = [
        str(BIN / "schemathesis"),
        "--config-file",
        str(config),
        "run",
        f"{base}/openapi.json",
        "--url",
        base,
        "--checks",
        "all",
        "--seed",
        str(args.seed),
        "--max-examples",
        str(args.examples),
        "--workers",
        "1",
        "--include-path-regex",
        args.paths,
        "--no-shrink",
        "--suppress-health-check",
        "all",
        "--request-timeout",
        "30",
        "--header",
        f"Authorization: Bearer {token}",
        "--report",
        "ndjson",
        "--report-ndjson-path",
        str(report),
    ]
    if EXCLUDED:
        pattern = "^(" + "|".join(re.escape(p) for _, p in EXCLUDED) + ")$"
        cmd += ["--exclude-path-regex", pattern]
    if args.phases:
        cmd += ["--phases", args.phases]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.fuzz.hooks", "PYTHONPATH": str(ROOT),
           "FUZZ_STATE": json.dumps(state)}
    started = time.monotonic()
    # In the work directory: schemathesis keeps a cache of past failures in its working
    # directory and replays them first; each run starts without one (same seed, same cases).
    proc = subprocess.Popen(
        cmd,
        cwd=report.parent,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    out = []
    for line in proc.stdout:
        sys.stdout.write(line)
        out.append(line)
    rc = proc.wait()
    text = "".join(out)
    return {
        "rc": rc,
        "seconds": round(time.monotonic() - started),
        "operations": _number(r"Tested: (\d+)", text),
        "cases": _number(r"(\d+) generated", text),
        "failures": _number(r"(\d+) unique failures?", text),
        "scenarios": _number(r"Scenarios:\s+(\d+)", text),
        "links": _number(r"API Links:\s+(\d+) covered", text),
    }


def _number(pattern: str, text: str) -> int:
    match = re.search(pattern, text)
    return int(match.group(1)) if match else 0


class _FakeWechat(BaseHTTPRequestHandler):
    """The WeChat API as it answers a code it did not issue (the run has no network, and the
    real one would answer the fuzzer's codes the same): 40029 for every code, a token for
    the app's own token request."""

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        self.rfile.read(length)
        if self.path.startswith("/cgi-bin/token"):
            body = {"access_token": "fuzz", "expires_in": 7200}
        else:
            body = {"errcode": 40029, "errmsg": "invalid code"}
        raw = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


@contextlib.contextmanager
def fake_wechat() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeWechat)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--examples", type=int, default=10)
    parser.add_argument("--seed", type=int, default=38)
    parser.add_argument("--phases", default="")
    parser.add_argument("--scenarios", type=int, default=50,
                        help="stateful scenarios (link-following call sequences) per role")
    parser.add_argument(
        "--paths",
        default="^/api/v1/",
        help="only the operations whose path matches this regex (default: every /api/v1 one)",
    )
    parser.add_argument("--role", action="append", choices=ROLES)
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="gridapi-fuzz-"))
    failed = False
    results: dict[str, dict[str, int]] = {}
    try:
        with database(args.db, work) as url, fake_wechat() as wechat:
            env = environment(url, work, wechat)
            gridapi(env, "migrate")
            gridapi(env, "seed-demo")
            # A user's webhook names the API client it is for (the stateful phase's, hooks.py).
            client_id = json.loads(gridapi(env, "create-client", "--name", "fuzz"))["client_id"]
            password = env.get("GRID_DEMO_PASSWORD", "Demo@2026")
            with serving(env, work / "server.log") as base:
                for role in args.role or ROLES:
                    print(f"\n==> schemathesis as {role} on {args.db}", flush=True)
                    token = login(base, role, password)
                    state = stored_rows(base, token, f"{wechat}/webhook", client_id)
                    report = work / f"{role}.ndjson"
                    results[role] = result = fuzz(base, token, args, report, state)
                    failed |= result["rc"] != 0
        print(
            f"\n==> schemathesis on {args.db} (seed {args.seed}, {args.examples} examples "
            "per operation)"
        )
        for role, r in results.items():
            print(
                f"    {role}: {r['operations']} operations, {r['cases']} cases, "
                f"{r['failures']} failures, {r['scenarios']} stateful scenarios covering "
                f"{r['links']} links, {r['seconds']} s (exit {r['rc']})"
            )
        return 1 if failed else 0
    finally:
        if args.keep or failed:
            print(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
