"""Resident spreadsheets in the layout a community office keeps: the columns, recognising a
header row by its names (any order, Chinese or English), reading .xlsx/.csv one row at a time
(never the whole workbook in memory) and writing workbooks with openpyxl's write-only mode.

Nothing here logs or repeats cell values: they are ID-card numbers, phones and names."""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any, Literal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.reader.excel import ExcelReader
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.xml.functions import iterparse  # defusedxml's when installed, as openpyxl reads

from app.core import xlsx
from app.core.i18n import current_language
from app.people.errors import HeaderError, UnsupportedSheet

Format = Literal["xlsx", "csv"]
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER_SCAN_ROWS = 10  # a title line or two may sit above the header row
SNIFF_BYTES = 64 * 1024
NUMBER_DIGITS_KEPT = 1e15  # a spreadsheet number (an IEEE double) keeps 15 significant digits


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str
    required: bool
    max_length: int
    hint: str  # for the template's instructions sheet
    aliases: tuple[str, ...] = ()

    def label(self, lang: str | None = None) -> str:
        return self.en if (lang or current_language()) == "en" else self.zh


COLUMNS: tuple[Column, ...] = (
    Column("building", "楼栋", "Building", True, 100, "必填，如“3栋”", ("楼号", "楼栋号", "楼宇")),
    Column("unit_no", "单元", "Unit", False, 20, "可空，如“2单元”", ("单元号",)),
    Column("room", "房号", "Room", True, 20, "必填，如“501”", ("房间号", "门牌号", "室号")),
    Column("name", "姓名", "Name", True, 50, "必填", ("居民姓名",)),
    Column("gender", "性别", "Gender", False, 8, "男/女；为空时按身份证号判断"),
    Column("id_number", "身份证号", "ID number", True, 18,
           "必填，18 位（末位可为 X）；请将此列设为文本格式",
           ("身份证号码", "公民身份号码", "证件号码", "ID")),
    Column("phone", "手机号", "Phone", False, 20, "可空，11 位手机号",
           ("手机号码", "联系电话", "电话", "mobile")),
    Column("ethnicity", "民族", "Ethnicity", False, 20, "可空，如“汉族”"),
    Column("relation_to_head", "与户主关系", "Relation to head", False, 20, "可空，如“户主”“配偶”",
           ("户主关系", "relation")),
    Column("tags", "重点人群", "Tags", False, 200,
           "可空，多个用顿号、逗号、分号、斜杠或空格分隔", ("人群类别", "重点人群类别")),
)
BY_KEY = {c.key: c for c in COLUMNS}
# The two columns the rejected-rows workbook puts before a row's own cells.
FIX_COLUMNS = {"zh": ("原行号", "问题"), "en": ("Original row", "Problems")}
# Columns an office keeps for itself, and those of a fixed rejected-rows sheet: accepted and
# ignored.
IGNORED = frozenset({"序号", "编号", "备注", "no", "no.", "#", "remarks", "notes", "原行号",
                     "问题", "originalrow", "problems"})


def _norm_header(value: Any) -> str:
    text = cell_text(value)
    for ch in (" ", "\u3000", "*", "＊", "_"):
        text = text.replace(ch, "")
    return text.lower()


def header_error(column: str, zh: str, en: str) -> HeaderError:
    message = en if current_language() == "en" else zh
    return HeaderError(zh, en, errors=[{"field": "file", "column": column, "message": message}])


