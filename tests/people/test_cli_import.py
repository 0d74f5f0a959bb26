"""`gridapi import residents FILE --grid ID`, run as operators run it, against a database of its
own (migrated and seeded with the demo district)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.people.spreadsheets import csv_bytes, person, read_xlsx, unique_id, xlsx
from tests.test_cli import gridapi, scratch_url

pytestmark = pytest.mark.real_commits
__all__ = ["scratch_url"]  # the module-scoped scratch database fixture of tests/test_cli.py
DEMO_GRID_CODE = "JA-XY-01-G1"


def _query(url: str, sql: str, **params: Any) -> list[Any]:
    async def go() -> list[Any]:
        engine = create_async_engine(url)
        async with engine.connect() as conn:
            rows = list((await conn.execute(text(sql), params)).all())
        await engine.dispose()
        return rows

    return asyncio.run(go())


@pytest.fixture(scope="module")
def grid_id(scratch_url: str) -> Iterator[int]:
    assert gridapi(scratch_url, "migrate").returncode == 0
    seeded = gridapi(scratch_url, "seed-demo")
    assert seeded.returncode == 0, seeded.stderr
    yield _query(scratch_url, "SELECT id FROM grids WHERE code = :c", c=DEMO_GRID_CODE)[0][0]


def _row(k: int, **cells: Any) -> list[Any]:
    return person(0, **{"身份证号": unique_id(500_000 + k), "手机号": "", **cells})


def test_import_with_progress_report_and_audit(scratch_url: str, grid_id: int, tmp_path: Path):
    sheet = tmp_path / "居民.xlsx"
    sheet.write_bytes(xlsx([_row(k) for k in range(5)] + [_row(9, 性别="?")]))
    report = tmp_path / "rejected.xlsx"
    r = gridapi(scratch_url, "import", "residents", str(sheet), "--grid", str(grid_id),
                "--report", str(report), "--progress-every", "2")
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout.strip().splitlines()[-1])
    assert (summary["status"], summary["rows_created"], summary["rows_rejected"]) == (
        "completed", 5, 1)
    assert "rows/s" in r.stderr and unique_id(500_000) not in r.stderr + r.stdout
    # The row's own cells beside its reason (the workbook the API serves, tests/people).
    assert read_xlsx(report.read_bytes())[1][:4] == [7, "性别：性别应为“男”或“女”", "9栋", "1单元"]
    audit = _query(scratch_url, "SELECT actor, detail FROM audit_log WHERE action = :a "
                   "ORDER BY id DESC", a="resident.import")
    assert audit and audit[0][0] == "cli"


def test_all_or_nothing_with_a_bad_row_exits_1(scratch_url: str, grid_id: int, tmp_path: Path):
    sheet = tmp_path / "r.csv"
    sheet.write_bytes(csv_bytes([_row(20, building="88栋"), _row(21, 手机号="1")], "gb18030"))
    r = gridapi(scratch_url, "import", "residents", str(sheet), "--grid", str(grid_id),
                "--mode", "all_or_nothing")
    assert r.returncode == 1, r.stderr
    assert json.loads(r.stdout.strip().splitlines()[-1])["rows_created"] == 0
    assert _query(scratch_url, "SELECT id FROM buildings WHERE name = '88栋'") == []


def test_bad_usage_exits_2(scratch_url: str, grid_id: int, tmp_path: Path):
    sheet = tmp_path / "r.xlsx"
    sheet.write_bytes(xlsx([_row(30)]))
    assert gridapi(scratch_url, "import", "residents", str(sheet)).returncode == 2
    missing_grid = gridapi(scratch_url, "import", "residents", str(sheet), "--grid", "999999")
    assert missing_grid.returncode == 2 and "no such grid" in missing_grid.stderr
    no_file = gridapi(scratch_url, "import", "residents", str(tmp_path / "nope.xlsx"),
                      "--grid", str(grid_id))
    assert no_file.returncode == 2
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([], header=["姓名", "身份证号", "身高"]))
    header = gridapi(scratch_url, "import", "residents", str(bad), "--grid", str(grid_id))
    assert header.returncode == 2 and "身高" in header.stderr
