"""``serve``'s start check of the working-day calendar (handlers/sla.py)."""

from __future__ import annotations

import sys
from datetime import date

from bot.config import Config


def calendar_ok(config: Config, today: date | None = None) -> bool:
    """``serve``'s start check of the working-day calendar. A day it does not know is logged as an error but
    never stops the bot: residents' reports matter more than exact working days, and a clock past the calendar
    counts calendar time (``calendar.gap``). A calendar about to end is a warning. True when all is known."""
    import logging

    from handlers.settings import TZ
    from storage.types import utcnow

    today = today or utcnow().astimezone(TZ).date()
    error, warning = config.work_calendar().startup_problem(today, config.calendar.check_days)
    if error:
        print(f"gridbot: [calendar]: {error}; starting anyway, working-time deadlines count calendar time",
              file=sys.stderr)
        logging.getLogger("gridbot").error("calendar.unknown %s", error)
        return False
    if warning:
        logging.getLogger("gridbot").warning("calendar.ending %s", warning)
    return True
