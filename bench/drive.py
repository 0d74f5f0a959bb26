"""What the HTTP benches share: start a server with one uvicorn worker, drive it with wrk.

`serve` can start the app of another checkout (its own venv) so a bench can put the commit
before a change beside the one after it, in the same run.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WARMUP_SECONDS = 2


def need_wrk() -> None:
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")


def python_of(checkout: Path) -> str:
    """The interpreter of a checkout's own venv (this one's when it is ours)."""
    if checkout.resolve() == ROOT:
        return sys.executable
    venv = checkout / ".venv" / "bin" / "python"
    if not venv.exists():
        raise SystemExit(f"{checkout} has no .venv: python3 -m venv .venv && "
                         ".venv/bin/pip install -e .")
    return str(venv)


def serve(args: list[str], port: int, env: dict[str, str], *, checkout: Path = ROOT,
          probe: str = "/docs") -> subprocess.Popen[bytes]:
    """One uvicorn worker; its output goes to BENCH_SERVER_LOG/<port>.log when that is set."""
    logs = os.environ.get("BENCH_SERVER_LOG")
    out = open(Path(logs) / f"{port}.log", "wb") if logs else subprocess.DEVNULL
    proc = subprocess.Popen(
        [python_of(checkout), "-m", "uvicorn", *args, "--port", str(port), "--no-access-log",
         "--log-level", "warning"], cwd=checkout, env={**os.environ, **env},
        stdout=out, stderr=out)
    for _ in range(150):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}{probe}", timeout=1)
            return proc
        except Exception:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"server on port {port} did not start")


def wrk(url: str, seconds: int, connections: int, headers: dict[str, str],
        script: str | None = None) -> dict[str, float]:
    """Drive `url` for `seconds` after an unmeasured warm-up of the same requests (both sides
    alike: a fresh process fills its statement caches and principal cache on first use)."""
    if seconds > WARMUP_SECONDS:
        wrk_once(url, WARMUP_SECONDS, connections, headers, script)
    return wrk_once(url, seconds, connections, headers, script)


def wrk_once(url: str, seconds: int, connections: int, headers: dict[str, str],
         script: str | None = None) -> dict[str, float]:
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for k, v in headers.items():
        cmd += ["-H", f"{k}: {v}"]
    if script:
        cmd += ["-s", script]
    done = subprocess.run([*cmd, url], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"wrk failed ({done.returncode}) on {url}: {done.stderr or done.stdout}")
    out = done.stdout

    def ms(label: str) -> float:
        m = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not m:
            return float("nan")
        return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]

    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    # Requests with no answer within wrk's 2 s count as errors too (a stalled server).
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    timeouts = re.search(r"Socket errors:.*timeout (\d+)", out)
    total = re.search(r"(\d+) requests in", out)
    return {"p50": ms("50%"), "p99": ms("99%"), "rps": float(rps.group(1)) if rps else 0.0,
            "errors": (float(errors.group(1)) if errors else 0.0)
            + (float(timeouts.group(1)) if timeouts else 0.0),
            "requests": float(total.group(1)) if total else 0.0}


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def fresh_database(url: str) -> None:
    """Remove the SQLite file; drop and create a PostgreSQL database whose name starts with
    `bench` (any other is used as it is: the demo seed is idempotent)."""
    if url.startswith("sqlite"):
        path = Path(url.split("///", 1)[1])
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    name = url.rsplit("/", 1)[1]
    if not name.startswith("bench"):
        print(f"using database {name} as it is (only bench* databases are recreated)",
              file=sys.stderr)
        return
    import asyncpg

    async def recreate() -> None:
        conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql")
                                     .rsplit("/", 1)[0] + "/postgres")
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    asyncio.run(recreate())


def seed(checkout: Path, env: dict[str, str]) -> None:
    """`gridapi migrate` and `gridapi seed-demo` of the checkout under test."""
    for cmd in ("migrate", "seed-demo"):
        subprocess.run([python_of(checkout), "-m", "app.cli", cmd], cwd=checkout, check=True,
                       env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)


def login_token(base: str, username: str, password: str = "Demo@2026") -> str:
    req = urllib.request.Request(
        f"{base}/api/v1/auth/login", method="POST",
        data=json.dumps({"username": username, "password": password}).encode(),
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return str(json.loads(r.read())["access_token"])


def print_side_by_side(title: str, rows: list[tuple[str, dict[str, float], dict[str, float]]],
                       seconds: int) -> None:
    """The app beside its raw baseline, one line per endpoint, and the app's share of the
    baseline's requests/s."""
    width = max(len(name) for name, _, _ in rows) + 1
    print(f"\n{title}")
    print(f"{'':{width}} {'app p50':>8} {'p99':>8} {'req/s':>7} {'err':>4} | {'raw p50':>8} "
          f"{'p99':>8} {'req/s':>7} {'err':>4} | {'ratio':>5}")
    for name, a, b in rows:
        # A side with more than 1% errors measured something else: no ratio for it.
        ok = b["rps"] and all(x["errors"] <= 0.01 * x["rps"] * seconds for x in (a, b))
        ratio = a["rps"] / b["rps"] if ok else float("nan")
        side = [f"{x['p50']:8.2f} {x['p99']:8.2f} {x['rps']:7.0f} {x['errors']:4.0f}"
                for x in (a, b)]
        print(f"{name:{width}} {side[0]} | {side[1]} | {ratio:5.2f}")
