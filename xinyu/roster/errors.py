"""Import errors that name the file, the spreadsheet row, the column as written and what was expected."""

from dataclasses import dataclass

MAX_ERRORS = 200


@dataclass(frozen=True)
class RowError:
    """One problem in one cell. Row 1 is the header; row 0 means a command-line option, not the file."""

    file: str
    row: int
    column: str
    value: str
    expected: str

    def __str__(self) -> str:
        where = f"{self.file} 第{self.row}行" if self.row else f"{self.file} 参数"
        shown = f"“{self.value}”" if self.value else ""
        return f"{where} “{self.column}”列：{shown}{self.expected}"


class RosterError(ValueError):
    """A file that cannot be imported; nothing of it was written."""

    def __init__(self, errors: list[RowError], total: int | None = None) -> None:
        self.errors = errors
        self.total = max(total or 0, len(errors))
        super().__init__(self._message())

    def _message(self) -> str:
        file = self.errors[0].file if self.errors else "文件"
        head = f"{file} 有 {self.total} 处错误，未导入任何数据"
        if self.total > len(self.errors):
            head += f"（仅列出前 {len(self.errors)} 处）"
        return "\n".join([head + "：", *(f"  {error}" for error in self.errors)])


class ErrorList:
    """Collects every error of a file, keeping the first MAX_ERRORS, then raises them together."""

    def __init__(self, file: str, headers: dict[str, str], labels: dict[str, str]) -> None:
        self.file = file
        self._headers = headers
        self._labels = labels
        self.errors: list[RowError] = []
        self.total = 0

    def column(self, key: str) -> str:
        """The header as the file writes it, or the Chinese name when the file has no such column."""
        return self._headers.get(key) or self._labels.get(key, key)

    def add(self, row: int, key: str, value: str, expected: str) -> None:
        self.total += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(RowError(self.file, row, self.column(key), value, expected))

    def __bool__(self) -> bool:
        return self.total > 0

    def raise_if_any(self) -> None:
        """Raise every error found, in the order of the file's rows (checks run in several passes)."""
        if self.total:
            raise RosterError(sorted(self.errors, key=lambda error: error.row), self.total)
