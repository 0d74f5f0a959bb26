"""GET /me and GET /cases, quiet and while password logins arrive at a steady rate.

    .venv/bin/python bench/login_burst.py                          # SQLite (fresh file)
    DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/bench_login \\
        .venv/bin/python bench/login_burst.py                      # PostgreSQL
    .venv/bin/python bench/login_burst.py --app /work/wt-before    # another checkout's app

Migrates and seeds the demo district (`gridapi migrate`, `gridapi seed-demo` of the checkout
under test, on a fresh database: the SQLite file is removed first; a PostgreSQL database whose
name starts with `bench` is dropped and created again), serves that checkout's app with one
uvicorn worker, and drives `GET /api/v1/me` and `GET /api/v1/cases?limit=20` of the demo grid
worker with wrk three times each: quiet, while another process posts `POST /api/v1/auth/login`
of the demo users at `--rate` per second (open loop: a login is sent every 1/rate s whatever
the answers), and quiet again once the logins still queued have been answered. Prints p50/p99,
requests/s, the burst/quiet ratios, the logins answered per second and their latency, and the
server's CPU use in each phase (cores: the event loop's thread, and all its other threads).

The per-address login limit is raised (GRID_LOGIN_IP_LIMIT=100000/minute) for every checkout:
before the change it counted every login, so from one address most of the burst would have
been cheap 429s instead of Argon2 verifications. Figures drift between runs on shared machines:
compare the ratios of one run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.drive import (
    ROOT,
    WARMUP_SECONDS,
    fresh_database,
    load_average,
    login_token,
    need_wrk,
    seed,
    serve,
    wrk,
)

WORK = Path(tempfile.gettempdir()) / "gridapi-bench"
PASSWORD = "Demo@2026"
USERS = ["demo_district_admin", "demo_command", "demo_auditor", "demo_street_admin",
         "demo_community_admin", "demo_grid_head", "demo_grid_worker", "demo_instructor",
         "demo_unit_liaison", "demo_member", "demo_volunteer"]
RAMP_SECONDS = 1.0


# --- the login generator (a separate process: its own CPU, its own event loop) ----------------

async def send_logins(url: str, rate: float, seconds: float) -> dict[str, Any]:
    import httpx

    started = time.perf_counter()
    done: list[tuple[float, float, int]] = []  # (finished at, latency, status; 0 = no answer)

    async def one(client: httpx.AsyncClient, user: str) -> None:
        t0 = time.perf_counter()
        try:
            r = await client.post(url, json={"username": user, "password": PASSWORD})
            status = r.status_code
        except httpx.HTTPError:
            status = 0
        t1 = time.perf_counter()
        done.append((t1 - started, t1 - t0, status))

    limits = httpx.Limits(max_connections=1000, max_keepalive_connections=1000)
    async with httpx.AsyncClient(limits=limits, timeout=120) as client:
        tasks = []
        n = 0
        while (due := started + n / rate) < started + seconds:
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            tasks.append(asyncio.create_task(one(client, USERS[n % len(USERS)])))
            n += 1
        await asyncio.gather(*tasks)
    in_window = [d for d in done if d[0] <= seconds]
    ok = sorted(lat for _, lat, status in done if status == 200)
    return {"sent": n, "ok": len(ok), "other": sum(1 for d in done if d[2] != 200),
            "answered_per_s": len(in_window) / seconds,
            "p50_ms": statistics.median(ok) * 1000 if ok else float("nan"),
            "p99_ms": ok[int(len(ok) * 0.99) - 1] * 1000 if len(ok) > 1 else float("nan"),
            "drain_s": max((d[0] for d in done), default=seconds) - seconds}


def cpu_seconds(pid: int) -> tuple[float, float]:
    """CPU seconds of the whole process (threads that ended included) and of its main thread,
    the one that runs the event loop."""
    def ticks(stat: str) -> float:
        fields = Path(stat).read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    return ticks(f"/proc/{pid}/stat"), ticks(f"/proc/{pid}/task/{pid}/stat")


def measured(pid: int, fn: Any) -> tuple[Any, tuple[float, float]]:
    """Run fn(); return its result and the server's CPU use meanwhile (1.0 = one core): the
    event loop's thread, and all other threads (Argon2's among them)."""
    (all0, loop0), t0 = cpu_seconds(pid), time.perf_counter()
    out = fn()
    (all1, loop1), elapsed = cpu_seconds(pid), time.perf_counter() - t0
    return out, ((loop1 - loop0) / elapsed, (all1 - all0 - loop1 + loop0) / elapsed)


def burst(pid: int, base: str, rate: float, run: Any) -> tuple[Any, Any, dict[str, Any]]:
    seconds = RAMP_SECONDS + WARMUP_SECONDS + run.seconds + 0.5
    gen = subprocess.Popen([sys.executable, __file__, "--send-logins", f"{base}/api/v1/auth/login",
                            str(rate), str(seconds)], stdout=subprocess.PIPE, text=True)
    time.sleep(RAMP_SECONDS)
    result, cpu = measured(pid, run)
    out, _ = gen.communicate(timeout=600)
    return result, cpu, json.loads(out)


class Run:
    def __init__(self, url: str, seconds: int, connections: int, token: str) -> None:
        self.url, self.seconds, self.connections = url, seconds, connections
        self.headers = {"Authorization": f"Bearer {token}"}

    def __call__(self) -> dict[str, float]:
        return wrk(self.url, self.seconds, self.connections, self.headers)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--app", type=Path, default=ROOT, help="checkout whose app is measured")
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rate", type=float, default=20.0, help="logins per second")
    parser.add_argument("--port", type=int, default=8111)
    parser.add_argument("--send-logins", nargs=3, metavar=("URL", "RATE", "SECONDS"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.send_logins:
        url, rate, seconds = args.send_logins
        print(json.dumps(asyncio.run(send_logins(url, float(rate), float(seconds)))))
        return
    need_wrk()
    WORK.mkdir(exist_ok=True)
    db_url = os.environ.get("DATABASE_URL", f"sqlite+aiosqlite:///{WORK}/login_burst.db")
    env = {"DATABASE_URL": db_url, "GRID_LOGIN_IP_LIMIT": "100000/minute"}
    fresh_database(db_url)
    seed(args.app, env)
    server = serve(["app.main:create_app", "--factory"], args.port, env, checkout=args.app)
    base = f"http://127.0.0.1:{args.port}"
    rows = []
    try:
        token = login_token(base, "demo_grid_worker")
        for path in ("/api/v1/me", "/api/v1/cases?limit=20"):
            run = Run(base + path, args.seconds, args.connections, token)
            quiet, quiet_cpu = measured(server.pid, run)
            loud, loud_cpu, logins = burst(server.pid, base, args.rate, run)
            again, again_cpu = measured(server.pid, run)
            rows.append((path, (quiet, quiet_cpu), (loud, loud_cpu), (again, again_cpu), logins))
    finally:
        server.terminate()
        server.wait()
    report(args, db_url, rows)


def report(args: argparse.Namespace, db_url: str, rows: list[Any]) -> None:
    commit = subprocess.run(["git", "log", "-1", "--format=%h %s"], cwd=args.app,
                            capture_output=True, text=True).stdout.strip()[:70]
    print(f"\n{db_url.split(':')[0]}, app of {args.app} ({commit})")
    print(f"wrk -c{args.connections} -d{args.seconds}s, one worker, logins at {args.rate:g}/s; "
          f"load average {load_average()}")
    print(f"{'':24} {'phase':9} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>7} {'err':>5} "
          f"{'loop':>5} {'other':>5} | {'p50 ×':>6} {'req/s ×':>7}")
    for path, *phases, logins in rows:
        quiet = phases[0][0]
        for name, (r, cpu) in zip(("quiet", "logins", "quiet"), phases, strict=True):
            rps = r["rps"] / quiet["rps"] if quiet["rps"] else float("nan")
            print(f"{path:24} {name:9} {r['p50']:8.2f} {r['p99']:8.2f} {r['rps']:7.0f} "
                  f"{r['errors']:5.0f} {cpu[0]:5.2f} {cpu[1]:5.2f} | "
                  f"{r['p50'] / quiet['p50']:6.2f} {rps:7.2f}")
        print(f"{'':24} logins: {logins['sent']} sent, {logins['ok']} ok, {logins['other']} "
              f"other; {logins['answered_per_s']:.1f}/s answered while sending; p50 "
              f"{logins['p50_ms']:.0f} ms, p99 {logins['p99_ms']:.0f} ms; last answer "
              f"{logins['drain_s']:.1f} s after the last sent")


if __name__ == "__main__":
    main()
