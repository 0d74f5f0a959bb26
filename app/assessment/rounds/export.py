"""Round and review results as `.xlsx`: headers in the caller's language, built in memory (one
row per assessed org: a district has a few hundred) off the event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from io import BytesIO
from typing import Any

from openpyxl import Workbook

from app.core import xlsx

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _build(title: str, header: list[str], rows: Iterable[list[Any]]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    sheet.append(header)
    for row in rows:
        sheet.append(xlsx.row(row))
    buf = BytesIO()
    book.save(buf)
    return buf.getvalue()


async def workbook(title: str, header: list[str], rows: list[list[Any]]) -> bytes:
    return await asyncio.to_thread(_build, title, header, rows)
