"""The errors the cases domain raises (each with a stable `code`
and its text in Chinese and English)."""

from __future__ import annotations

from app.core.errors import Conflict, Forbidden, NotFound, Unprocessable


class CaseNotFound(NotFound):
    code, zh, en = "case_not_found", "案件不存在", "Case not found"


class InvalidTransition(Conflict):
    code = "case_invalid_transition"


class UnknownCategory(Unprocessable):
    code, zh, en = "case_unknown_category", "案件类别不存在或不可用", "Unknown case category"


class CategoryNotLeaf(Unprocessable):
    """A group of categories (a parent) where a case needs one of its leaves."""

    code = "case_category_not_leaf"

    def __init__(self, name: str, choices: list[tuple[str, str]]) -> None:
        listed = "、".join(f"{c} {n}" for c, n in choices)
        codes = ", ".join(c for c, _ in choices)
        super().__init__(
            f"“{name}”是类别分组，不能直接上报，请选择其下的具体类别：{listed}",
            f"{name!r} is a group of categories: report under one of its leaves: {codes}",
            errors=[
                {
                    "field": "category_code",
                    "message": "not a leaf category",
                    "choices": [c for c, _ in choices],
                }
            ],
        )


class OutsideGrids(Unprocessable):
    code = "case_outside_grids"
    zh = "该位置不在任何网格内，请确认定位（注意坐标系 crs）"
    en = "The location is outside every grid (check the coordinates and crs)"


class OutsideArea(Forbidden):
    code, zh, en = "case_outside_area", "该位置不在您的上报范围内", "Outside your reporting area"


class VerifierIsResolver(Forbidden):
    code = "case_verifier_is_resolver"
    zh = "核查须由处置人以外的人员进行（处置与核查分离），请由网格长、网格员或指挥中心其他人员核查"
    en = (
        "A case is verified by someone other than who resolved it (separation of duties): "
        "ask another grid member or the command center to verify it"
    )


class AttachmentNotFound(NotFound):
    code, zh, en = "attachment_not_found", "附件不存在", "Attachment not found"
