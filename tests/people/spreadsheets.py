"""Building resident spreadsheets for the import tests and benches."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from openpyxl import Workbook, load_workbook

from app.people.idcard import check_digit
from tests.factories import id_number

HEADER = ["楼栋", "单元", "房号", "姓名", "性别", "身份证号", "手机号", "民族", "与户主关系",
          "重点人群"]
BORN = "19900303"  # no fixture resident or member is born that day
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def person_id(seq: int, born: str = BORN) -> str:
    return id_number(seq, born=born)


def person(seq: int, *, building: str = "9栋", unit: str = "1单元", room: str = "101",
           **cells: Any) -> list[Any]:
    row = {"楼栋": building, "单元": unit, "房号": room, "姓名": "李秀英", "性别": "",
           "身份证号": person_id(seq), "手机号": f"139{seq:08d}", "民族": "汉族",
           "与户主关系": "户主", "重点人群": "独居老人"}
    row.update(cells)
    return [row[h] for h in HEADER]


def xlsx(rows: Iterable[list[Any]], header: list[str] | None = None,
         title: str | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    if title:
        sheet.append([title])
    sheet.append(header or HEADER)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows: Iterable[list[Any]], encoding: str = "utf-8-sig",
              header: list[str] | None = None) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header or HEADER)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def read_xlsx(data: bytes) -> list[list[Any]]:
    book = load_workbook(io.BytesIO(data), read_only=True)
    rows = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
    book.close()
    return rows


def read_xlsx_sheets(data: bytes) -> list[list[list[Any]]]:
    book = load_workbook(io.BytesIO(data), read_only=True)
    sheets = [[list(r) for r in sheet.iter_rows(values_only=True)] for sheet in book.worksheets]
    book.close()
    return sheets


def unique_id(k: int) -> str:
    """The k-th of many distinct valid ID numbers (1,000 per birth day from 1960-01-01)."""
    born = (date(1960, 1, 1) + timedelta(days=k // 1000)).strftime("%Y%m%d")
    first17 = f"411023{born}{k % 1000:03d}"
    return first17 + check_digit(first17)


async def upload(client: Any, headers: dict[str, str], content: bytes, *, grid_id: int,
                 mode: str = "valid_rows", name: str = "居民.xlsx", mime: str = XLSX) -> Any:
    return await client.post("/api/v1/residents/import", headers=headers,
                             files={"file": (name, content, mime)},
                             data={"grid_id": str(grid_id), "mode": mode})
