"""The AI bot's long connection in the app's lifetime: built before the outbox worker (which pushes through
it), started and stopped in one ``cleanup_ctx`` step; its messages take the same way in as the callbacks'."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime

from aiohttp import web

from bot.aibot_socket import Accept, AibotSocket
from bot.appkeys import AIBOT_WS, CONFIG, ENGINE, FETCHER, HTTP, LIMITER, OUTBOX, PIPELINE
from bot.channels.clean import clean_inbound
from handlers.messages import InboundMessage, Reply
from storage.types import utcnow


def accept_for(app: web.Application) -> Accept:
    """What the callback view does with a parsed message (bot/app.py ``_view``): clean, rate-limit, store
    and handle through the pipeline, then wake the media fetcher."""

    async def accept(msg: InboundMessage) -> Reply:
        msg = clean_inbound(msg)
        limited = app[LIMITER].check(msg)
        if limited is not None:
            return limited
        reply = await app[PIPELINE].submit(msg)
        if msg.attachments and (fetcher := app.get(FETCHER)) is not None:
            fetcher.wake()
        return reply

    return accept


def aibot_ws_ctx(clock: Callable[[], datetime] = utcnow):
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        config = app[CONFIG].wecom.aibot
        if config.mode != "websocket":
            yield
            return

        def ready() -> None:  # pushes queued while nobody held the connection go out now
            if (worker := app.get(OUTBOX)) is not None:
                worker.wake()

        sock = AibotSocket(config, engine=app[ENGINE], http=app[HTTP], accept=accept_for(app), clock=clock,
                           on_ready=ready)
        app[AIBOT_WS] = sock
        await sock.start()
        yield
        await sock.stop()

    return ctx
