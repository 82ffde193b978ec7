"""The one way a parsed message comes in, whatever carried it (an HTTP callback or the AI bot's socket):
cleaned, rate-limited, stored once and handled through the pipeline, then the media fetcher woken."""

from __future__ import annotations

from aiohttp import web

from bot.appkeys import FETCHER, LIMITER, PIPELINE
from bot.channels.clean import clean_inbound
from handlers.messages import InboundMessage, Reply


async def accept(app: web.Application, msg: InboundMessage) -> Reply:
    msg = clean_inbound(msg)  # one rule for every channel (bot/channels/clean.py)
    limited = app[LIMITER].check(msg)
    if limited is not None:
        return limited
    reply = await app[PIPELINE].submit(msg)
    if msg.attachments and (fetcher := app.get(FETCHER)) is not None:
        fetcher.wake()  # the bytes are fetched after the answer, never before it
    return reply
