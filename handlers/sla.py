"""Working time and the two clocks of a ticket (response, resolution): pure, no database, no clock of its own.

**The calendar.** A working day is a day the State Council's schedule makes one: Monday to Friday except public
holidays, plus the official make-up working days (调休) on weekends. The schedule comes from the
``chinesecalendar`` package, which carries each year once it is published; local extra days from config win
over it (``[calendar] extra_holidays`` / ``extra_workdays``), and a year the package does not carry yet can be
declared in config by listing its days and naming it in ``local_years``. Asking about a day outside those
years raises ``CalendarGap``: a deadline is never silently counted by a guess.

**Measuring time.** A duration is calendar time ("24h", "3d") or working time ("16wh", "7wd"); working time
counts only the hours of working days (whole days, 00:00–24:00 Asia/Shanghai), so one working day is 24 working
hours and "1wd" from Friday 15:00 ends Monday 15:00, from Saturday 10:00 it ends Tuesday 00:00.

**Pause.** While a ticket is paused its clocks stop: on resume each deadline still ahead at the pause moves on
by exactly the time (calendar or working, as the clock counts) that was left at the pause. A deadline already
missed when the pause began stays missed.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from handlers.errors import CommandError

TZ = ZoneInfo("Asia/Shanghai")
log = logging.getLogger(__name__)

_DAY = 86400.0


class CalendarGap(CommandError):
    """A working-time question about a day the calendar does not know."""

    status = 500


def library_years() -> tuple[int, int]:
    """The first and last year chinesecalendar carries."""
    from chinese_calendar import constants

    return min(constants.holidays).year, max(max(constants.holidays), max(constants.workdays)).year


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(h|d|wh|wd)\s*$")


@dataclass(frozen=True, slots=True)
class Duration:
    """"24h", "3d" (calendar) or "16wh", "7wd" (working time)."""

    amount: float
    unit: str

    @classmethod
    def parse(cls, text: str) -> Duration:
        m = _DURATION.match(text)
        if m is None or float(m.group(1)) <= 0:
            raise ValueError(f"{text!r}: expected a positive number and a unit: h, d (calendar) or wh, wd (working)")
        return cls(float(m.group(1)), m.group(2))

    @property
    def working(self) -> bool:
        return self.unit in ("wh", "wd")

    @property
    def seconds(self) -> float:
        return self.amount * (3600.0 if self.unit in ("h", "wh") else _DAY)

    def __str__(self) -> str:
        return f"{self.amount:g}{self.unit}"


@dataclass(frozen=True)
class WorkCalendar:
    extra_holidays: frozenset[date] = frozenset()
    extra_workdays: frozenset[date] = frozenset()
    local_years: frozenset[int] = frozenset()
    _years: tuple[int, int] = field(default_factory=library_years)

    def covers(self, d: date) -> bool:
        first, last = self._years
        return first <= d.year <= last or d.year in self.local_years

    def coverage(self) -> str:
        first, last = self._years
        extra = f" and {', '.join(map(str, sorted(self.local_years)))} from config" if self.local_years else ""
        return f"{first}–{last} (chinesecalendar){extra}"

    def is_workday(self, d: date) -> bool:
        if d in self.extra_workdays:
            return True
        if d in self.extra_holidays:
            return False
        if not self.covers(d):
            raise CalendarGap(
                f"working-day calendar has no data for {d.isoformat()}: it covers {self.coverage()}; upgrade "
                "chinesecalendar or list the year's days in [calendar] extra_holidays / extra_workdays and its "
                "number in local_years",
                "工作日历缺少该年份的节假日安排，无法计算时限，请联系管理员更新日历。")
        first, last = self._years
        if not first <= d.year <= last:  # a local year: weekends off unless listed
            return d.weekday() < 5
        import chinese_calendar

        return chinese_calendar.is_workday(d)

    def check(self, start: date, days: int) -> None:
        """Raise ``CalendarGap`` unless every day from ``start`` for ``days`` days is known (a start-up check)."""
        for i in range(days + 1):
            self.is_workday(start + timedelta(days=i))

    # --- working time ------------------------------------------------------------------------------------------

    def working_seconds(self, a: datetime, b: datetime) -> float:
        """Working seconds in [a, b) (negative when b < a)."""
        if b < a:
            return -self.working_seconds(b, a)
        total = 0.0
        cursor = a.astimezone(TZ)
        end = b.astimezone(TZ)
        while cursor < end:
            day_end = datetime.combine(cursor.date() + timedelta(days=1), time(0), TZ)
            stop = min(day_end, end)
            if self.is_workday(cursor.date()):
                total += (stop - cursor).total_seconds()
            cursor = stop
        return total

    def add_working(self, start: datetime, seconds: float) -> datetime:
        """The instant ``seconds`` of working time after ``start`` (before it, when negative)."""
        if seconds < 0:
            return self._sub_working(start, -seconds)
        cursor = start.astimezone(TZ)
        for _ in range(3700):
            day_end = datetime.combine(cursor.date() + timedelta(days=1), time(0), TZ)
            if self.is_workday(cursor.date()):
                room = (day_end - cursor).total_seconds()
                if seconds <= room:
                    return (cursor + timedelta(seconds=seconds)).astimezone(start.tzinfo)
                seconds -= room
            cursor = day_end
        raise ValueError("working time further than ten years ahead")

    def _sub_working(self, end: datetime, seconds: float) -> datetime:
        cursor = end.astimezone(TZ)
        for _ in range(3700):
            day_start = datetime.combine(cursor.date(), time(0), TZ)
            if day_start == cursor:
                day_start = datetime.combine(cursor.date() - timedelta(days=1), time(0), TZ)
            if self.is_workday(day_start.date()):
                room = (cursor - day_start).total_seconds()
                if seconds <= room:
                    return (cursor - timedelta(seconds=seconds)).astimezone(end.tzinfo)
                seconds -= room
            cursor = day_start
        raise ValueError("working time further than ten years back")

    # --- one clock ---------------------------------------------------------------------------------------------

    # A clock never stops the work for a missing year: past the calendar's years it counts calendar time and
    # logs an error (``serve`` refuses to start on a day the calendar does not know, and warns ahead).

    def elapsed(self, a: datetime, b: datetime, working: bool) -> float:
        if working:
            try:
                return self.working_seconds(a, b)
            except CalendarGap as e:
                log.error("calendar.gap counting calendar time instead: %s", e.reason)
        return (b - a).total_seconds()

    def add(self, start: datetime, seconds: float, working: bool) -> datetime:
        if working:
            try:
                return self.add_working(start, seconds)
            except CalendarGap as e:
                log.error("calendar.gap counting calendar time instead: %s", e.reason)
        return start + timedelta(seconds=seconds)

    def startup_problem(self, today: date, days: int) -> tuple[str | None, str | None]:
        """(error, warning) for ``serve``: an error when today is unknown, a warning when a day of the next
        ``days`` is."""
        if not self.covers(today) and today not in self.extra_holidays | self.extra_workdays:
            return (f"the working-day calendar does not know {today}: it covers {self.coverage()}. Upgrade "
                    "chinesecalendar, or list the year's holidays and 调休 days in [calendar] extra_holidays / "
                    "extra_workdays and add the year to local_years"), None
        for i in range(days + 1):
            d = today + timedelta(days=i)
            if not self.covers(d):
                return None, (f"the working-day calendar ends before {d} (it covers {self.coverage()}); from then "
                              "working-time deadlines are counted in calendar time until the year is added")
        return None, None

    def after_pause(self, due: datetime, working: bool, paused_at: datetime, resumed_at: datetime) -> datetime:
        """A deadline moved on by a pause: the time left at the pause, counted again from the resume."""
        if due <= paused_at:
            return due  # already missed: a pause does not forgive it
        return self.add(resumed_at, self.elapsed(paused_at, due, working), working)


@dataclass(frozen=True, slots=True)
class Targets:
    respond: Duration
    resolve: Duration


@dataclass(frozen=True)
class SlaPolicy:
    """The two clocks per category and urgency; urgent tickets count calendar hours."""

    respond: Duration = Duration(24, "h")
    resolve: Duration = Duration(72, "h")
    urgent_respond: Duration = Duration(2, "h")
    urgent_resolve: Duration = Duration(24, "h")
    categories: dict[str, Targets] = field(default_factory=dict)
    warn_fraction: float = 0.8
    calendar: WorkCalendar = field(default_factory=WorkCalendar)

    def targets(self, category: str, urgent: bool) -> Targets:
        if urgent:
            return Targets(self.urgent_respond, self.urgent_resolve)
        return self.categories.get(category, Targets(self.respond, self.resolve))

    def respond_due(self, start: datetime, category: str, urgent: bool) -> tuple[datetime, bool]:
        d = self.targets(category, urgent).respond
        return self.calendar.add(start, d.seconds, d.working), d.working

    def resolve_due(self, start: datetime, category: str, urgent: bool) -> tuple[datetime, bool]:
        d = self.targets(category, urgent).resolve
        return self.calendar.add(start, d.seconds, d.working), d.working

    def warn_at(self, due: datetime, duration: Duration) -> datetime:
        """When the warning for a deadline goes: ``warn_fraction`` of its length into it."""
        return self.calendar.add(due, -(1 - self.warn_fraction) * duration.seconds, duration.working)
