"""Importing a 100,000-row resident workbook through the CLI: seconds and peak RSS.

    .venv/bin/python bench/people_import.py [--rows 100000]                 # SQLite (temp file)
    .venv/bin/python bench/people_import.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/bench

Generates the workbook (write-only: valid, distinct ID numbers across a few buildings of the
demo's first grid), prepares the database (`gridapi migrate`, `gridapi seed-demo`), then runs
`gridapi import residents FILE --grid ID` in a subprocess under a small launcher that reports
that one process's peak RSS. Not run in CI. The PostgreSQL database should be a scratch one:
the import adds its rows there (a second run rejects every row as already registered).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from openpyxl import Workbook
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.people.idcard import check_digit

DEMO_GRID_CODE = "JA-XY-01-G1"
HEADER = ["楼栋", "单元", "房号", "姓名", "性别", "身份证号", "手机号", "民族", "与户主关系",
          "重点人群"]
# Runs the command given as arguments and prints its peak RSS (KiB on Linux) on the last line.
LAUNCHER = (
    "import resource, subprocess, sys\n"
    "code = subprocess.run(sys.argv[1:]).returncode\n"
    "print('maxrss_kib', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def id_number(k: int) -> str:
    born = (date(1940, 1, 1) + timedelta(days=k // 1000)).strftime("%Y%m%d")
    first17 = f"410102{born}{k % 1000:03d}"  # 郑州 中原区: not the fixtures' region
    return first17 + check_digit(first17)


def write_sheet(path: Path, rows: int) -> None:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("居民")
    sheet.append(HEADER)
    for k in range(rows):
        building, rest = divmod(k, rows // 8 + 1)  # 8 buildings
        unit, room = divmod(rest // 3, 400)  # 3 people a household
        sheet.append([f"{building + 1}栋", f"{unit + 1}单元", str(1000 + room), "张伟",
                      "男" if k % 2 else "女", id_number(k), f"139{k:08d}", "汉族",
                      "户主" if k % 3 == 0 else "子女", "独居老人" if k % 50 == 0 else ""])
    book.save(path)


def gridapi(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=False)


def grid_id(url: str) -> int:
    async def go() -> int:
        engine = create_async_engine(url)
        async with engine.connect() as conn:
            value = (await conn.execute(text("SELECT id FROM grids WHERE code = :c"),
                                        {"c": DEMO_GRID_CODE})).scalar_one()
        await engine.dispose()
        return int(value)

    return asyncio.run(go())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="people-import-"))
    url = args.database_url or f"sqlite+aiosqlite:///{tmp}/bench.db"
    env = {**os.environ, "DATABASE_URL": url, "GRID_ENV": "development", "GRID_LOG_JSON": "0"}
    sheet = tmp / "residents.xlsx"
    t0 = time.perf_counter()
    write_sheet(sheet, args.rows)
    print(f"workbook: {args.rows} rows, {sheet.stat().st_size / 1e6:.1f} MB, "
          f"written in {time.perf_counter() - t0:.1f} s")
    for step in ("migrate", "seed-demo"):
        done = gridapi(env, step)
        if done.returncode != 0:
            sys.exit(f"{step} failed: {done.stderr[-2000:]}")
    grid = grid_id(url)
    command = [sys.executable, "-c", LAUNCHER, sys.executable, "-m", "app.cli", "import",
               "residents", str(sheet), "--grid", str(grid), "--progress-every", "20000"]
    t0 = time.perf_counter()
    run = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - t0
    lines = run.stderr.strip().splitlines()
    maxrss = next(int(x.split()[1]) for x in reversed(lines) if x.startswith("maxrss_kib"))
    summary = json.loads(run.stdout.strip().splitlines()[-1]) if run.stdout.strip() else {}
    print("\n".join(x for x in lines if x.startswith("rows ")))
    print(f"database: {url.split('://')[0]}  exit {run.returncode}  "
          f"created {summary.get('rows_created')}  rejected {summary.get('rows_rejected')}")
    print(f"import: {seconds:.1f} s ({args.rows / seconds:,.0f} rows/s), "
          f"peak RSS {maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
