"""The service record as a printable .xlsx: the certificate fields first (in their order), the
period's totals, then one row per activity. Labels follow the request's language (Chinese by
default, English with Accept-Language: en). Small enough to build in memory."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from app.core import xlsx
from app.core.i18n import t
from app.volunteers.records.schemas import ServiceRecord

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _certificate_rows(r: ServiceRecord) -> list[tuple[str, Any]]:
    c = r.certificate
    return [
        (t("姓名", "Name"), c.name),
        (t("证件类型", "Document type"), c.id_type),
        (t("证件号码", "Document number"), c.id_number),
        (t("志愿者编号", "Volunteer number"), c.volunteer_number),
        (t("服务时长（小时）", "Service hours"), c.hours),
        (t("服务内容", "Service content"), c.content),
        (t("出具组织", "Issuing organisation"), c.issuing_org),
        (t("组织负责人", "Person in charge"), c.person_in_charge),
        (t("联系方式", "Contact"), c.contact),
        (t("证明编号", "Certificate number"), c.certificate_number or ""),
        (t("出具日期", "Date of issue"), c.issued_on.isoformat() if c.issued_on else ""),
    ]


def _summary_rows(r: ServiceRecord) -> list[tuple[str, Any]]:
    return [
        (t("期间", "Period"), f"{r.period_from.isoformat()} ~ {r.period_to.isoformat()}"),
        (t("工作单位", "Work unit"), r.work_unit),
        (t("服务时长合计（小时）", "Hours in total"), r.hours_total),
        (t("完成微心愿", "Wishes fulfilled"), r.wishes_fulfilled),
        (t("上报案件", "Cases reported"), r.cases_reported),
        (t("期间所得积分", "Points earned"), r.points_earned),
        (t("积分余额", "Points balance"), r.points_balance),
    ]


def activity_headers() -> list[str]:
    return [
        t("日期", "Date"),
        t("时段", "Time span"),
        t("时长（小时）", "Hours"),
        t("服务内容", "Content"),
        t("组织方", "Organiser"),
    ]


def build(record: ServiceRecord) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = t("志愿服务记录", "Service record")
    ws.append([t("志愿服务记录证明", "Volunteer service record")])
    ws["A1"].font = Font(bold=True, size=14)
    for label, value in [*_certificate_rows(record), ("", None), *_summary_rows(record)]:
        ws.append(xlsx.row([label, value]))
    ws.append([])
    ws.append(activity_headers())
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for i in record.activities:
        ws.append(xlsx.row([i.date.isoformat(), i.span, i.hours, i.content, i.organiser]))
    for column, width in zip("ABCDE", (22, 40, 12, 40, 24), strict=True):
        ws.column_dimensions[column].width = width
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
