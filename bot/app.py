"""The aiohttp application: one route per channel, the pipeline behind them, lifetimes in ``cleanup_ctx``."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from datetime import datetime

import aiohttp
from aiohttp import web
from sqlalchemy import Engine

from bot.aibot_app import aibot_ws_ctx
from bot.appkeys import AIBOT_WS, BLOBS, CONFIG, ENGINE, FETCHER, HTTP, LIMITER, OUTBOX, PIPELINE, SCHEDULER, WECOM
from bot.channels.base import Adapter
from bot.channels.bridge import BridgeAdapter
from bot.channels.wecom_aibot import WecomAibotAdapter
from bot.channels.wecom_app import WecomAppAdapter
from bot.config import Config
from bot.fetcher import MediaFetcher, make_blob_store
from bot.files import files_view
from bot.health import healthz, readiness_handler
from bot.inbound import accept
from bot.orgsync import sync_org
from bot.outbox_worker import build_worker
from bot.pipeline import Pipeline, ProcessWriter, StoreUnavailable, ThreadWriter
from bot.proxy import real_ip_middleware
from bot.ratelimit import RateLimiter
from bot.scheduler import PushScheduler
from bot.wecom_api import WecomClient
from handlers.context import Services
from handlers.errors import GridbotError
from handlers.messages import Reply
from nlp import Classifier, load_classifier
from storage.db import WalCheckpointer, make_engine, session_factory
from storage.migrate import upgrade
from storage.types import utcnow

log = logging.getLogger("gridbot.http")



def build_adapters(config: Config) -> list[Adapter]:
    w = config.wecom
    return [
        WecomAppAdapter(token=w.token, encoding_aes_key=w.encoding_aes_key, corp_id=w.corp_id,
                        replay_window=w.replay_window_seconds),
        WecomAibotAdapter(token=w.aibot.token, encoding_aes_key=w.aibot.encoding_aes_key,
                          replay_window=w.replay_window_seconds),
        BridgeAdapter(config.bridge.secret, chat_ids=config.bridge.chat_ids,
                      replay_window=config.bridge.replay_window_seconds),
    ]


@web.middleware
async def errors_middleware(request: web.Request, handler):
    """Map the one exception hierarchy to HTTP statuses in one place; every refusal is logged with its reason."""
    try:
        return await handler(request)
    except GridbotError as e:
        log.warning("request.refused path=%s status=%d kind=%s reason=%s remote=%s",
                    request.path, e.status, type(e).__name__, e.reason, request.remote)
        return web.json_response({"error": type(e).__name__, "reason": e.reason}, status=e.status)
    except web.HTTPRequestEntityTooLarge as e:
        log.warning("request.refused path=%s status=413 reason=body over %s bytes remote=%s",
                    request.path, request.app[CONFIG].server.max_body_bytes, request.remote)
        raise e
    except StoreUnavailable as e:
        log.error("request.unavailable path=%s reason=%s", request.path, e)
        return web.json_response({"error": "StoreUnavailable"}, status=503)


_SILENT = Reply.silent()


def _view(adapter: Adapter):
    async def post(request: web.Request) -> web.Response:
        body = await request.read()  # client_max_size turns an oversize body into 413 here
        msg, state = await adapter.receive(request, body)
        if msg is None:
            return adapter.respond(_SILENT, state)
        return adapter.respond(await accept(request.app, msg), state)

    return post


def create_app(
    config: Config,
    *,
    engine: Engine | None = None,
    classifier: Classifier | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> web.Application:
    """Build the app; nothing starts until it runs (tests pass their own engine and clock)."""
    app = web.Application(client_max_size=config.server.max_body_bytes,
                          middlewares=[real_ip_middleware(config.server.trusted_proxies), errors_middleware])
    app[CONFIG] = config
    app[BLOBS] = make_blob_store(config.attachments)
    app[LIMITER] = RateLimiter(config.limits.sender_per_minute, config.limits.chat_per_minute)

    async def storage_ctx(app: web.Application) -> AsyncIterator[None]:
        own = engine is None
        # On SQLite our own engine leaves WAL checkpoints to a thread of their own (see WalCheckpointer).
        eng = engine or make_engine(config.storage.url, wal_autocheckpoint=False,
                                    busy_timeout=config.storage.busy_timeout_seconds)
        if config.storage.auto_migrate:
            upgrade(eng)
        with session_factory(eng)() as s:
            sync_org(s, config.org)
            s.commit()
        app[ENGINE] = eng
        checkpointer = WalCheckpointer(eng) if own and eng.dialect.name == "sqlite" else None
        if checkpointer:
            checkpointer.start()
        yield
        if checkpointer:
            checkpointer.stop()
        if own:
            eng.dispose()

    async def pipeline_ctx(app: web.Application) -> AsyncIterator[None]:
        nlp = config.nlp
        services = Services(
            rules=config.ticket_rules(),
            classifier=classifier or load_classifier(nlp.rules, nlp.userdict),
            clock=clock,
            classifier_paths=(nlp.rules, nlp.userdict),
        )
        if config.server.writer == "process":
            writer = ProcessWriter(config.storage.url, services, wal_autocheckpoint=engine is not None,
                                   busy_timeout=config.storage.busy_timeout_seconds)
        else:
            writer = ThreadWriter(app[ENGINE], services)
        pipeline = Pipeline(writer)
        await pipeline.start()
        app[PIPELINE] = pipeline
        yield
        await pipeline.stop()

    async def http_ctx(app: web.Application) -> AsyncIterator[None]:
        async with aiohttp.ClientSession() as session:  # outbound: WeCom API, bridge pushes, media
            app[HTTP] = session
            w = config.wecom
            app[WECOM] = WecomClient(session, api_base=w.api_base, corp_id=w.corp_id, secret=w.secret,
                                     agent_id=w.agent_id, timeout=config.outbox.request_timeout_seconds)
            yield

    async def outbox_ctx(app: web.Application) -> AsyncIterator[None]:
        if not config.outbox.enabled:
            yield
            return
        worker = build_worker(config, app[ENGINE], app[HTTP], wecom=app[WECOM], blobs=app[BLOBS],
                              aibot=app.get(AIBOT_WS))  # rows are stamped with real time
        await worker.start()
        app[OUTBOX] = worker
        yield
        await worker.stop()

    async def scheduler_ctx(app: web.Application) -> AsyncIterator[None]:
        if not config.scheduler.enabled:
            yield
            return
        loop = asyncio.get_running_loop()
        worker = app.get(OUTBOX)
        wake = (lambda: loop.call_soon_threadsafe(worker.wake)) if worker is not None else (lambda: None)
        scheduler = PushScheduler(app[ENGINE], config, clock=clock, wake=wake)
        await scheduler.start()
        app[SCHEDULER] = scheduler
        yield
        await scheduler.stop()

    async def fetcher_ctx(app: web.Application) -> AsyncIterator[None]:
        if not config.attachments.enabled:
            yield
            return
        outbox = app.get(OUTBOX)
        wecom = app[WECOM] if config.wecom.corp_id and config.wecom.secret else None
        fetcher = MediaFetcher(app[ENGINE], app[BLOBS], app[HTTP], config.attachments, config.ticket_rules(),
                               wecom=wecom, aibot_key=config.wecom.aibot.encoding_aes_key, clock=clock,
                               on_enqueued=outbox.wake if outbox is not None else (lambda: None))
        await fetcher.start()
        app[FETCHER] = fetcher
        yield
        await fetcher.stop()

    app.cleanup_ctx.extend([storage_ctx, pipeline_ctx, http_ctx, aibot_ws_ctx(clock), outbox_ctx, fetcher_ctx,
                            scheduler_ctx])
    for adapter in build_adapters(config):
        app.router.add_post(adapter.path, _view(adapter))
        app.router.add_get(adapter.path, adapter.verify_url)
    app.router.add_get("/healthz", healthz)
    if config.attachments.link_secret:
        services = Services(rules=config.ticket_rules(), classifier=None, clock=clock)  # type: ignore[arg-type]
        app.router.add_get("/files/{token}", files_view(lambda: app[ENGINE], lambda: app[BLOBS],
                                                        config.attachments.link_secret, services))
    app.router.add_get("/readyz", readiness_handler(ENGINE, PIPELINE, CONFIG, AIBOT_WS))
    from bot.console import mount as mount_console  # the web console (bot/console), after the app's keys exist

    mount_console(app, config)
    return app
