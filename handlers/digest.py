"""Secretaries' digests: a grid's, community's or street's figures for a day or a week, and a chart of the week.

The figures come from ``storage.stats`` (SQL aggregates). The weekly digest carries a PNG bar chart of the
week's reports by category, sent as an image message; when the chart cannot be drawn (no Pillow, a broken
font) a line of text with the same figures goes instead.
"""

from __future__ import annotations

import base64
import hashlib
import io
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlmodel import Session, col, select

from handlers import texts, texts_ops
from handlers.announce import stamp
from handlers.notify import grid_group
from storage import stats
from storage.delivery import enqueue_once, failed_count
from storage.models import Community, Grid, Member, Street
from storage.stats import Scope

log = logging.getLogger(__name__)

PERIODS = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}

# Fonts with Chinese glyphs commonly found on Linux servers; ``[digest] chart_font`` overrides.
CJK_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)


@dataclass(frozen=True, slots=True)
class Digest:
    scope: Scope
    kind: str
    text: str
    week: list[tuple[str, int]]  # the week's reports by category, for the chart


def scope_name(session: Session, scope: Scope) -> str:
    model = {"grid": Grid, "community": Community, "street": Street}[scope.kind]
    row = session.get(model, scope.id)
    if row is None:
        raise LookupError(f"unknown {scope.kind} {scope.id!r}")
    return row.name


def compose(session: Session, scope: Scope, *, kind: str, end: datetime, now: datetime,
            oldest: int = 3, start: datetime | None = None) -> Digest:
    start = start or end - PERIODS.get(kind, PERIODS["weekly"])
    s = stats.summary(session, scope, start, end, now)
    text = texts.digest(
        kind=kind, scope_name=scope_name(session, scope), start=start, end=end, new=s.new,
        new_resolved=s.new_resolved, new_open=s.new_open, resolved=s.resolved, open_now=s.open_now,
        overdue=s.overdue, rated=s.rated, satisfied=s.satisfied,
        top=stats.by_category(session, scope, start, end, limit=3),
        oldest=stats.oldest_open(session, scope, oldest),
    )
    text = _with_loop(session, scope, text, start, end, now)
    failed = failed_count(session, start, end)
    if failed:
        text += "\n" + texts_ops.pushes_failed(failed)
    week = stats.by_category(session, scope, end - PERIODS["weekly"], end)
    return Digest(scope, kind, text, week)


def _with_loop(session: Session, scope: Scope, text: str, start: datetime, end: datetime, now: datetime) -> str:
    """Supervised tickets first (after the heading), the three rates of the period's reports last."""
    from handlers import texts_loop
    from storage import rates

    head, _, body = text.partition("\n")
    supervised = texts_loop.supervised_lines(rates.supervised_open(session, scope))
    parts = [head, *supervised, body] if body else [head, *supervised]
    parts += texts_loop.rates_lines(rates.total(session, scope, start, end, now))
    return "\n".join(p for p in parts if p)


# --- who gets it ----------------------------------------------------------------------------------------------------


def secretaries(session: Session, scope: Scope) -> list[str]:
    """The secretaries of the scope: a grid's are its community's."""
    if scope.kind == "street":
        cond = Member.street_id == scope.id
    else:
        community = scope.id
        if scope.kind == "grid":
            grid = session.get(Grid, scope.id)
            community = grid.community_id if grid else ""
        cond = Member.community_id == community
    stmt = select(Member.userid).where(Member.role == "secretary", cond).order_by(col(Member.userid))
    return list(session.exec(stmt).all())


def recipients(session: Session, scope: Scope, *, to_secretaries: bool = True,
               to_groups: bool = False) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if to_secretaries:
        out += [("user", u) for u in secretaries(session, scope)]
    if to_groups and scope.kind == "grid":
        grid = session.get(Grid, scope.id)
        dest = grid_group(grid) if grid else None
        if dest is not None:
            out.append(dest)
    return list(dict.fromkeys(out))


def default_scopes(session: Session) -> list[Scope]:
    """Every community and street that has a secretary."""
    rows = session.exec(select(Member.community_id, Member.street_id).where(Member.role == "secretary")).all()
    scopes = {Scope("community", c) for c, _ in rows if c} | {Scope("street", s) for _, s in rows if s}
    return sorted(scopes, key=str)


# --- the chart --------------------------------------------------------------------------------------------------


def _packaged_font() -> str | None:
    """Noto Sans CJK shipped by a pip dependency (noto-cjk-sans-otc), so a fresh machine draws Chinese."""
    try:
        from noto_cjk_sans_otc import FONT_PATH
    except ImportError:
        return None
    return str(FONT_PATH)


