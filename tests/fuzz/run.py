"""Schemathesis over every /api/v1 operation, as a district admin and as a grid worker.

    python -m tests.fuzz.run [--db sqlite|postgres] [--examples N] [--seed N] [--role ROLE ...]

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
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PG_ADMIN_URL = os.environ.get("FUZZ_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
ROLES = ("demo_district_admin", "demo_grid_worker")

# Operations left out, and why (each would end the run's own access, not find a defect):
# - POST /auth/logout ends the login session the run's token belongs to: every later request
#   would be 401 and test nothing. Token handling is covered by tests/auth.
EXCLUDED = [("POST", "/api/v1/auth/logout")]


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
        subprocess.run(["psql", PG_ADMIN_URL, "-qc", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"],
                       check=False)


def environment(url: str, work: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRID_")}
    env.update({
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
    })
    env.pop("REDIS_URL", None)
    return env


def gridapi(env: dict[str, str], *args: str) -> None:
    subprocess.run([str(BIN / "gridapi"), *args], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)


@contextlib.contextmanager
def serving(env: dict[str, str], log: Path) -> Iterator[str]:
    port = free_port()
    with log.open("wb") as out:
        proc = subprocess.Popen([str(BIN / "gridapi"), "serve", "--host", "127.0.0.1",
                                 "--port", str(port)], cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT)
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


def fuzz(base: str, token: str, args: argparse.Namespace, report: Path) -> dict[str, int]:
    cmd = [str(BIN / "schemathesis"), "run", f"{base}/openapi.json", "--url", base,
           "--checks", "all", "--seed", str(args.seed), "--max-examples", str(args.examples),
           "--workers", "1", "--include-path-regex", "^/api/v1/", "--no-shrink",
           "--suppress-health-check", "all", "--request-timeout", "30",
           "--header", f"Authorization: Bearer {token}",
           "--report", "ndjson", "--report-ndjson-path", str(report)]
    for method, path in EXCLUDED:
        cmd += ["--exclude-by", f"method == {method} and path == {path}"] if False else []
    if EXCLUDED:
        pattern = "^(" + "|".join(re.escape(p) for _, p in EXCLUDED) + ")$"
        cmd += ["--exclude-path-regex", pattern]
    if args.phases:
        cmd += ["--phases", args.phases]
    started = time.monotonic()
    rc = subprocess.run(cmd, cwd=ROOT).returncode
    return {"rc": rc, "seconds": round(time.monotonic() - started)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--examples", type=int, default=10)
    parser.add_argument("--seed", type=int, default=38)
    parser.add_argument("--phases", default="")
    parser.add_argument("--role", action="append", choices=ROLES)
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="gridapi-fuzz-"))
    failed = False
    try:
        with database(args.db, work) as url:
            env = environment(url, work)
            gridapi(env, "migrate")
            gridapi(env, "seed-demo")
            password = env.get("GRID_DEMO_PASSWORD", "Demo@2026")
            with serving(env, work / "server.log") as base:
                for role in args.role or ROLES:
                    print(f"\n==> schemathesis as {role} on {args.db}", flush=True)
                    token = login(base, role, password)
                    result = fuzz(base, token, args, work / f"{role}.ndjson")
                    print(f"==> {role} on {args.db}: exit {result['rc']}, "
                          f"{result['seconds']} s", flush=True)
                    failed |= result["rc"] != 0
        return 1 if failed else 0
    finally:
        if args.keep or failed:
            print(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    _ = json


if __name__ == "__main__":
    sys.exit(main())
