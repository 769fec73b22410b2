"""Where an uploaded file may reach: one school of a district, or any school of one district.

A school's leader uploads their own school's roster, a 区县管理员 their district's: a row naming another
school or district is an error of that row (file, row, column), and nothing of the file is imported.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from xinyu.roster.columns import Columns, Kind
from xinyu.roster.errors import ErrorList, RosterError
from xinyu.roster.tables import Table, cell_text


@dataclass(frozen=True)
class Within:
    district: str
    school: str | None = None  # None: any school of the district (a whole-district file)
    # The district's schools on record: a student list may only name those (a staff roster may add schools).
    known_schools: frozenset[str] = frozenset()
    # A school's leader keeps the people, not the school's policy pack (the district's decision).
    sets_pack: bool = True

    @property
    def where(self) -> str:
        return f"“{self.school}”" if self.school else f"“{self.district}”的学校"

    def errors(self, table: Table, columns: Columns) -> ErrorList:
        """Every row that reaches outside (an empty list when every row stays inside)."""
        errors = columns.errors()
        for number, cells in columns.records(table):
            district = cell_text(cells.get("district")) if "district" in columns.index else ""
            school = cell_text(cells.get("school")) if "school" in columns.index else ""
            pack = cell_text(cells.get("pack")) if "pack" in columns.index else ""
            if pack and not self.sets_pack:
                errors.add(number, "pack", pack, "应留空（学校的政策包由区县管理员设置）")
            if district and district != self.district:
                errors.add(number, "district", district, f"不是本区县（此处只能导入{self.where}的名单）")
            if self.school is not None:
                if school != self.school:
                    expected = "应填写本校名称" if not school else "不是本校"
                    errors.add(number, "school", school, f"{expected}（此处只能导入“{self.school}”的名单）")
            elif columns.kind is not Kind.staff and school and school not in self.known_schools:
                errors.add(number, "school", school, f"不是本区县的学校（此处只能导入{self.where}的名单）")
        return errors


@contextmanager
def kept_within(within: "Within | None", table: Table, columns: Columns) -> Iterator[None]:
    """Around the importer's work: its errors and the rows outside reported together, in row order.

    When only rows outside are wrong, the importer has already written through the session: raising here makes
    the caller roll back its transaction (run_import and apply_replace never commit), so nothing is kept."""
    outside = within.errors(table, columns) if within is not None else None
    try:
        yield
    except RosterError as exc:
        if outside:
            errors = sorted([*outside.errors, *exc.errors], key=lambda error: error.row)
            raise RosterError(errors, exc.total + outside.total) from exc
        raise
    if outside:
        outside.raise_if_any()
