"""Interactive cards: what a card offers, and what a press on one does.

A card is described here in a platform-neutral dict (the outbox row's ``body["card"]``, or ``Reply.card``)::

    {"type": "button_interaction" | "vote_interaction", "task_id": str, "title": str, "desc": str,
     "text": str, "fields": [[name, value], ...], "buttons": [{"key", "text", "style"}],
     "question": str, "options": [{"id", "text"}], "submit": {"key", "text"}}

and rendered for WeCom at the edge (``bot/channels/wecom_cards.py``). Button keys say what a press does:

- ``gb:say:<command>``: run the command as if its sender had typed it (接单 12, 满意 12, 1 for a clarifying
  question): the very same command code and permission checks as the text;
- ``gb:ask:<command>``: the command needs words (转派 12, 退单 12): the next 1:1 text completes it;
- ``gb:resolve:<n>``: send the 办结 card (common results as choices, or the result typed);
- ``gb:pick:<command>``: the 办结 card's submit: the chosen result is the command's text.

A press is stored like any message (``InboundMessage.card``, keyed by the platform's ids, so a retry is
answered from the store and does nothing twice); the ``card`` row then says whether the card is still open.
Once acted on, a card is done: its buttons are replaced by what happened ("已由 张伟 接单 10:42"), and a later
press (a double tap, another person's card for the same ticket) gets that note instead of a second action.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

from sqlmodel import Session, col, select

from handlers import texts_cards as tc
from handlers import transitions
from handlers.card_specs import card_row, key, resolve_spec, short_text, task_id
from handlers.context import Context
from handlers.messages import Reply
from storage import org
from storage.models import Card, Member, Ticket, TicketEvent
from storage.outbox import enqueue

log = logging.getLogger(__name__)

AWAIT_FOR = timedelta(minutes=30)  # how long a pressed 转派 / 退单 / 办结 waits for the typed rest


# --- a press -----------------------------------------------------------------------------------------------------

Runner = Callable[[Context], Reply]


def press(ctx: Context, run: Runner) -> Reply:
    """Handle a press on a card: the same command code as the text, then the card is updated in place."""
    a = ctx.msg.card
    assert a is not None
    s = ctx.session
    card = s.exec(select(Card).where(Card.task_id == a.task_id)).first()
    if card is None or not a.event_key.startswith("gb:"):
        log.info("card.unknown task=%s key=%s sender=%s", a.task_id, a.event_key[:40], ctx.actor)
        return _note(ctx, tc.CARD_UNKNOWN)
    if card.userid != ctx.actor:  # in a group everyone sees the AI bot's card; only its addressee acts on it
        log.warning("card.not_theirs task=%s card_user=%s sender=%s", a.task_id, card.userid, ctx.actor)
        return _note(ctx, tc.CARD_NOT_YOURS)
    if card.status == "done":  # a double tap, or pressed again later: the card says what happened
        note = tc.card_done_already(card.outcome or "")
        return _finish(ctx, card, note, card.outcome or "", done=False)
    kind, _, arg = a.event_key[3:].partition(":")
    if kind == "ask":
        return _await(ctx, card, arg, tc.ask_transfer if arg.startswith("转派") else tc.ask_send_back)
    if kind == "resolve":
        return _send_resolve_card(ctx, card, arg)
    if kind == "pick":
        chosen = _chosen(a.selected)
        if not chosen:
            return _await(ctx, card, arg, tc.ask_resolve)
        arg = f"{arg} {chosen}"
    elif kind != "say":
        return Reply(tc.CARD_UNKNOWN)
    return _act(ctx, card, arg, run)


def _note(ctx: Context, text: str) -> Reply:
    """A refusal before any card of ours is touched: the AI bot shows it on the presser's card; the app's
    answer is a short message (the press itself cannot be answered in words)."""
    a = ctx.msg.card
    if ctx.msg.channel == "wecom_aibot" and a is not None:
        return Reply(text, card={"type": "button_interaction", "task_id": a.task_id, "title": text, "desc": "",
                                 "buttons": [{"key": key("done", a.task_id), "text": "知道了", "style": 4}]})
    enqueue(ctx.session, "user", ctx.actor, text)
    return Reply(text)


def _chosen(selected: tuple[tuple[str, tuple[str, ...]], ...]) -> str:
    names = {f"r{i}": r for i, r in enumerate(tc.RESULTS)}
    picked = [names[o] for q, options in selected if q == tc.RESOLVE_QUESTION for o in options if o in names]
    return "，".join(picked)


def _number(command: str) -> int | None:
    parts = command.split()
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None


def _act(ctx: Context, card: Card, command: str, run: Runner) -> Reply:
    s = ctx.session
    as_typed = replace(ctx, msg=replace(ctx.msg, text=command, card=None))
    reply = run(as_typed)  # the router's own path: parse, permission check, command, refusal texts
    if not isinstance(reply, Reply):  # a request the batch's intake writes (an answer to a clarifying question)
        assert ctx.intake is not None
        ctx.intake.flush()
        reply = reply.reply
    refused = s.info.get("refused", {}).get(ctx.inbound_id)
    number = _number(command)
    t = s.get(Ticket, number) if number is not None else None
    if refused is None:
        word = command.split()[0]
        who = ctx.member.name if ctx.member is not None else (ctx.msg.sender_name or ctx.actor)
        if number is None:  # an answer (to a clarifying question): the card says what came of it
            outcome = (reply.text or tc.chose(word)).split("\n")[0][:30]
        elif word in dict(tc.RATINGS):
            outcome = tc.rated(word)
        else:
            outcome = tc.done(who, word, ctx.now)
        return _finish(ctx, card, reply.text or outcome, outcome, done=True, ticket=reply.ticket)
    moved = _moved_on(s, t) if t is not None and _state_refusal(refused, t) else None
    if moved is not None:  # someone else was quicker (or the ticket moved on): the card says who and when
        return _finish(ctx, card, tc.moved_on(t.id, moved), moved, done=True, ticket=t.id)
    return _finish(ctx, card, reply.text or "", None, done=False, ticket=reply.ticket)


def _state_refusal(reason: str, t: Ticket) -> bool:
    """A refusal because the ticket is no longer where the card found it (not a missing permission)."""
    return f"from {t.status}" in reason or "changed since version" in reason


def _moved_on(session: Session, t: Ticket) -> str | None:
    """"已由 张伟 接单 10:42": the last step by a person that moved the ticket on, named for the card."""
    stmt = (select(TicketEvent).where(TicketEvent.ticket_id == t.id, col(TicketEvent.kind).in_(tuple(tc.VERBS)))
            .order_by(col(TicketEvent.id).desc()))
    ev = session.exec(stmt).first()
    if ev is None:
        return None
    m = session.get(Member, ev.actor)
    return tc.done(m.name if m is not None else ev.actor, tc.VERBS[ev.kind], ev.at)


def _finish(ctx: Context, card: Card, note: str, outcome: str | None, *, done: bool,
            ticket: int | None = None) -> Reply:
    """Mark the card, and update it in place: through the app's update_template_card (an outbox row that
    falls back to a short message when the ResponseCode has expired), or in the AI bot's reply."""
    s = ctx.session
    if done:
        card.status, card.outcome, card.done_by, card.updated_at = "done", outcome, ctx.actor, ctx.now
        card.awaiting = card.awaiting_until = None
        s.add(card)
    a = ctx.msg.card
    if card.channel == "wecom_aibot":  # updated by the reply itself, for the one who pressed
        shown = outcome or note
        return Reply(note, ticket, card=done_spec(card, shown) if shown else None)
    fallback = note if not outcome or outcome in note else f"{outcome}。{note}"
    if outcome and a is not None and a.response_code:
        enqueue(s, "user", ctx.actor, fallback, msgtype="update_card",
                body={"content": fallback, "response_code": a.response_code, "replace_name": outcome})
    elif note:
        enqueue(s, "user", ctx.actor, note)
    return Reply(note, ticket)


