"""The AI bot's long connection in the app's lifetime: built before the outbox worker (which pushes through
it), started and stopped in one ``cleanup_ctx`` step; its messages take the same way in as the callbacks'."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime

from aiohttp import web

from bot.aibot_socket import Accept, AibotSocket
from bot.appkeys import AIBOT_WS, CONFIG, ENGINE, HTTP, OUTBOX
from bot.inbound import accept
from handlers.messages import InboundMessage, Reply
from storage.types import utcnow


def accept_for(app: web.Application) -> Accept:
    """The socket's messages take the callbacks' way in (bot/inbound.py)."""

    async def accept_one(msg: InboundMessage) -> Reply:
        return await accept(app, msg)

    return accept_one


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
