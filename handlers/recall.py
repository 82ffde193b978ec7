"""Recall an announcement sent by mistake: 「公告 撤回 N」 in chat, ``gridbot announce recall N``.

WeCom recalls an app message (``message/recall``, 撤回应用消息, document/path/94867) within 24 hours by the
``msgid`` that message/send answered with (kept on the outbox row). Nothing else can be recalled: a group robot's
webhook, an app group chat (appchat/send gives no msgid) and the bridge have no recall; the report says so per
group, so the sender knows where to correct by hand. Messages not sent yet are simply not sent; a recurring
announcement stops too. Recalls go through the outbox like every push (retried, logged).
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from handlers import texts_cards as tc
from handlers.announce import _may_announce, out_of_scope
from handlers.commands import REGISTRY, Command, Invocation
from handlers.context import Context
from handlers.errors import CommandError, NotFound
from handlers.messages import Reply
from storage import org
from storage.delivery import enqueue_once
from storage.models import Announcement, Grid, Outbox

log = logging.getLogger(__name__)

WINDOW = timedelta(hours=24)
_USAGE = re.compile(r"^撤回\s*[#＃]?\s*(\d{1,9})$")


def _where(session: Session, row: Outbox) -> str:
    """Who a row went to, as the sender knows them (a robot's key is a credential: never shown)."""
    kind, target = row.target_kind, row.target
    if kind == "user":
        m = org.member(session, target)
        return m.name if m is not None else target
    if kind == "bridge":
        return f"桥接群 {target}"
    column = Grid.robot_key if kind == "robot" else Grid.appchat_id
    grid = session.exec(select(Grid).where(column == target)).first()
    via = "群机器人" if kind == "robot" else "应用群聊"
    return f"{org.describe(session, grid) if grid else ''}（{via}）"


def _outcome(session: Session, row: Outbox, now: datetime) -> str:
    if row.status == "pending":
        row.status, row.last_error = "dead", "recalled before it was sent"
        session.add(row)
        return tc.RECALL_CANCELLED
    if row.status != "sent":
        return tc.RECALL_FAILED
    if row.target_kind != "user":
        return {"robot": tc.RECALL_ROBOT, "appchat": tc.RECALL_APPCHAT}.get(row.target_kind, tc.RECALL_BRIDGE)
    if not row.msgid:
        return tc.RECALL_NO_ID
    if row.sent_at is None or now - row.sent_at > WINDOW:
        return tc.RECALL_TOO_LATE
    made = enqueue_once(session, f"recall:{row.id}", "user", row.target, "", msgtype="recall",
                        body={"content": "", "msgid": row.msgid})
    return tc.RECALL_QUEUED if made else tc.RECALL_DONE_ALREADY


def recall(session: Session, number: int, now: datetime) -> list[str]:
    """Recall announcement ``number`` everywhere it can be; one line per destination. The caller commits."""
    ann = session.get(Announcement, number)
    if ann is None:
        raise NotFound(f"no announcement {number}", tc.recall_unknown(number))
    if ann.status == "scheduled":
        ann.status = "cancelled"  # later firings of a recurring one, or a one-off not yet due
        session.add(ann)
    stmt = (select(Outbox).where(col(Outbox.dedup_key).startswith(f"announce:{number}:"))
            .order_by(col(Outbox.id)))
    lines = [tc.recall_line(_where(session, r), _outcome(session, r, now)) for r in session.exec(stmt).all()]
    log.info("announce.recalled id=%s destinations=%d", number, len(lines))
    return lines or [tc.RECALL_CANCELLED]


def recall_in_chat(ctx: Context, inv: Invocation) -> Reply:
    m = _USAGE.match(inv.rest.strip())
    if m is None:
        raise CommandError("recall usage", tc.RECALL_USAGE)
    number = int(m.group(1))
    ann = ctx.session.get(Announcement, number)
    if ann is None:
        raise NotFound(f"no announcement {number}", tc.recall_unknown(number))
    for t in ann.targets:  # the same scope as 群发通知: only what one could have sent oneself
        why = out_of_scope(ctx, t)
        if why is not None:
            raise CommandError(f"recall {number}: target {t} outside {ctx.actor}'s scope", why)
    return Reply(tc.recall_report(number, recall(ctx.session, number, ctx.now)))


REGISTRY.add(Command("公告", recall_in_chat, "公告 撤回 编号 —— 撤回误发的群发通知（24 小时内的应用消息）",
                     aliases=("/recall",), allowed=_may_announce, text=True, max_text=20))
