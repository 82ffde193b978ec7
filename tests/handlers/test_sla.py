"""The working-day calendar and the clocks, with fixed dates: weekends, China's holidays, 调休 days, pauses."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from bot.config import ConfigError
from conftest import example_config
from handlers.sla import TZ, CalendarGap, Duration, WorkCalendar

CAL = WorkCalendar()


def at(y, m, d, h=0, mi=0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=TZ)


def test_weekends_holidays_and_make_up_working_days():
    assert CAL.is_workday(date(2026, 9, 28))  # Monday
    assert not CAL.is_workday(date(2026, 9, 27))  # Sunday
    assert not CAL.is_workday(date(2026, 9, 25))  # Friday, but Mid-Autumn Festival
    assert not CAL.is_workday(date(2026, 10, 5))  # National Day week, a Monday
    assert CAL.is_workday(date(2026, 9, 20))  # Sunday, an official 调休 working day
    assert CAL.is_workday(date(2026, 10, 10))  # Saturday, 调休


def test_working_days_skip_the_national_day_week_and_count_its_make_up_saturday():
    # Wed 30 Sep 10:00 + 5 working days: 30 Sep 14 h, 8, 9, 10 (Saturday, 调休), 12 Oct, then 10 h of 13 Oct
    assert CAL.add_working(at(2026, 9, 30, 10), 5 * 86400) == at(2026, 10, 13, 10)
    assert CAL.working_seconds(at(2026, 9, 30, 10), at(2026, 10, 13, 10)) == 5 * 86400
    # calendar time knows nothing of it
    assert CAL.add(at(2026, 9, 30, 10), 5 * 86400, working=False) == at(2026, 10, 5, 10)


def test_one_working_day_from_friday_afternoon_and_from_saturday():
    assert CAL.add_working(at(2026, 11, 27, 15), 86400) == at(2026, 11, 30, 15)  # Fri → Mon
    assert CAL.add_working(at(2026, 11, 28, 10), 86400) == at(2026, 12, 1, 0)  # Sat → end of Monday
    assert CAL.add_working(at(2026, 11, 30, 15), -86400) == at(2026, 11, 27, 15)  # and back


def test_a_pause_over_a_weekend_moves_a_working_deadline_by_the_working_time_it_stood():
    due = at(2026, 12, 2, 10)  # Wednesday
    # paused Friday 10:00, resumed Monday 10:00: one working day stood still (Fri 14 h + Mon 10 h)
    moved = CAL.after_pause(due, True, at(2026, 11, 27, 10), at(2026, 11, 30, 10))
    assert moved == at(2026, 12, 3, 10)
    # a calendar clock moves by the whole 72 hours
    assert CAL.after_pause(due, False, at(2026, 11, 27, 10), at(2026, 11, 30, 10)) == due + timedelta(hours=72)
    # a deadline already missed when the pause began stays missed
    assert CAL.after_pause(at(2026, 11, 26, 10), True, at(2026, 11, 27, 10), at(2026, 11, 30, 10)) == at(
        2026, 11, 26, 10)


def test_local_extra_days_win_over_the_national_schedule():
    cal = WorkCalendar(extra_holidays=frozenset({date(2026, 11, 30)}), extra_workdays=frozenset({date(2026, 11, 28)}))
    assert not cal.is_workday(date(2026, 11, 30)) and cal.is_workday(date(2026, 11, 28))
    assert cal.add_working(at(2026, 11, 27, 15), 86400) == at(2026, 11, 28, 15)


def test_a_year_the_library_does_not_carry_fails_clearly_unless_config_declares_it():
    first, last = WorkCalendar()._years
    beyond = date(last + 1, 1, 4)
    with pytest.raises(CalendarGap) as e:
        CAL.is_workday(beyond)
    assert str(last) in e.value.reason and "local_years" in e.value.reason and "工作日历" in e.value.user_text
    with pytest.raises(CalendarGap):
        CAL.add_working(datetime(last, 12, 30, tzinfo=TZ), 5 * 86400)
    # the clocks themselves keep going in calendar time (logged), so no report is ever refused for it
    start = datetime(last, 12, 30, tzinfo=TZ)
    assert CAL.add(start, 5 * 86400, working=True) == start + timedelta(days=5)
    declared = WorkCalendar(extra_holidays=frozenset({beyond}), local_years=frozenset({last + 1}))
    assert not declared.is_workday(beyond) and declared.is_workday(date(last + 1, 1, 5)) == (
        date(last + 1, 1, 5).weekday() < 5)
    error, _ = CAL.startup_problem(beyond, 0)
    assert error and "local_years" in error
    error, warning = CAL.startup_problem(date(last, 12, 20), 30)
    assert error is None and warning and str(last + 1) in warning


def test_durations_and_their_config():
    assert Duration.parse("7wd").working and Duration.parse("7wd").seconds == 7 * 86400
    assert not Duration.parse("24h").working and Duration.parse("1.5h").seconds == 5400
    for bad in ("7", "-3h", "3 weeks", "0h"):
        with pytest.raises(ValueError):
            Duration.parse(bad)
    with pytest.raises(ConfigError, match="sla.urgent_respond"):
        example_config(sla={"urgent_respond": "2wh"})
    with pytest.raises(ConfigError, match="sla.respond"):
        example_config(sla={"respond": "soon"})
    with pytest.raises(ConfigError, match="sla.categories"):
        example_config(sla={"categories": {"nonsense": {"resolve": "2wd"}}})
    with pytest.raises(ConfigError, match="loop.auto_close_as"):
        example_config(loop={"auto_close_as": "maybe"})
    policy = example_config().sla_policy()
    assert str(policy.targets("roads", False).resolve) == "5wd"  # [sla.categories.roads]
    assert str(policy.targets("parking", False).resolve) == "48h"  # [tickets.deadline_hours]
    assert str(policy.targets("roads", True).resolve) == "2h"  # urgent: [tickets] urgent_deadline_hours
    assert policy.respond_due(at(2026, 11, 27, 15), "transport", False) == (at(2026, 11, 30, 15), True)


def test_serve_names_a_day_the_calendar_does_not_know_and_starts_anyway(capsys):
    from bot.calendar_check import calendar_ok

    last = WorkCalendar()._years[1]
    assert calendar_ok(example_config(), date(last, 6, 1))
    assert not calendar_ok(example_config(), date(last + 1, 1, 4))
    err = capsys.readouterr().err
    assert "[calendar]" in err and "starting anyway" in err
    assert calendar_ok(example_config(calendar={"local_years": [last + 1]}), date(last + 1, 1, 4))
