"""重点任务清单的导入导出（.xlsx）. Its own router, included before /tasks/{task_id}, which would
otherwise take `export.xlsx` for an id."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import File, Form, Query, UploadFile, status
from fastapi.responses import FileResponse
from pydantic import BaseModel
from starlette.background import BackgroundTask

from app.core.auth import CurrentPrincipal
from app.core.db import SessionDep
from app.core.deps import SettingsDep
from app.core.errors import problems
from app.core.i18n import current_language
from app.core.idempotency import Idempotent
from app.core.inputs import Id
from app.core.routing import DomainRouter
from app.files.errors import FileTooLarge
from app.people.sheets import XLSX_MIME
from app.tasks.lists import imports

router = DomainRouter(tags=["tasks"])
XLSX: dict[int | str, dict[str, Any]] = {200: {"content": {XLSX_MIME: {}}}}


class RejectedCell(BaseModel):
    row: int
    field: str
    message: str


class TaskImportReport(BaseModel):
    rows_total: int
    rows_created: int
    task_ids: list[int]
    rejected: list[RejectedCell]


def _temp_xlsx() -> Path:
    fd, name = tempfile.mkstemp(prefix="gridapi-", suffix=".xlsx")
    os.close(fd)
    return Path(name)


@contextlib.contextmanager
def _removed_on_error(path: Path) -> Iterator[Path]:
    try:
        yield path
    except BaseException:
        path.unlink(missing_ok=True)
        raise


@router.post(
    "/tasks/import",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Idempotent],
    responses=problems(403, 413, 415, 422),
)
async def import_tasks(
    principal: CurrentPrincipal,
    session: SessionDep,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="重点任务清单 .xlsx 或 .csv（列同导出）")],
    org_id: Annotated[Id, Form(description="清单所属组织")],
    year: Annotated[int, Form(ge=2000, le=2100)],
) -> TaskImportReport:
    """从现有的重点任务表导入（表头按列名识别：序号、任务内容、目标要求、牵头单位、责任单位、
    完成时限、状态）。无误的行逐条建为任务，有问题的行列入报告（行号、列、原因）。
    责任单位、牵头单位按名称匹配本级及下级组织或区直单位；多个责任单位用顿号分隔。"""
    if file.size is not None and file.size > settings.max_upload_bytes:
        mb = f"{settings.max_upload_bytes / (1024 * 1024):g}"
        raise FileTooLarge(f"文件超过 {mb} MB 上限", f"The file exceeds the {mb} MB limit")
    report = await imports.import_list(session, principal, org_id=org_id, year=year, file=file.file)
    return TaskImportReport.model_validate(report)


@router.get(
    "/tasks/export.xlsx", response_class=FileResponse, responses={**XLSX, **problems(403, 422)}
)
async def export_tasks(
    principal: CurrentPrincipal,
    session: SessionDep,
    org_id: Annotated[Id, Query()],
    year: Annotated[int, Query(ge=2000, le=2100)],
) -> FileResponse:
    """该组织本级的年度重点任务清单，列与导入相同（导出后可修改再导入）。"""
    with _removed_on_error(_temp_xlsx()) as path:
        await imports.export_list(
            session, principal, org_id=org_id, year=year, path=path, lang=current_language()
        )
    return FileResponse(
        path,
        media_type=XLSX_MIME,
        filename=f"key-tasks-{year}.xlsx",
        background=BackgroundTask(path.unlink, missing_ok=True),
    )
