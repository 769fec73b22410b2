"""Read a CSV (UTF-8, UTF-8 with BOM, GBK) or the one sheet with data of an XLSX into a header and its rows.

Every text cell passes the shared check for invisible control characters (xinyu.text_input); a workbook with
data on several sheets is refused naming them (importing one silently would drop the others' rows); a formula
whose result the file does not hold is reported as a formula, not read as an empty cell."""

import csv
import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from xinyu.roster.errors import MAX_ERRORS, RosterError, RowError
from xinyu.text_input import unsafe_character

Cell = str | int | float | date | datetime | None


@dataclass(frozen=True)
class Table:
    """Row numbers are the spreadsheet's: the header is row 1; blank rows are skipped but still counted."""

    file: str
    headers: list[str]
    rows: list[tuple[int, tuple[Cell, ...]]]


def cell_text(cell: Cell) -> str:
    """A cell as the text a person reads in it: 13812345678.0 → '13812345678', a date → '2025-09-15'."""
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, datetime):
        return cell.date().isoformat() if cell.time() == time() else cell.isoformat(sep=" ")
    if isinstance(cell, date):
        return cell.isoformat()
    return str(cell).replace("\u3000", " ").replace("\ufeff", "").strip()


def read_table(path: Path) -> Table:
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise _unreadable(path, "是旧版 Excel 文件（应另存为 .xlsx 或 .csv 后再导入）")
    data = path.read_bytes()
    if suffix in (".xlsx", ".xlsm") or data.startswith(b"PK\x03\x04"):
        return _from_rows(path, _xlsx_rows(path))
    return _from_rows(path, _csv_rows(path, data))


def read_headers(path: Path) -> list[str]:
    return read_table(path).headers


def _unreadable(path: Path, expected: str) -> RosterError:
    return RosterError([RowError(path.name, 1, "（整个文件）", "", expected)])


def _decode(path: Path, data: bytes) -> str:
    """The whole file in one encoding, UTF-8 (with or without BOM) or GBK; a file that mixes them (rows
    appended from another export), a character cut short or a second BOM (two files joined) is refused
    at its first bad row, which the spreadsheet row number names."""
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        if _has_utf8_text(body[: exc.start]):  # UTF-8 up to here: the rest should be too
            raise _bad_row(path, body, exc.start, "此处起不是 UTF-8 编码（像是混入了 GBK 编码的行，或字符被截断）"
                           "；请整个文件另存为同一种编码后再导入") from exc
        try:
            text = body.decode("gb18030")
        except UnicodeDecodeError as gbk:
            raise _bad_row(path, body, gbk.start, "无法按 UTF-8 或 GBK 解码（字符被截断或文件已损坏）") from gbk
    bom = text.find("\ufeff")
    if bom >= 0:
        raise _bad_row(path, body, len(text[:bom].encode("utf-8")),
                       "行中有字节顺序标记（BOM），像是两个文件拼接在此处；请检查后另存为一个文件")
    return text


def _has_utf8_text(prefix: bytes) -> bool:
    return any(byte >= 0x80 for byte in prefix)


def _bad_row(path: Path, data: bytes, offset: int, expected: str) -> RosterError:
    """The error at byte `offset`: its spreadsheet row (CSV records before it, quoted line breaks
    counted as the spreadsheet counts them) and, where the row's cells before it can be read, its column."""
    line_start = data.rfind(b"\n", 0, offset) + 1
    before = data[:line_start].decode("utf-8", errors="replace")
    row = len(list(csv.reader(io.StringIO(before, newline="")))) + 1
    header = next(csv.reader(io.StringIO(data.split(b"\n", 1)[0].decode("utf-8", errors="replace"))), [])
    cells = next(csv.reader(io.StringIO(data[line_start:offset].decode("utf-8", errors="replace"))), [""])
    column = header[len(cells) - 1].strip() if row > 1 and 0 < len(cells) <= len(header) else "（整行）"
    return RosterError([RowError(path.name, row, column, "", expected)])


def _csv_rows(path: Path, data: bytes) -> list[list[Any]]:
    text = _decode(path, data)
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise _unreadable(path, f"不是有效的 CSV（{exc}）") from exc


class UncachedFormula(str):
    """A formula cell whose result the file does not hold (written by a program, never opened in Excel)."""