def _font(path: str | None, size: int):
    from PIL import ImageFont

    for candidate in ([path] if path else []) + [_packaged_font()] + list(CJK_FONTS):
        if candidate and Path(candidate).exists():
            return ImageFont.truetype(candidate, size), True
    return ImageFont.load_default(size=size), False


def chart_png(rows: list[tuple[str, int]], *, title: str, font_path: str | None = None) -> bytes:
    """A horizontal bar chart of reports by category. Without a Chinese font the labels are category codes."""
    from PIL import Image, ImageDraw

    font, cjk = _font(font_path, 18)
    small, _ = _font(font_path, 14)
    rows = rows or [("none", 0)]
    label = (lambda c: texts.CATEGORY_NAMES.get(c, c)) if cjk else (lambda c: c)
    width, left, bar_h, gap, top = 720, 190, 26, 12, 56
    height = top + len(rows) * (bar_h + gap) + 24
    img = Image.new("RGB", (width, height), "white")
    d = ImageDraw.Draw(img)
    d.text((16, 16), title if cjk else "reports this week by category", fill="#222222", font=font)
    most = max(n for _, n in rows) or 1
    for i, (cat, n) in enumerate(rows):
        y = top + i * (bar_h + gap)
        d.text((16, y + 3), label(cat), fill="#333333", font=small)
        w = int((width - left - 70) * n / most)
        d.rectangle((left, y, left + max(w, 2), y + bar_h), fill="#2f7ed8")
        d.text((left + max(w, 2) + 8, y + 3), str(n), fill="#333333", font=small)
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def image_body(data: bytes) -> dict:
    """An image as an outbox body: base64 of the bytes and their md5, as a WeCom group robot wants them."""
    return {"base64": base64.b64encode(data).decode("ascii"), "md5": hashlib.md5(data).hexdigest()}  # noqa: S324


# --- into the outbox ------------------------------------------------------------------------------------------------


def enqueue_digest(session: Session, digest: Digest, dests: list[tuple[str, str]], *, key: str,
                   chart: bool = False, font_path: str | None = None) -> int:
    """One text per recipient and, with ``chart``, the week's chart as an image (text if it cannot be drawn)."""
    n = 0
    image: dict | None = None
    fallback: str | None = None
    if chart:
        try:
            image = image_body(chart_png(digest.week, title=f"本周诉求分类 · {scope_name(session, digest.scope)}",
                                         font_path=font_path))
        except Exception as e:  # noqa: BLE001 - a missing library or font must not cost the digest
            log.warning("digest.chart_failed scope=%s reason=%s: %s", digest.scope, type(e).__name__, e)
            fallback = texts.digest_chart_fallback(digest.week)
    text = digest.text
    if chart:  # the chart (or its text) gives every category: the text does not list the top ones again
        text = "\n".join(line for line in text.splitlines() if not line.startswith(texts.DIGEST_TOP_HEAD))
    for kind, target in dests:
        n += enqueue_once(session, f"{key}:{kind}:{target}:text", kind, target, text)
        if image is not None and kind != "bridge":
            n += enqueue_once(session, f"{key}:{kind}:{target}:chart", kind, target, "", msgtype="image",
                              body=dict(image))
        elif fallback is not None or (image is not None and kind == "bridge"):
            n += enqueue_once(session, f"{key}:{kind}:{target}:chart", kind, target,
                              fallback or texts.digest_chart_fallback(digest.week))
    return n


def run(session: Session, scopes: list[Scope], *, kind: str, end: datetime, now: datetime,
        to_secretaries: bool = True, to_groups: bool = False, chart: bool = False,
        font_path: str | None = None, oldest: int = 3, extra: list[tuple[str, str]] | None = None) -> int:
    """Compose and enqueue the digests of ``scopes`` for the period ending at ``end``; returns rows made."""
    n = 0
    for scope in scopes:
        try:
            digest = compose(session, scope, kind=kind, end=end, now=now, oldest=oldest)
        except LookupError as e:
            log.warning("digest.skipped scope=%s reason=%s", scope, e)
            continue
        dests = recipients(session, scope, to_secretaries=to_secretaries, to_groups=to_groups) + (extra or [])
        if not dests:
            log.info("digest.no_recipient scope=%s", scope)
            continue
        n += enqueue_digest(session, digest, list(dict.fromkeys(dests)), key=f"digest:{kind}:{scope}:{stamp(end)}",
                            chart=chart, font_path=font_path)
    return n
