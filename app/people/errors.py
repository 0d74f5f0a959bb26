"""The errors the people domain raises (each with a stable `code`
and its text in Chinese and English)."""

from __future__ import annotations

from app.core.errors import Conflict, Forbidden, NotFound, Unprocessable, UnsupportedMediaType


class BuildingNotFound(NotFound):
    code, zh, en = "building_not_found", "楼栋不存在", "Building not found"


class HouseholdNotFound(NotFound):
    code, zh, en = "household_not_found", "住户不存在", "Household not found"


class ResidentNotFound(NotFound):
    code, zh, en = "resident_not_found", "居民不存在", "Resident not found"


class ResidentExists(Conflict):
    code = "resident_exists"
    zh, en = "该身份证号已登记", "A resident with this ID number is already registered"


class ExportTooLarge(Unprocessable):
    code = "export_too_large"


class RevealNotAllowed(Forbidden):
    code = "export_reveal_forbidden"
    zh = "无权导出完整信息（需要查看完整信息的权限）"
    en = "Not allowed to export full details (needs the right to reveal residents)"


class ImportNotFound(NotFound):
    code, zh, en = "resident_import_not_found", "导入记录不存在", "Import not found"


class UnsupportedSheet(UnsupportedMediaType):
    code = "import_unsupported_file"
    zh = "仅支持 .xlsx 工作簿和 .csv 文件（UTF-8 或 GBK/GB18030 编码）"
    en = "Only .xlsx workbooks and .csv files (UTF-8 or GBK/GB18030) are accepted"


class HeaderError(Unprocessable):
    code = "import_header_invalid"


class IdentifierError(ValueError):
    """A bad ID or phone number: `str()` is the Chinese message (what pydantic shows), `code`
    and `en` let a spreadsheet import report the same rule in either language."""

    def __init__(self, code: str, zh: str, en: str) -> None:
        super().__init__(zh)
        self.code, self.zh, self.en = code, zh, en