def _xlsx_rows(path: Path) -> list[list[Any]]:
    from openpyxl import load_workbook  # imported here: only XLSX files need it

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise _unreadable(path, f"不是有效的 XLSX 文件（{type(exc).__name__}）") from exc
    try:
        sheets = [(sheet.title, _sheet_rows(sheet)) for sheet in workbook.worksheets]
    finally:
        workbook.close()
    with_data = [(title, rows) for title, rows in sheets if any(_filled(v) for row in rows for v in row)]
    if len(with_data) > 1:
        raise _unreadable(path, f"有 {len(with_data)} 个工作表有数据（{'、'.join(t for t, _ in with_data)}）"
                                "，一次只能导入一个：请把数据合并到一个工作表，或每个工作表另存为一个文件后分别导入")
    title, rows = with_data[0] if with_data else sheets[0]
    if _has_formulas(path):
        _mark_uncached_formulas(path, title, rows)
    return rows


def _sheet_rows(sheet: Any) -> list[list[Any]]:
    if hasattr(sheet, "reset_dimensions"):
        sheet.reset_dimensions()  # some writers record a wrong size; read every cell instead
    return [list(row) for row in sheet.iter_rows(min_row=1, min_col=1, values_only=True)]


def _filled(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def _has_formulas(path: Path) -> bool:
    """Whether any sheet's XML holds a formula element: only then is the workbook read a second time."""
    try:
        with zipfile.ZipFile(path) as archive:
            return any(b"<f>" in data or b"<f " in data for data in (
                archive.read(name) for name in archive.namelist() if name.startswith("xl/worksheets/")))
    except (zipfile.BadZipFile, OSError):
        return False


def _mark_uncached_formulas(path: Path, title: str, rows: list[list[Any]]) -> None:
    """Where a cell read empty but holds a formula, put the formula there (as UncachedFormula)."""
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=False)
    try:
        formulas = _sheet_rows(workbook[title])
    finally:
        workbook.close()
    for values, written in zip(rows, formulas, strict=False):
        for index, (value, formula) in enumerate(zip(values, written, strict=False)):
            text = formula if isinstance(formula, str) else getattr(formula, "text", None)
            if value is None and isinstance(text, str) and text.startswith("="):
                values[index] = UncachedFormula(text)


def _from_rows(path: Path, raw: list[list[Any]]) -> Table:
    if not raw:
        raise _unreadable(path, "是空文件（第1行应为表头）")
    headers = [cell_text(cell) for cell in raw[0]]
    while headers and not headers[-1]:
        headers.pop()
    rows: list[tuple[int, tuple[Cell, ...]]] = []
    errors: list[RowError] = []
    total = _check_cells(path, 1, headers, headers, errors)
    for number, values in enumerate(raw[1:], start=2):
        cells = tuple(value if type(value) is str else _cell(value) for value in values[: len(headers)])
        if any(not isinstance(cell, str) or cell.strip() for cell in cells if cell is not None):
            rows.append((number, cells))
            total += _check_cells(path, number, headers, cells, errors)
    if errors:
        raise RosterError(errors, total)
    return Table(file=path.name, headers=headers, rows=rows)


def _check_cells(path: Path, number: int, headers: list[str], cells: Any, errors: list[RowError]) -> int:
    """A row's text cells: a formula without its result, or an invisible control character, is an error."""
    found = 0
    for index, cell in enumerate(cells):
        if not isinstance(cell, str):
            continue
        column = headers[index] if number > 1 else f"第{index + 1}列"
        if isinstance(cell, UncachedFormula):
            problem = "是公式，文件中没有保存计算结果（请在 Excel 中打开后保存，或把公式改为数值）后再导入"
            shown = str(cell)
        else:
            bad = unsafe_character(cell)
            if bad is None:
                continue
            problem = f"含有不可见的控制字符（{bad[1]}，第 {bad[0]} 个字符），请删除后再导入"
            shown = "".join(ch if unsafe_character(ch) is None else f"<U+{ord(ch):04X}>" for ch in cell)
        found += 1
        if len(errors) < MAX_ERRORS:
            errors.append(RowError(path.name, number, column, shown[:80], problem))
    return found


def _cell(value: Any) -> Cell:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, UncachedFormula):
        return value
    if value is None or isinstance(value, str | int | float | date):
        return value
    return str(value)
