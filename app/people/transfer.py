"""Resident spreadsheets over HTTP: the import (with its stored report and the rejected rows
as a workbook), the template, and the export. Included into the people router before
`/residents/{resident_id}`, which would otherwise take `export.xlsx` for an id."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import File, Form, Query, Request, UploadFile, status
from fastapi.responses import FileResponse, Response
from starlette.background import BackgroundTask

from app.core.abuse import per_caller
from app.core.auth import CurrentPrincipal
from app.core.db import Database, SessionDep
from app.core.deps import CipherDep, LimitsDep, SettingsDep, client_ip
from app.core.errors import problems
from app.core.i18n import current_language
from app.core.idempotency import Idempotent
from app.core.inputs import Id
from app.core.pagination import Page, PageDep, page_of
from app.core.permissions import Perm
from app.core.routing import DomainRouter
from app.files.errors import FileTooLarge
from app.grids import service as grids
from app.people import export, importer, imports, sheets
from app.people.schemas import ImportMode, ImportReport, ResidentTag

router = DomainRouter(tags=["people"])
XLSX: dict[int | str, dict[str, Any]] = {200: {"content": {sheets.XLSX_MIME: {}}}}


def _temp_xlsx() -> Path:
    fd, name = tempfile.mkstemp(prefix="gridapi-", suffix=".xlsx")
    os.close(fd)
    return Path(name)


def _send(path: Path, filename: str) -> FileResponse:
    """The file, deleted once sent; never cached (it may hold personal data)."""
    return FileResponse(path, media_type=sheets.XLSX_MIME, filename=filename,
                        headers={"Cache-Control": "no-store"},
                        background=BackgroundTask(path.unlink, missing_ok=True))


@contextlib.contextmanager
def _removed_on_error(path: Path) -> Any:
    try:
        yield path
    except BaseException:
        path.unlink(missing_ok=True)
        raise


@router.post("/residents/import", status_code=status.HTTP_201_CREATED, dependencies=[Idempotent],
             responses=problems(403, 404, 413, 415, 422))
async def import_residents(
    request: Request,
    principal: CurrentPrincipal,
    session: SessionDep,
    cipher: CipherDep,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="居民信息表 .xlsx 或 .csv（模板见 "
                                                 "GET /residents/import/template）")],
    grid_id: Annotated[int, Form(ge=1, description="导入到哪个网格")],
    mode: Annotated[ImportMode, Form(description="valid_rows：导入无误的行，其余列入报告；"
                                                 "all_or_nothing：有任何问题行则全部不导入")
                    ] = "valid_rows",
) -> ImportReport:
    """从社区现有的居民信息表导入（表头按列名识别，顺序不限，中英文均可）。逐行校验身份证号、
    手机号、性别、必填项、文件内重复和全区已登记；楼栋、住户按名称/单元/房号查找或新建。
    返回导入报告（问题行只含行号、字段和原因，不含内容）。需要该网格的 people:write。"""
    grid = await grids.get(session, principal, grid_id, Perm.people_write)
    if file.size is not None and file.size > settings.max_upload_bytes:
        mb = f"{settings.max_upload_bytes / (1024 * 1024):g}"
        raise FileTooLarge(f"文件超过 {mb} MB 上限", f"The file exceeds the {mb} MB limit")
    report = await importer.import_file(session, principal, cipher, grid=grid, file=file.file,
                                        filename=file.filename or "upload", mode=mode,
                                        ip=client_ip(request))
    return imports.report_read(report)


@router.get("/residents/import/template", response_class=Response,
            responses={200: {"content": {sheets.XLSX_MIME: {}, "text/csv": {}}}})
async def import_template(principal: CurrentPrincipal,
                          format: Literal["xlsx", "csv"] = "xlsx") -> Response:
    """导入模板：表头和各列说明（不含示例人员）。"""
    if format == "csv":
        return Response(sheets.template_csv(), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="residents.csv"'})
    path = _temp_xlsx()
    with _removed_on_error(path):
        sheets.template_xlsx(path, current_language())
    return _send(path, "residents-template.xlsx")


@router.get("/residents/imports", responses=problems(400))
async def list_imports(principal: CurrentPrincipal, session: SessionDep,
                       page: PageDep,
                       grid_id: Annotated[Id | None, Query()] = None
                       ) -> Page[ImportReport]:
    """可见范围内的导入记录，新的在前。"""
    rows = await imports.list_page(session, principal, grid_id=grid_id, page=page)
    return page_of(rows, page, lambda r: [r.id], imports.report_read)


@router.get("/residents/imports/{import_id}", responses=problems(403, 404))
async def get_import(import_id: Id, principal: CurrentPrincipal, session: SessionDep
                     ) -> ImportReport:
    """导入报告。"""
    return imports.report_read(await imports.get(session, principal, import_id))


@router.get("/residents/imports/{import_id}/rejected.xlsx", response_class=FileResponse,
            responses={**XLSX, **problems(403, 404)})
async def download_rejected(import_id: Id, principal: CurrentPrincipal,
                            session: SessionDep, cipher: CipherDep) -> FileResponse:
    """问题行工作簿：第一页每个问题行一行——原行号、问题，以及该行原有内容（列与原表一致，
    可直接修改后重新导入该页，前两列导入时忽略）；第二页逐条列出原因。"""
    report = await imports.get(session, principal, import_id)
    path = _temp_xlsx()
    with _removed_on_error(path):
        imports.rejected_xlsx(report, path, current_language(), cipher)
    return _send(path, f"import-{report.id}-rejected.xlsx")


@router.get("/residents/export.xlsx", response_class=FileResponse,
            responses={**XLSX, **problems(403, 404, 422, 429)},
            dependencies=[per_caller("export", "export_rate_limited")])
async def export_residents(
    request: Request,
    principal: CurrentPrincipal,
    session: SessionDep,
    cipher: CipherDep,
    limits: LimitsDep,
    grid_id: Annotated[Id | None, Query()] = None,
    household_id: Annotated[Id | None, Query()] = None,
    tag: ResidentTag | None = None,
    purpose: Annotated[str | None, Query(min_length=2, max_length=200,
                                         description="导出完整信息的事由（需查看完整信息的权限，"
                                                     "记入审计）")] = None,
) -> FileResponse:
    """导出可见范围内的居民（.xlsx，列与导入模板一致）。默认脱敏；给出 purpose 且有权查看
    完整信息时导出完整姓名、身份证号和手机号（无权 403）。每次导出都记入审计；每人每小时
    次数有限（`GRID_EXPORT_LIMIT`，超出 429）。"""
    q = export.ExportQuery(grid_id=grid_id, household_id=household_id, tag=tag,
                           purpose=purpose.strip() if purpose else None)
    path = _temp_xlsx()
    with _removed_on_error(path):
        rows = await export.write(session, principal, cipher, limits, q, path,
                                  current_language())
        db: Database = request.app.state.db
        await export.settle(db, limits, principal, q, rows, client_ip(request))
    return _send(path, "residents.xlsx")
