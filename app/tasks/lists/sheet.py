"""The key-task list as a spreadsheet (the district keeps it in one today): the columns, the
export, and reading an upload into checked rows with row-level problems. Reading and writing
reuse the residents' sheet helpers (app/people/sheets.py: format sniffing, streamed rows,
write-only workbooks); this module only knows the task columns.

Sync code: the router runs it in a worker thread, never on the event loop."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from app.people.sheets import open_rows, write_workbook

# key → (Chinese header, English header, aliases)
COLUMNS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "seq": ("序号", "No.", ("编号",)),
    "content": ("任务内容", "Task", ("重点任务", "任务")),
    "target": ("目标要求", "Target", ("目标",)),
    "lead": ("牵头单位", "Lead unit", ("牵头",)),
    "responsibles": ("责任单位", "Responsible units", ("责任",)),
    "deadline": ("完成时限", "Deadline", ("截止日期", "时限")),
    "status": ("状态", "Status", ()),
}
STATUS = {"推进中": "in_progress", "已完成": "done", "暂停": "suspended", "已取消": "cancelled"}
STATUS_LABEL = {v: k for k, v in STATUS.items()}
SPLIT = re.compile(r"[、，,;；/／\n]+")
MAX_ROWS = 2000


@dataclass
class SheetRow:
    row: int  # the spreadsheet's row number
    values: dict[str, str]
    problems: list[dict[str, str]] = field(default_factory=list)

    def problem(self, column: str, zh: str, en: str) -> None:
        self.problems.append({"field": column, "zh": zh, "en": en})


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", text).lower()


_HEADERS = {
    _norm(a): key for key, (zh, en, aliases) in COLUMNS.items() for a in (key, zh, en, *aliases)
}


def _header(cells: list[str]) -> dict[int, str] | None:
    found = {i: _HEADERS[_norm(c)] for i, c in enumerate(cells) if _norm(c) in _HEADERS}
    return found if "content" in found.values() else None


def read_rows(file: IO[bytes]) -> list[SheetRow]:
    """Rows under the header (found in the first ten rows by its `任务内容` column); blank rows
    skipped. UnsupportedSheet for what is not a workbook or CSV; ValueError without a header or
    with too many rows."""
    out: list[SheetRow] = []
    with open_rows(file) as rows:
        header: dict[int, str] | None = None
        for number, cells in rows:
            if header is None:
                header = _header(cells)
                if header is None and number >= 10:
                    break
                continue
            values = {key: cells[i].strip() for i, key in header.items() if i < len(cells)}
            if any(values.values()):
                out.append(SheetRow(number, values))
            if len(out) > MAX_ROWS:
                raise ValueError(f"最多 {MAX_ROWS} 行")
        if header is None:
            raise ValueError("未找到表头（须有“任务内容”列）")
    return out


def parse_date(text: str) -> date:
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


def names(text: str) -> list[str]:
    return [n.strip() for n in SPLIT.split(text) if n.strip()]


def write_list(path: Path, lang: str, rows: list[list[Any]]) -> None:
    en = lang == "en"
    header = [en_ if en else zh for zh, en_, _ in COLUMNS.values()]
    write_workbook(path, [("重点任务" if not en else "Key tasks", [header, *rows])])
