"""Asking instead of guessing: a low-confidence request gets one short question; the answer completes it."""

from __future__ import annotations

import re

from nlp import Classification, Location
from sqlmodel import col, select

from handlers import texts
from handlers.context import Context
from handlers.messages import Reply
from handlers.tickets import open_or_join
from storage.models import Clarification

YES = re.compile(r"^(是|是的|对|对的|嗯+|没错|对头|是滴|yes|y|好|中|可以)[。!！~～.]*$", re.I)
NO = re.compile(r"^(不是|不对|算了|不用了?|没事了?|取消|no|n)[。!！~～.]*$", re.I)
OPTIONS = ("property", "environment", "roads", "other")


def pending_for(ctx: Context) -> Clarification | None:
    stmt = (
        select(Clarification)
        .where(
            Clarification.channel == ctx.msg.channel,
            Clarification.chat_id == ctx.msg.chat_id,
            Clarification.sender_id == ctx.msg.sender_id,
            Clarification.done == False,  # noqa: E712
            Clarification.expires_at > ctx.now,
        )
        .order_by(col(Clarification.id).desc())
    )
    return ctx.session.exec(stmt).first()


def ask(ctx: Context, c: Classification, text: str) -> Reply:
    ctx.session.add(Clarification(
        channel=ctx.msg.channel, chat_id=ctx.msg.chat_id, sender_id=ctx.msg.sender_id, inbound_id=ctx.inbound.id,
        text=text, guess=c.category, asked_at=ctx.now, expires_at=ctx.now + ctx.rules.clarify_ttl,
    ))
    options = [o for o in OPTIONS if o != c.category][:3]
    return Reply(texts.clarify(c.category, options))


def _named_category(answer: str) -> str | None:
    for code, name in texts.CATEGORY_NAMES.items():
        if code != "none" and (answer == code or name in answer or answer in name.split("与")):
            return code
    return None


def answer(ctx: Context, pending: Clarification, text: str) -> Reply:
    """The sender's next message answers the question: yes, a category, no, or more detail."""
    pending.done = True
    classifier = ctx.services.classifier
    original = classifier.classify(pending.text)
    if NO.match(text):
        return Reply(texts.CLARIFY_DROPPED)
    if YES.match(text):
        return open_or_join(ctx, ctx.grid, _with_category(original, pending.guess), pending.text)
    named = _named_category(text)
    if named is not None:
        return open_or_join(ctx, ctx.grid, _with_category(original, named), pending.text)
    combined = f"{pending.text} {text}"
    c = classifier.classify(combined)
    if not c.is_request:
        c = _with_category(original, pending.guess)
    return open_or_join(ctx, ctx.grid, c, combined)


def _with_category(c: Classification, category: str) -> Classification:
    return Classification(category=category, urgent=c.urgent, keywords=c.keywords,
                          location=c.location if c.location else Location(), confidence=1.0)