def cell_text(value: Any) -> str:
    """A cell as text: numbers without a trailing ".0" (a room typed as 501), dates as ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip().strip("\ufeff\u200b\u3000").strip()


_HEADERS = {_norm_header(a): c for c in COLUMNS for a in (c.key, c.zh, c.en, *c.aliases)}


def map_header(cells: list[str]) -> list[Column | None] | None:
    """The column of each position, or None when this row is not the header row (a title
    line). Raises a 422 naming an unknown, repeated or missing column."""
    found = [_HEADERS.get(_norm_header(c)) for c in cells]
    if sum(1 for f in found if f is not None) < 2:
        return None
    for cell, column in zip(cells, found, strict=True):
        if column is None and cell and _norm_header(cell) not in IGNORED:
            raise header_error(cell, f"无法识别的列“{cell}”", f"Unknown column {cell!r}")
    for column in COLUMNS:
        count = found.count(column)
        if count > 1:
            raise header_error(column.zh, f"列“{column.zh}”重复", f"Column {column.en!r} repeats")
        if column.required and count == 0:
            raise header_error(column.zh, f"缺少必填列“{column.zh}”",
                                f"Required column {column.en!r} is missing")
    return found


def _is_zip(file: IO[bytes]) -> bool:
    file.seek(0)
    return file.read(4) == b"PK\x03\x04"


def _is_xlsx(file: IO[bytes]) -> bool:
    file.seek(0)
    try:
        with zipfile.ZipFile(file) as archive:
            return "xl/workbook.xml" in archive.namelist()
    except zipfile.BadZipFile:
        return False


def _csv_encoding(file: IO[bytes]) -> str | None:
    """utf-8-sig when the whole file decodes as UTF-8, else gb18030 (Excel on Chinese Windows
    saves GBK); None for binary data."""
    file.seek(0)
    head = file.read(SNIFF_BYTES)
    if not head or b"\0" in head:
        return None
    file.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    try:
        while chunk := file.read(1024 * 1024):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
        return "utf-8-sig"
    except UnicodeDecodeError:
        pass
    try:
        head.decode("gb18030")
    except UnicodeDecodeError:
        # The head may end inside a character: judge it without its last few bytes.
        try:
            head[:-4].decode("gb18030")
        except UnicodeDecodeError:
            return None
    return "gb18030"


def detect(file: IO[bytes]) -> tuple[Format, str | None]:
    """The file's format by its bytes (not its name) and, for CSV, its text encoding."""
    if _is_zip(file):  # a zip is a workbook or nothing we read (never a CSV)
        if _is_xlsx(file):
            return "xlsx", None
        raise UnsupportedSheet()
    encoding = _csv_encoding(file)
    if encoding is None:
        raise UnsupportedSheet()
    return "csv", encoding


@contextmanager
def open_rows(file: IO[bytes]) -> Iterator[Iterator[tuple[int, list[str]]]]:
    """(spreadsheet row number, cell texts) for every row, header included, streamed."""
    fmt, encoding = detect(file)
    file.seek(0)
    if fmt == "csv":
        assert encoding is not None
        text = io.TextIOWrapper(file, encoding=encoding, newline="")
        try:
            yield _csv_rows(text)
        finally:
            text.detach()  # the caller owns (and closes) the binary file
        return
    source, shared, archive = _first_sheet(file)
    try:
        yield _xlsx_rows(source, shared)
    finally:
        source.close()
        archive.close()


def _first_sheet(file: IO[bytes]) -> tuple[IO[bytes], list[Any], zipfile.ZipFile]:
    """openpyxl's reader up to the sheet list: package, shared strings, workbook. Not
    `load_workbook`, which in read-only mode scans a whole sheet for its size when the file
    lacks a <dimension> (openpyxl's own write-only files do): seconds for 100,000 rows."""
    try:
        reader = ExcelReader(file, read_only=True, data_only=True)
        reader.read_manifest()
        reader.read_strings()
        reader.read_workbook()
        target = next(rel.target for _, rel in reader.parser.find_sheets()
                      if "chartsheet" not in rel.Type and rel.target in reader.valid_files)
        return reader.archive.open(target), reader.shared_strings, reader.archive
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError,
            StopIteration, AttributeError, TypeError):
        raise UnsupportedSheet() from None


def _csv_rows(text: IO[str]) -> Iterator[tuple[int, list[str]]]:
    try:
        for number, row in enumerate(csv.reader(text), start=1):
            # A leading apostrophe keeps Excel from turning an ID into a number: drop it.
            yield number, [cell_text(c).removeprefix("'") for c in row]
    except UnicodeDecodeError:
        raise UnsupportedSheet() from None


_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_ROW, _CELL, _VALUE, _TEXT = f"{_NS}row", f"{_NS}c", f"{_NS}v", f"{_NS}t"


def _column_index(ref: str) -> int:
    index = 0
    for ch in ref:
        if ch.isdigit():
            break
        index = index * 26 + ord(ch) - 64
    return index - 1


