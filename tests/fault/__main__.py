"""Fault runs against real processes: `.venv/bin/python -m tests.fault [options]`.

Scenarios (all by default):
  kill        kill -9 each of two API processes in turn during a stream of reports (each with
              an Idempotency-Key, retried until acknowledged), two outbox workers running:
              every acknowledged report stored exactly once, one webhook delivery each
              (on SQLite and on PostgreSQL)
  pg-stop     PostgreSQL stopped for --outage seconds under load (a TCP proxy in front of it
              refuses and cuts connections): 503 with Retry-After within the bound, /readyz
              red within 2 s, recovery without a restart
  pg-freeze   PostgreSQL frozen for --outage seconds (the proxy holds every byte): the same
  redis       Redis stopped for --outage seconds while people sign in, reveal and report

Needs PostgreSQL (FAULT_PG_URL, default postgresql://postgres@127.0.0.1:5432/postgres; a
database is created and dropped per scenario) and Redis on 127.0.0.1:6379 (FAULT_REDIS_PORT).
Process logs and results.json go to --work. Exit status 1 when a check fails.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from tests.fault import scenarios
from tests.fault.scenarios import Result

ALL = ("kill", "pg-stop", "pg-freeze", "redis")


async def run(args: argparse.Namespace) -> list[Result]:
    work = Path(args.work or tempfile.mkdtemp(prefix="gridapi-fault-"))
    dbs = ("sqlite", "postgres") if args.db == "both" else (args.db,)
    results: list[Result] = []
    for name in args.only or ALL:
        started = time.monotonic()
        if name == "kill":
            for kind in dbs:
                results.append(await scenarios.kill9(kind, work, reports=args.reports))
                _show(results[-1], started)
                started = time.monotonic()
            continue
        if name in ("pg-stop", "pg-freeze"):
            results.append(await scenarios.postgres_outage(
                work, name.removeprefix("pg-"), seconds=args.outage))
        elif name == "redis":
            results.append(await scenarios.redis_outage(dbs[-1], work, seconds=args.outage))
        _show(results[-1], started)
    (work / "results.json").write_text(json.dumps(
        [{**asdict(r), "ok": r.ok} for r in results], ensure_ascii=False, indent=2))
    print(f"\nlogs and results.json in {work}")
    return results


def _show(result: Result, started: float) -> None:
    print(f"\n{'PASS' if result.ok else 'FAIL'}  {result.name}  "
          f"({time.monotonic() - started:.0f} s)")
    for key, value in result.measured.items():
        print(f"    {key}: {value}")
    for check, held in result.checks.items():
        print(f"    [{'x' if held else ' '}] {check}")
    sys.stdout.flush()


def main() -> int:
    p = argparse.ArgumentParser(prog="python -m tests.fault", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--only", nargs="*", choices=ALL, help="scenarios to run (default: all)")
    p.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both",
                   help="database of the kill and redis scenarios (pg-* always PostgreSQL)")
    p.add_argument("--reports", type=int, default=240, help="reports in the kill scenario")
    p.add_argument("--outage", type=float, default=10.0, help="seconds each outage lasts")
    p.add_argument("--work", default=None, help="directory for logs (default: a temp dir)")
    results = asyncio.run(run(p.parse_args()))
    return 0 if results and all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