def done_spec(card: Card, outcome: str) -> dict:
    """An AI bot card once acted on: the outcome, and a lone button that only says so."""
    return {"type": "button_interaction", "task_id": card.task_id, "title": outcome, "desc": "",
            "buttons": [{"key": key("done", card.task_id), "text": outcome[:20], "style": 4}]}


def _await(ctx: Context, card: Card, command: str, prompt: Callable[[int], str]) -> Reply:
    """Remember that the next 1:1 text of this person completes ``command``; say what to write."""
    card.awaiting, card.awaiting_until, card.updated_at = command, ctx.now + AWAIT_FOR, ctx.now
    ctx.session.add(card)
    number = _number(command) or 0
    text = prompt(number)
    enqueue(ctx.session, "user", ctx.actor, text)
    return Reply(text, number or None)


def _send_resolve_card(ctx: Context, card: Card, arg: str) -> Reply:
    s = ctx.session
    t = s.get(Ticket, int(arg)) if arg.isdigit() else None
    if t is None or not transitions.allowed(t.status, "resolve"):
        if t is not None and (moved := _moved_on(s, t)) is not None:
            return _finish(ctx, card, tc.moved_on(t.id, moved), moved, done=True, ticket=t.id)
        return Reply(tc.CARD_UNKNOWN)
    task = task_id("r", t.id)
    new = card_row(s, task=task, kind="resolve", ticket_id=t.id, userid=ctx.actor, now=ctx.now)
    new.awaiting, new.awaiting_until = f"办结 {t.id}", ctx.now + AWAIT_FOR  # free text by reply
    enqueue(s, "user", ctx.actor, tc.ask_resolve(t.id), msgtype="template_card",
            body={"content": tc.ask_resolve(t.id), "card": resolve_spec(t, task=task)})
    return Reply(tc.RESOLVE_CARD_SENT, t.id)


