"""Which years the statutory calendar covers, and whether the years the cycles will need are covered.

A cycle opened within the next 60 days needs its month, and its due dates (a step's minimum working
days after opening, carried work, extensions) can run into the following month: those months' years
are the years needed. From 1 November, next year is needed for the banner, the officers' weekly email
and `xinyu check` (the State Council publishes the schedule in November or December).
"""

from dataclasses import asdict, dataclass
from datetime import date, timedelta

import chinese_calendar

from xinyu.statutory import ESTIMATED, IMPORTED, PACKAGE, SOURCE_LABELS, STATUTORY, Statutory, package_years

LOOKAHEAD_DAYS = 60
WARN_FROM_MONTH = 11


@dataclass(frozen=True)
class YearCoverage:
    year: int
    source: str  # imported | chinesecalendar | estimated
    label: str
    detail: str


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def needed_years(today: date) -> list[int]:
    """Years of the months from today's to the one after the month 60 days ahead."""
    last = _add_months(today + timedelta(days=LOOKAHEAD_DAYS), 1)
    return sorted({today.year, last.year} | set(range(today.year, last.year + 1)))


def coverage(year: int, statutory: Statutory = STATUTORY) -> YearCoverage:
    source = statutory.source(year)
    if source == IMPORTED:
        rows = statutory.imported_years()[year]
        files = sorted({r.source for r in rows})
        when = max((r.imported_at for r in rows if r.imported_at), default=None)
        detail = f"{'、'.join(files)}（放假 {sum(r.kind == 'holiday' for r in rows)} 天，" \
                 f"调休上班 {sum(r.kind == 'workday' for r in rows)} 天" \
                 + (f"，{when:%Y-%m-%d} 导入）" if when else "）")
    elif source == PACKAGE:
        detail = f"chinesecalendar {getattr(chinese_calendar, '__version__', '')}".strip()
    else:
        detail = "未导入：按法定节日推定（元旦、春节、清明、劳动节、端午、中秋、国庆），日期标为“推定”"
    return YearCoverage(year, source, SOURCE_LABELS[source], detail)


def covered_years(statutory: Statutory = STATUTORY) -> list[YearCoverage]:
    years = set(package_years()) | set(statutory.imported_years())
    return [coverage(y, statutory) for y in sorted(years)]


def missing_needed(today: date, statutory: Statutory = STATUTORY) -> list[int]:
    return [y for y in needed_years(today) if statutory.source(y) == ESTIMATED]


def next_year_missing(today: date, statutory: Statutory = STATUTORY) -> int | None:
    """Next year, from 1 November while its schedule is neither imported nor in the package."""
    if today.month >= WARN_FROM_MONTH and statutory.source(today.year + 1) == ESTIMATED:
        return today.year + 1
    return None


def missing_year_warning(year: int) -> str:
    return (f"{year} 年的国务院节假日安排尚未导入：{year} 年的截止日期按法定节日推定（标为“推定”），"
            f"推定日期不报区县督办。安排公布后请运行 xinyu calendar import 文件 导入")


def status_report(today: date, statutory: Statutory = STATUTORY) -> dict[str, object]:
    needed = needed_years(today)
    return {
        "at": today.isoformat(),
        "years": [asdict(c) for c in covered_years(statutory)],
        "needed": [asdict(coverage(y, statutory)) for y in needed],
        "missing": missing_needed(today, statutory),
    }
