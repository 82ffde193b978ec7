"""Cards as they are sent: what a ticket's card shows and which buttons its state allows, and the outbox rows that
carry them (a card where the platform renders one, the text elsewhere). No Context here: the batch's intake,
reminders and the closed loop write these rows; handlers/cards.py handles the presses."""

from __future__ import annotations

import secrets

from sqlmodel import Session, select

from handlers import notify, transitions
from handlers import texts_cards as tc
from storage.delivery import enqueue_once
from storage.models import Card, Outbox, Ticket
from storage.outbox import enqueue

MAX_TEXT = 120  # the quoted ticket text on a card


def enabled(session: Session) -> bool:
    """Cards go only where the platform renders them and the press can come back: the app's messages to
    people, with the app's callback configured (``[wecom] cards``)."""
    rules = notify._rules(session)
    return rules.cards and "user" in rules.outbound


def key(kind: str, arg: str) -> str:
    return f"gb:{kind}:{arg}"


def task_id(kind: str, number: int | None) -> str:
    """Unique per app (WeCom's rule), of digits, letters and ``_-@``, at most 128 bytes."""
    return f"{kind}-{number or 0}-{secrets.token_hex(8)}"


def _place(t: Ticket) -> str:
    return t.place_label or t.location or "—"


def short_text(text: str) -> str:
    from handlers import privacy

    text = privacy.mask(text)
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT - 1] + "…"


def buttons_for(t: Ticket) -> list[dict]:
    """The buttons that would work from the ticket's state (the state table decides, as for the text)."""
    out = []
    if transitions.allowed(t.status, "accept"):
        out.append({"key": key("say", f"接单 {t.id}"), "text": tc.BUTTON_ACCEPT, "style": 1})
    if transitions.allowed(t.status, "resolve"):
        out.append({"key": key("resolve", str(t.id)), "text": tc.BUTTON_RESOLVE, "style": 1})
    if transitions.allowed(t.status, "transfer"):
        out.append({"key": key("ask", f"转派 {t.id}"), "text": tc.BUTTON_TRANSFER, "style": 2})
    if transitions.allowed(t.status, "send_back"):
        out.append({"key": key("ask", f"退单 {t.id}"), "text": tc.BUTTON_SEND_BACK, "style": 3})
    return out


def ticket_spec(t: Ticket, *, title: str, task: str, place: str | None = None, text: str | None = None) -> dict:
    fields = [[tc.FIELD_CATEGORY, tc.category(t.category)], [tc.FIELD_PLACE, place or _place(t)],
              [tc.FIELD_DUE, tc.due_line(t.due_at)]]
    if t.urgent:
        fields.append([tc.FIELD_URGENT, "是"])
    return {"type": "button_interaction", "task_id": task, "title": title, "desc": tc.category(t.category),
            "text": short_text(text if text is not None else t.text), "fields": fields, "buttons": buttons_for(t)}


def resolve_spec(t: Ticket, *, task: str) -> dict:
    return {"type": "vote_interaction", "task_id": task, "title": tc.resolve_title(t.id), "desc": tc.RESOLVE_HINT,
            "text": short_text(t.text), "question": tc.RESOLVE_QUESTION,
            "options": [{"id": f"r{i}", "text": r} for i, r in enumerate(tc.RESULTS)],
            "submit": {"key": key("pick", f"办结 {t.id}"), "text": tc.RESOLVE_SUBMIT}}


def card_row(session: Session, *, task: str, kind: str, ticket_id: int | None, userid: str, now,
              channel: str = "wecom_app") -> Card:
    card = Card(task_id=task, channel=channel, kind=kind, ticket_id=ticket_id, userid=userid, created_at=now,
                updated_at=now)
    session.add(card)
    return card


def to_member(session: Session, userid: str, text: str, t: Ticket, *, title: str, now,
              dedup_key: str | None = None) -> bool:
    """A notice about ticket ``t`` to a member of staff: a card with the buttons its state allows when cards
    can go, else the text. Returns whether a row was written (False: ``dedup_key`` was used already)."""
    if not enabled(session) or not buttons_for(t):
        if dedup_key is not None:
            return enqueue_once(session, dedup_key, "user", userid, text)
        enqueue(session, "user", userid, text)
        return True
    if dedup_key is not None and session.scalars(select(Outbox.id).where(Outbox.dedup_key == dedup_key)).first():
        return False
    task = task_id("t", t.id)  # the card quotes the notice itself (a 督办 note, a reminder), not only the report
    body = {"content": text, "card": ticket_spec(t, title=title, task=task, text=text)}
    if dedup_key is not None:
        if not enqueue_once(session, dedup_key, "user", userid, text, msgtype="template_card", body=body):
            return False
    else:
        enqueue(session, "user", userid, text, msgtype="template_card", body=body)
    card_row(session, task=task, kind="ticket", ticket_id=t.id, userid=userid, now=now)
    return True


def new_ticket_row(session: Session, row: dict, *, number: int, assignee: str, text: str, place: str,
                   now) -> dict:
    """The new ticket's notice to its grid worker as an outbox row (``storage.outbox.row``), a card when cards
    can go: the webhook's batch writes the rows together."""
    from storage.outbox import row as outbox_row

    if not enabled(session):
        return outbox_row("user", assignee, text, now=now)
    t = Ticket(id=number, **{k: row[k] for k in ("grid_id", "category", "urgent", "status", "text", "due_at",
                                                 "reporter_id", "channel", "location")})
    task = task_id("t", number)
    spec = ticket_spec(t, title=tc.new_ticket_title(number, t.urgent), task=task, place=place)
    card_row(session, task=task, kind="ticket", ticket_id=number, userid=assignee, now=now)
    return outbox_row("user", assignee, text, msgtype="template_card", body={"content": text, "card": spec}, now=now)
