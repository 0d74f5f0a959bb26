"""The weekly bulletin as a workbook: one row per (task, responsible unit), written with the
residents' sheet helpers (write-only, flat memory)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from app.people.sheets import write_workbook
from app.tasks.bulletins.schemas import BulletinRead

HEADER = {
    "zh": [
        "序号",
        "任务",
        "截止日期",
        "状态",
        "是否逾期",
        "责任单位",
        "是否报告",
        "进度(%)",
        "较上次变化",
        "迟报",
    ],
    "en": [
        "No.",
        "Task",
        "Deadline",
        "Status",
        "Overdue",
        "Responsible unit",
        "Reported",
        "Percent",
        "Change",
        "Late",
    ],
}
YES_NO = {"zh": ("是", "否"), "en": ("yes", "no")}


def _rows(bulletin: BulletinRead, lang: str) -> Iterator[list[Any]]:
    yes, no = YES_NO[lang]
    yield [f"{bulletin.week} ({bulletin.week_start} – {bulletin.week_end})"]
    yield HEADER[lang]
    for t in bulletin.tasks:
        head = [
            t.seq,
            t.content,
            t.deadline.isoformat() if t.deadline else "",
            t.status,
            yes if t.overdue else no,
        ]
        for u in t.reported:
            yield [
                *head,
                u.name,
                yes,
                u.percent,
                "" if u.change is None else u.change,
                yes if u.late else no,
            ]
        for m in t.missing:
            yield [*head, m.name, no, "", "", ""]
        if not t.reported and not t.missing:
            yield [*head, "", "", "", "", ""]


def bulletin_xlsx(bulletin: BulletinRead, path: Path, lang: str) -> None:
    write_workbook(path, [(bulletin.week, _rows(bulletin, "en" if lang == "en" else "zh"))])