def awaiting(ctx: Context) -> str | None:
    """The command a 1:1 text from staff completes (after a press on 转派 / 退单 / 办结), taken once."""
    if ctx.msg.chat_id is not None or ctx.msg.channel != "wecom_app" or ctx.member is None \
            or ctx.member.role == "resident" or not ctx.text:
        return None
    stmt = (select(Card).where(Card.userid == ctx.actor, col(Card.awaiting_until) > ctx.now,
                               col(Card.awaiting).is_not(None))
            .order_by(col(Card.updated_at).desc()))
    card = ctx.session.exec(stmt).first()
    if card is None:
        return None
    command = card.awaiting
    card.awaiting = card.awaiting_until = None
    ctx.session.add(card)
    return f"{command} {ctx.text}"


def grid_worker_name(session: Session, userid: str) -> str:
    m = org.member(session, userid)
    return m.name if m is not None else userid


# --- the AI bot's cards (answers, not pushes) --------------------------------------------------------------------


def aibot_card(ctx: Context, kind: str, spec: dict, ticket_id: int | None = None) -> dict | None:
    """Register a card the AI bot answers with (channel ``wecom_aibot``); None on other channels."""
    if ctx.msg.channel != "wecom_aibot":
        return None
    card_row(ctx.session, task=spec["task_id"], kind=kind, ticket_id=ticket_id, userid=ctx.actor, now=ctx.now,
              channel="wecom_aibot")
    return spec


def clarify_spec(options: list[tuple[str, str]], question: str) -> dict:
    """The clarifying question with the likely categories as buttons (each answers as its number would)."""
    buttons = [{"key": key("say", answer), "text": label, "style": 1} for answer, label in options]
    buttons.append({"key": key("say", "不是"), "text": tc.CLARIFY_NONE, "style": 2})
    return {"type": "button_interaction", "task_id": task_id("c", None), "title": tc.CLARIFY_TITLE,
            "desc": "", "text": short_text(question), "buttons": buttons[:6]}


def rating_spec(t: Ticket) -> dict:
    return {"type": "button_interaction", "task_id": task_id("v", t.id),
            "title": tc.RATING_TITLE.format(number=t.id), "desc": tc.category(t.category), "text": short_text(t.text),
            "buttons": [{"key": key("say", f"{word} {t.id}"), "text": label, "style": 1 if i == 0 else 2}
                        for i, (word, label) in enumerate(tc.RATINGS)]}
