"""Asking instead of guessing: a low-confidence request gets one short question; the answer completes it."""

from __future__ import annotations

import re

from sqlmodel import select

from handlers import texts, wording
from handlers.context import Context
from handlers.intake import Request
from handlers.messages import Reply
from handlers.tickets import open_or_join
from nlp import Classification, Location
from storage.models import Clarification, Correction

YES = re.compile(r"^(是|是的|对|对的|嗯+|没错|对头|是滴|yes|y|好|中|可以)[。!！~～.]*$", re.I)
NO = re.compile(r"^(不是|不对|算了|不用了?|没事了?|取消|no|n)[。!！~～.]*$", re.I)
OPTIONS = ("property", "environment", "roads", "other")


def _key(ctx: Context) -> tuple[str, str | None, str]:
    return (ctx.msg.channel, ctx.msg.chat_id, ctx.msg.sender_id)


def _pending_keys(ctx: Context) -> set[tuple[str, str | None, str]]:
    """Who has an open question, read once per session (one batch): almost always nobody."""
    info = ctx.session.info
    if "pending_clarifications" not in info:
        c = Clarification.__table__.c
        rows = ctx.session.connection().execute(
            select(c.channel, c.chat_id, c.sender_id).where(c.done == False, c.expires_at > ctx.now)  # noqa: E712
        ).all()
        info["pending_clarifications"] = {tuple(r) for r in rows}
    return info["pending_clarifications"]


def is_pending(ctx: Context) -> bool:
    return _key(ctx) in _pending_keys(ctx)


def pending_for(ctx: Context) -> Clarification | None:
    if not is_pending(ctx):
        return None
    stmt = (
        select(Clarification)
        .where(
            Clarification.channel == ctx.msg.channel,
            Clarification.chat_id == ctx.msg.chat_id if ctx.msg.chat_id is not None
            else Clarification.chat_id.is_(None),
            Clarification.sender_id == ctx.msg.sender_id,
            Clarification.done == False,  # noqa: E712
            Clarification.expires_at > ctx.now,
        )
        .order_by(Clarification.id.desc())
    )
    return ctx.session.exec(stmt).first()


def ask(ctx: Context, c: Classification, text: str) -> Reply:
    ctx.session.add(Clarification(
        channel=ctx.msg.channel, chat_id=ctx.msg.chat_id, sender_id=ctx.msg.sender_id, inbound_id=ctx.inbound_id,
        text=text, guess=c.category if c.is_request else "other", asked_at=ctx.now,
        expires_at=ctx.now + ctx.rules.clarify_ttl,
    ))
    _pending_keys(ctx).add(_key(ctx))
    options = likely(c)
    from handlers import cards  # the AI bot may show the choices as buttons; each answers as its number would
    from handlers.texts import CATEGORY_NAMES

    card = cards.aibot_card(ctx, "clarify", cards.clarify_spec(
        [(str(i), CATEGORY_NAMES.get(o, o)) for i, o in enumerate(options, 1)], text))
    return Reply(wording.clarify(text, options), card=card)


# What a vague message is most likely about, after the classifier's guess: categories people confuse.
RELATED = {
    "property": ("utilities", "safety"), "utilities": ("property", "environment"), "roads": ("property", "transport"),
    "charging": ("property", "safety"), "waste": ("environment", "property"), "environment": ("waste", "property"),
    "parking": ("roads", "property"), "safety": ("property", "utilities"), "dispute": ("legal", "property"),
    "legal": ("dispute", "policy"), "policy": ("legal", "other"), "transport": ("roads", "other"),
    "other": ("property", "utilities", "environment"),
}
_VAGUE = re.compile(r"那个|这个|东西|它|那玩意|又坏|又不行|不行了|咋整|怎么办|有人管")
_PUNCT = re.compile(r"[\s\W_]+")
# a breakage without its subject ("那个东西又坏了"): request or chatter depends on the thing
# left unnamed, so the one question is asked unless the classifier is sure it is chatter
_BREAKAGE = re.compile(r"又坏|坏了|又不行|不行了")
SURE_CHATTER = 0.75


def likely(c: Classification) -> list[str]:
    """Two or three likely categories, the guess first (never 其他 first when something better exists)."""
    guess = c.category if c.category in RELATED else "other"
    options = [guess, *RELATED[guess]]
    if options[0] == "other":
        options = [*RELATED["other"]]
    return list(dict.fromkeys(options))[:3]


