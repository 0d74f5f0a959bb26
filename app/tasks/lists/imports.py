"""Importing and exporting a node's key-task list for a year (.xlsx, or .csv for import).

Import: each row is checked on its own (content present and ≤ 2000 characters, a deadline
that is a date, a known status, lead and responsible units named as org nodes of the list's
subtree or as co-construction units); valid rows become tasks, the others come back with their
row number, column and reason, like the residents import. Names are matched exactly, after
the whole subtree's nodes and all units are read once (two statements, not one per row)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.concurrency import run_in_threadpool

from app.core import audit
from app.core.errors import field_error
from app.core.i18n import t
from app.core.security import Principal
from app.models import KeyTask, Org, TaskResponsible
from app.models.scoped import scope_from
from app.tasks.lists import repository as repo
from app.tasks.lists import service
from app.tasks.lists.sheet import STATUS, STATUS_LABEL, SheetRow, names, parse_date, read_rows
from app.tasks.lists.sheet import write_list as _write_list


@dataclass
class Named:
    org_id: int | None
    unit_id: int | None
    staff_org_id: int
    name: str


async def _directory(session: AsyncSession, org: Org) -> dict[str, Named]:
    """Names a row may use: the list's subtree's nodes, then units (a node wins a tie)."""
    out: dict[str, Named] = {}
    for unit in await repo.units(session):
        out[unit.name] = Named(None, unit.id, unit.org_id, unit.name)
    for node in await repo.subtree(session, org.path):
        out[node.name] = Named(node.id, None, node.id, node.name)
    return out


def _check(row: SheetRow, directory: dict[str, Named]) -> dict[str, Any] | None:
    v = row.values
    content = v.get("content", "")
    if not content:
        row.problem("content", "任务内容不能为空", "The task is empty")
    elif len(content) > 2000:
        row.problem("content", "任务内容超过 2000 字", "The task exceeds 2000 characters")
    deadline = None
    if v.get("deadline"):
        try:
            deadline = parse_date(v["deadline"])
        except ValueError:
            row.problem(
                "deadline",
                "完成时限不是日期（如 2026-06-30）",
                "The deadline is not a date (e.g. 2026-06-30)",
            )
    status = STATUS.get(v.get("status") or "推进中", v.get("status") or "")
    if status not in STATUS_LABEL:
        row.problem(
            "status",
            "状态须为：推进中、已完成、暂停、已取消",
            "Status must be one of 推进中, 已完成, 暂停, 已取消",
        )
    lead = directory.get(v.get("lead", "")) if v.get("lead") else None
    if v.get("lead") and lead is None:
        row.problem("lead", f"找不到牵头单位“{v['lead']}”", f"No unit named {v['lead']!r}")
    named = []
    for name in names(v.get("responsibles", "")):
        if name in directory:
            named.append(directory[name])
        else:
            row.problem("responsibles", f"找不到责任单位“{name}”", f"No unit named {name!r}")
    seq = v.get("seq", "")
    if row.problems:
        return None
    return {
        "content": content,
        "target": v.get("target") or None,
        "deadline": deadline,
        "status": status,
        "lead": lead,
        "named": named,
        "seq": int(seq) if seq.isdigit() else row.row,
    }


async def import_list(
    session: AsyncSession, principal: Principal, *, org_id: int, year: int, file: IO[bytes]
) -> dict[str, Any]:
    org = await service.list_org(session, principal, org_id)
    try:
        rows = await run_in_threadpool(read_rows, file)
    except ValueError as exc:
        raise field_error(
            "file", str(exc), "No header row with a 任务内容 column, or too many rows"
        ) from exc
    directory = await _directory(session, org)
    created: list[int] = []
    for row in rows:
        checked = _check(row, directory)
        if checked is not None:
            created.append(await _add(session, org, year, checked))
    rejected = [(r.row, p) for r in rows for p in r.problems]
    await audit.record(
        session,
        principal,
        "task.import",
        "org",
        org.id,
        org_path=org.path,
        detail={
            "year": year,
            "created": len(created),
            "rejected_rows": len({row for row, _ in rejected}),
        },
    )
    return {
        "rows_total": len(rows),
        "rows_created": len(created),
        "task_ids": created,
        "rejected": [
            {"row": row, "field": p["field"], "message": t(p["zh"], p["en"])} for row, p in rejected
        ],
    }


async def _add(session: AsyncSession, org: Org, year: int, c: dict[str, Any]) -> int:
    lead: Named | None = c["lead"]
    task = KeyTask(
        org_id=org.id,
        **scope_from(org),
        year=year,
        seq=c["seq"],
        content=c["content"],
        target=c["target"],
        deadline=c["deadline"],
        status=c["status"],
        lead_org_id=lead.org_id if lead else None,
        lead_unit_id=lead.unit_id if lead else None,
    )
    session.add(task)
    await session.flush()
    seen: set[tuple[int | None, int | None]] = set()
    for n in c["named"]:
        if (n.org_id, n.unit_id) not in seen:
            seen.add((n.org_id, n.unit_id))
            session.add(
                TaskResponsible(
                    task_id=task.id,
                    org_id=n.org_id,
                    unit_id=n.unit_id,
                    staff_org_id=n.staff_org_id,
                    name=n.name,
                )
            )
    return task.id


async def export_list(
    session: AsyncSession, principal: Principal, *, org_id: int, year: int, path: Path, lang: str
) -> None:
    """The node's own list for the year, in the import's columns (a round trip re-imports)."""
    org = await service.readable_org(session, principal, org_id)
    tasks = await repo.of_list(session, org.id, year)
    named = await repo.responsibles(session, [task.id for task in tasks])
    leads = await repo.lead_names(session, tasks)
    rows = [
        [
            task.seq,
            task.content,
            task.target or "",
            leads.get(task.id, ""),
            "、".join(r.name for r in named[task.id]),
            task.deadline.isoformat() if task.deadline else "",
            STATUS_LABEL.get(task.status, task.status),
        ]
        for task in tasks
    ]
    await run_in_threadpool(_write_list, path, lang, rows)
