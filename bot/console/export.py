"""/console/tickets.xlsx and .csv: the board's current filter, every matching ticket (up to 100,000).

Cells are safe against formula injection (a cell starting with = + - @, a tab or a carriage return is
prefixed with an apostrophe), and phone numbers in the text are masked unless the viewer may see them.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime

from aiohttp import web
from openpyxl import Workbook
from sqlmodel import Session

from bot.console.access import Staff, audit
from bot.console.board import BadFilter, check_scope, parse_filter
from bot.console.site import db, render, staff
from handlers import texts
from handlers.texts_console import EXPORT_HEADER
from storage import board as board_store
from storage.types import utcnow

MAX_ROWS = 100_000
PHONE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")
_RISKY = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """A value a spreadsheet shows as text: never runs it as a formula."""
    if isinstance(value, str) and value.startswith(_RISKY):
        return "'" + value
    return value


def mask_phones(text: str) -> str:
    return PHONE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)


def may_see_phones(who: Staff) -> bool:
    """Who reads full numbers in exports: the secretaries and the admin, who call residents back."""
    return who.role in ("secretary", "admin")


def _local(dt: datetime | None) -> str:
    return dt.astimezone(texts.TZ).strftime("%Y-%m-%d %H:%M") if dt else ""


def rows(s: Session, who: Staff, f: board_store.BoardFilter) -> list[list]:
    check_scope(s, who, f)
    show = may_see_phones(who)
    out = []
    for t in board_store.all_rows(s, f, who.access, now=utcnow(), limit=MAX_ROWS):
        text = t.text if show else mask_phones(t.text)
        out.append([t.id, texts.CATEGORY_NAMES.get(t.category, t.category), "是" if t.urgent else "",
                    texts.STATUS_NAMES.get(t.status, t.status), t.grid_id, texts.LEVEL_NAMES.get(t.level, t.level),
                    text, t.location, t.reporter_name or t.reporter_id, t.assignee or "", t.department or "",
                    _local(t.created_at), _local(t.due_at), _local(t.resolved_at),
                    texts.RATING_NAMES.get(t.rating, "") if t.rating else ""])
    audit(s, who.userid, "export", "tickets", "ok", f"{len(out)} rows")
    return out


def to_xlsx(data: list[list]) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("工单")
    ws.append(list(EXPORT_HEADER))
    for r in data:
        ws.append([safe_cell(v) for v in r])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def to_csv(data: list[list]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(EXPORT_HEADER)
    for r in data:
        w.writerow([safe_cell(v) for v in r])
    return buf.getvalue().encode("utf-8-sig")  # with a BOM, so Excel opens the Chinese right


async def export(request: web.Request) -> web.Response:
    who = staff(request)
    kind = request.match_info["kind"]
    try:
        f = parse_filter(request.query)
    except BadFilter as e:
        return await render(request, "refused.html", {"reason": f"筛选条件有误：{e}"}, status=400)
    data = await db(request)(lambda s: rows(s, who, f), commit=True)
    stamp = utcnow().astimezone(texts.TZ).strftime("%Y%m%d-%H%M")
    if kind == "xlsx":
        body, ctype = to_xlsx(data), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body, ctype = to_csv(data), "text/csv; charset=utf-8"
    return web.Response(body=body, content_type=ctype.split(";")[0], charset="utf-8" if kind == "csv" else None,
                        headers={"Content-Disposition": f'attachment; filename="tickets-{stamp}.{kind}"'})


def routes(app: web.Application) -> None:
    app.router.add_get(r"/tickets.{kind:xlsx|csv}", export)
