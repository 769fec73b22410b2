"""Which days `xinyu demo` runs: from the start of the school term, the months before today's whole, then
the month in progress day by day up to now (Beijing time); `--today D` stands for D at 17:00, after the day's
16:00 run.

The months run whole are closed, their monthly reports filed and their open work carried into the next.
The month before today's is always among them, so that "last month's report" exists; when that month is a
school vacation (no report), the run starts earlier (at most three months before today's).
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from xinyu.calendar_coverage import missing_needed, missing_year_warning, next_year_missing
from xinyu.clock import SHANGHAI, local_date
from xinyu.clock import now as wall_clock
from xinyu.courses.status import semester_of
from xinyu.months import month_of, month_parts, month_range, next_month
from xinyu.packs import Pack
from xinyu.statutory import ESTIMATED, STATUTORY, Statutory

DAY_END = time(17, 0)  # `--today D`: the run stops at D 17:00, after the 16:00 advance
MONTHS_BACK = 3  # at most this many whole months before the month in progress


def previous_month(month: str) -> str:
    year, number = month_parts(month)
    return f"{year - (number == 1):04d}-{(number - 2) % 12 + 1:02d}"


@dataclass(frozen=True)
class DemoPlan:
    moment: datetime  # where the run stops (aware, Asia/Shanghai)
    first_month: str  # the first month run whole

    @property
    def today(self) -> date:
        return local_date(self.moment)

    @property
    def month(self) -> str:
        """The month in progress."""
        return month_of(self.today)

    @property
    def months(self) -> list[str]:
        names = [self.first_month]
        while names[-1] != self.month:
            names.append(next_month(names[-1]))
        return names

    @property
    def whole_months(self) -> list[str]:
        return self.months[:-1]

    @property
    def start(self) -> date:
        return month_range(self.first_month)[0]

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.today - self.start).days + 1)]


def moment_of(today: date | None) -> datetime:
    """The real clock (Beijing time) without a date; a given date at 17:00."""
    if today is None:
        return wall_clock()
    return datetime.combine(today, DAY_END, SHANGHAI)


def demo_plan(moment: datetime, pack: Pack) -> DemoPlan:
    """From the term's first month, or earlier: the last month before today's that is not a vacation."""
    today = local_date(moment)
    last_regular = previous_month(month_of(today))
    for _ in range(MONTHS_BACK - 1):
        if pack.variant_for_month(month_parts(last_regular)[1]) != "vacation":
            break
        last_regular = previous_month(last_regular)
    try:
        term = month_of(semester_of(pack, today)[1])
    except ValueError:  # a day in no term of the pack (a gap between terms): the months before it will do
        term = last_regular
    return DemoPlan(moment=moment.astimezone(SHANGHAI), first_month=min(term, last_regular))


def calendar_warnings(plan: DemoPlan, statutory: Statutory = STATUTORY) -> list[str]:
    """The product's warning for every year the run counts or will soon need whose State Council schedule is
    missing: its days are estimated (推定) from the statutory holidays, never taken as Monday–Friday."""
    years = {y for y in range(plan.start.year, plan.today.year + 1) if statutory.source(y) == ESTIMATED}
    years |= set(missing_needed(plan.today, statutory))
    following = next_year_missing(plan.today, statutory)
    if following is not None:
        years.add(following)
    return [missing_year_warning(year) for year in sorted(years)]


__all__ = ["DAY_END", "DemoPlan", "calendar_warnings", "demo_plan", "moment_of", "previous_month"]