def _xlsx_rows(source: IO[bytes], shared: list[Any]) -> Iterator[tuple[int, list[str]]]:
    """The first sheet's rows, parsed straight from its XML.

    openpyxl opens the workbook (it validates the package, finds the first sheet and loads the
    shared strings), but its read-only cell reader costs ~35 µs a cell here: 100,000 rows of 10
    columns would take most of a minute on parsing alone. This loop reads what an import
    needs — the cached value of each cell, as text — several times faster, still streaming."""
    number = 0
    cells: list[str] = []
    for _, element in iterparse(source):
        tag = element.tag
        if tag == _CELL:
            ref = element.get("r")
            position = _column_index(ref) if ref else len(cells)
            while len(cells) < position:
                cells.append("")
            cells.append(_cell_value(element, shared))
            element.clear()
        elif tag == _ROW:
            given = element.get("r")
            number = int(given) if given else number + 1
            yield number, cells
            cells = []
            element.clear()


def _cell_value(cell: Any, shared: list[Any]) -> str:
    kind = cell.get("t")
    if kind == "inlineStr":
        return cell_text("".join(t.text or "" for t in cell.iter(_TEXT)))
    value = cell.findtext(_VALUE)
    if value is None:
        return ""
    if kind == "s":
        return cell_text(shared[int(value)])
    if kind in ("str", "e", "b"):
        return cell_text(value)
    # A number: "501", "13912345678", "1.3912345678E10" as Excel writes big ones.
    try:
        number = float(value)
    except ValueError:
        return cell_text(value)
    if abs(number) >= NUMBER_DIGITS_KEPT:
        # More digits than a spreadsheet number keeps (15): an ID number typed into a number
        # cell, its last digits already zeros. Shown as Excel shows it, so the import can say
        # "store the column as text" instead of reading made-up digits.
        return format(number, ".14E")
    return cell_text(int(number) if number.is_integer() else number)


def write_workbook(path: Path, sheets: Iterable[tuple[str, Iterable[Iterable[Any]]]]) -> None:
    """Sheets of plain rows, written as they come (write-only: memory stays flat)."""
    book = Workbook(write_only=True)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(xlsx.row(row))
    book.save(path)


def write_rejected(path: Path,
                   sheets: Iterable[tuple[str, list[str], Iterable[list[Any]]]]) -> None:
    """Sheets of a header and lines whose cells are text ("@"): an ID number edited in place
    stays 18 characters instead of becoming a number (write-only: memory stays flat)."""
    book = Workbook(write_only=True)
    for title, header, lines in sheets:
        sheet = book.create_sheet(title)
        sheet.append(header)
        for line in lines:
            out: list[Any] = []
            for value in line:
                cell = WriteOnlyCell(sheet, value=xlsx.cell(value))
                if isinstance(value, str):
                    cell.number_format = "@"
                out.append(cell)
            sheet.append(out)
    book.save(path)


def header_row(lang: str | None = None) -> list[str]:
    return [c.label(lang) for c in COLUMNS]


def template_xlsx(path: Path, lang: str) -> None:
    """Headers only (no example person: a sample ID would end up imported), ID and phone
    columns formatted as text so Excel keeps all 18 digits, and a sheet explaining each
    column."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "居民" if lang == "zh" else "Residents"
    sheet.append(header_row(lang))
    for position, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(position)
        sheet.column_dimensions[letter].width = 22 if column.key == "id_number" else 14
        if column.key in ("id_number", "phone"):
            for row in range(2, 1002):
                sheet.cell(row=row, column=position).number_format = "@"
    notes = book.create_sheet("说明" if lang == "zh" else "Notes")
    notes.append(["列", "必填", "说明"] if lang == "zh" else ["Column", "Required", "Notes"])
    for column in COLUMNS:
        notes.append([column.label(lang), "是" if column.required else "否", column.hint])
    book.save(path)


def template_csv() -> bytes:
    """UTF-8 with a BOM, so Excel opens the Chinese headers correctly."""
    out = io.StringIO()
    csv.writer(out).writerow(header_row("zh"))
    return ("\ufeff" + out.getvalue()).encode("utf-8")