def is_fragment(text: str, c: Classification) -> bool:
    """A single word or a fragment ("电梯", "那个东西又坏了"): ask instead of opening a ticket. An urgent
    message is never held back."""
    if c.urgent:
        return False
    core = _PUNCT.sub("", text)
    if len(core) <= 4:
        return True
    return len(core) <= 10 and not c.location.key() and bool(_VAGUE.search(core))


def unsure_fragment(text: str, c: Classification, threshold: float) -> Classification | None:
    """A fragment the classifier calls chatter, but unsure of it ("那个东西又坏了": the learned model vetoes the
    rules' request just below its threshold): worth the one question rather than silence -- for a breakage
    without its subject, unless the classifier is sure (``SURE_CHATTER``). The classification to ask with
    (其他 as the guess), or None to stay silent."""
    bar = max(threshold, SURE_CHATTER) if _BREAKAGE.search(text) else threshold
    if c.is_request or c.confidence >= bar or not is_fragment(text, c):
        return None
    return Classification("other", False, c.keywords, c.location, c.confidence)


def _named_category(answer: str) -> str | None:
    for code, name in texts.CATEGORY_NAMES.items():
        if code != "none" and (answer == code or name in answer or answer in name.split("与")):
            return code
    return None


def answer(ctx: Context, pending: Clarification, text: str) -> Reply | Request | None:
    """The sender's next message answers the question: yes, a choice, a category, no, or more detail. None when
    it does not answer it (a long message about something else, and no request): the question stays open and the
    message is read as any other."""
    original = ctx.services.classifier.classify(pending.text)
    reply = _answered(ctx, pending, text, original)
    if reply is not None:
        pending.done = True
        _pending_keys(ctx).discard(_key(ctx))
    return reply


def _answered(ctx: Context, pending: Clarification, text: str, original: Classification) -> Reply | Request | None:
    if NO.match(text):
        _teach(ctx, pending, "none")  # the resident's 不是: a labelled example for `gridbot nlp train`
        return Reply(texts.CLARIFY_DROPPED)
    if (choice := re.fullmatch(r"\s*([1-3１-３])\s*", text)) is not None:  # "2": the second choice offered
        options = likely(Classification(pending.guess, False, (), Location(), 0.0))
        i = int(choice.group(1).translate(str.maketrans("１２３", "123"))) - 1
        if i < len(options):
            return open_or_join(ctx, ctx.grid, _with_category(original, options[i]), pending.text)
    if YES.match(text):
        return open_or_join(ctx, ctx.grid, _with_category(original, pending.guess), pending.text)
    named = _named_category(text)
    if named is not None:
        if named != pending.guess:
            _teach(ctx, pending, named)
        return open_or_join(ctx, ctx.grid, _with_category(original, named), pending.text)
    combined = f"{pending.text} {text}"
    classifier, threshold = ctx.services.classifier, ctx.rules.confidence_threshold
    alone = classifier.classify(text)
    if alone.is_request and alone.confidence >= threshold and not is_fragment(text, alone):
        # The answer says it all ("3号楼电梯坏了", or a new matter altogether): its category and place decide;
        # the ticket keeps both messages. Never a place read across the two (电梯 + 小区门口 → "电梯小区").
        return open_or_join(ctx, ctx.grid, alone, combined)
    c = classifier.classify(combined)
    if c.is_request and c.confidence >= threshold:
        return open_or_join(ctx, ctx.grid, _placed(c, alone.location or original.location), combined)
    if len(_PUNCT.sub("", text)) > 10:
        return None  # not about the question: "今天广场舞几点开始" must not file 电梯 as a ticket
    return open_or_join(ctx, ctx.grid, _placed(_with_category(original, pending.guess),
                                                alone.location or original.location), combined)


def _placed(c: Classification, location: Location) -> Classification:
    return Classification(category=c.category, urgent=c.urgent, keywords=c.keywords, location=location,
                          confidence=c.confidence)


def _teach(ctx: Context, pending: Clarification, label: str) -> None:
    """Store the resident's answer as a correction without a ticket (``gridbot nlp train --corrections``)."""
    ctx.session.add(Correction(ticket_id=None, text=pending.text, old_category=pending.guess, new_category=label,
                               actor=ctx.actor, at=ctx.now))


def _with_category(c: Classification, category: str) -> Classification:
    return Classification(category=category, urgent=c.urgent, keywords=c.keywords,
                          location=c.location if c.location else Location(), confidence=1.0)
