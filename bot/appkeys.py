"""Typed keys of the aiohttp application's state, in a module of their own so that sub-applications (the
console) can read the app's pieces without importing the app that mounts them."""

from __future__ import annotations

import aiohttp
from aiohttp import web
from sqlalchemy import Engine

from bot.aibot_socket import AibotSocket
from bot.config import Config
from bot.fetcher import MediaFetcher
from bot.outbox_worker import OutboxWorker
from bot.pipeline import Pipeline
from bot.ratelimit import RateLimiter
from bot.scheduler import PushScheduler
from bot.wecom_api import WecomClient

CONFIG = web.AppKey("config", Config)
ENGINE = web.AppKey("engine", Engine)
PIPELINE = web.AppKey("pipeline", Pipeline)
HTTP = web.AppKey("http", aiohttp.ClientSession)
OUTBOX = web.AppKey("outbox", OutboxWorker)
SCHEDULER = web.AppKey("scheduler", PushScheduler)
WECOM = web.AppKey("wecom", WecomClient)  # one client, one token cache: sends and media downloads
BLOBS = web.AppKey("blobs", object)  # storage.blobs.BlobStore
FETCHER = web.AppKey("fetcher", MediaFetcher)
LIMITER = web.AppKey("limiter", RateLimiter)
AIBOT_WS = web.AppKey("aibot_ws", AibotSocket)  # the AI bot's long connection ([wecom.aibot] mode = "websocket")
