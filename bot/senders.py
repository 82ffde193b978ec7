"""From an outbox row to the one call that delivers it: app user, app group chat, group robot, bridge or the AI
bot's long connection.

A row's ``body`` is the message content as the platform takes it (``{"content": ...}`` for text and
markdown, optionally ``"mentioned_list"``; ``{"base64", "md5"}`` for an image, or ``{"blob": sha256,
"content_type", "name"}`` for an attachment read from the blob store when it is sent). Each target kind renders it
for its API. Errors are the client's two kinds: ``Retryable`` and ``Permanent``.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol

import aiohttp

from bot.channels import wecom_cards
from bot.channels.bridge import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from bot.wecom_api import Image, Permanent, Retryable, WecomClient, classify
from storage.blobs import BlobNotFound, BlobStore
from storage.models import Outbox

log = logging.getLogger(__name__)


USER_ONLY = ("template_card", "update_card", "recall")  # app messages to people: what renders and recalls


class RobotLimiter:
    """WeCom lets a group robot send 20 messages a minute: a sliding window per robot key, in this process.

    ``reserve(key)`` takes a slot and returns 0, or returns how many seconds to wait for the next one.
    Across processes the robot's own 45009 answer is the backstop (retried later).
    """

    def __init__(self, per_minute: int = 20, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._now = monotonic
        self._sent: dict[str, deque[float]] = {}

    def reserve(self, key: str) -> float:
        now = self._now()
        window = self._sent.setdefault(key, deque())
        while window and now - window[0] >= 60.0:
            window.popleft()
        if len(window) >= self.per_minute:
            return 60.0 - (now - window[0])
        window.append(now)
        return 0.0

    def penalise(self, key: str) -> None:
        """The robot said 45009: count its window as full (another process may be sending to it too)."""
        window = self._sent.setdefault(key, deque())
        now = self._now()
        while len(window) < self.per_minute:
            window.append(now)


class RateLimited(Exception):
    def __init__(self, wait: float) -> None:
        super().__init__(f"robot window full, next slot in {wait:.1f}s")
        self.wait = wait


class AibotPusher(Protocol):
    """The AI bot's long connection as the senders see it (bot/aibot_socket.py)."""

    @property
    def connected(self) -> bool: ...

    async def push(self, chatid: str, text: str) -> None: ...


def _text_of(body: dict) -> str:
    return str(body.get("content", ""))


class Senders:
    def __init__(self, wecom: WecomClient, http: aiohttp.ClientSession, *, limiter: RobotLimiter,
                 bridge_url: str | None = None, bridge_secret: str = "", timeout: float = 10.0,
                 blobs: BlobStore | None = None, aibot: AibotPusher | None = None) -> None:
        self.wecom = wecom
        self.aibot = aibot
        self.blobs = blobs
        self._http = http
        self.limiter = limiter
        self._bridge_url = bridge_url
        self._bridge_secret = bridge_secret
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    def unavailable_kinds(self) -> tuple[str, ...]:
        """Kinds this process cannot send now but another may: AI bot rows while the connection is elsewhere."""
        return ("aibot",) if self.aibot is not None and not self.aibot.connected else ()

    async def send(self, row: Outbox) -> str | None:
        """Deliver ``row``; returns the platform's message id when it gives one (app messages: for recall)."""
        handler = getattr(self, f"_to_{row.target_kind}", None)
        if handler is None:
            raise Permanent(f"unknown target kind {row.target_kind!r}")
        if row.msgtype not in ("text", "markdown", "image", *USER_ONLY):
            raise Permanent(f"unknown msgtype {row.msgtype!r}")
        if row.msgtype in USER_ONLY and row.target_kind != "user":
            raise Permanent(f"{row.msgtype} goes to app users only, not {row.target_kind}")
        return await handler(row)

    async def _to_user(self, row: Outbox) -> str | None:
        if row.msgtype == "update_card":
            return await self._update_card(row)
        if row.msgtype == "recall":
            await self.wecom.recall(str(row.body["msgid"]))
            return None
        if row.msgtype == "template_card":
            body = await self.wecom.send_message(row.target, "template_card", wecom_cards.render(row.body["card"]))
            return str(body.get("msgid") or "") or None
        msgtype, content = await self._app_content(row)
        body = await self.wecom.send_message(row.target, msgtype, content)
        return str(body.get("msgid") or "") or None

    async def _update_card(self, row: Outbox) -> str | None:
        """The pressed card updated in place; its ResponseCode spent or expired: a short message instead."""
        try:
            await self.wecom.update_template_card(row.target, str(row.body["response_code"]),
                                                  str(row.body["replace_name"]))
            return None
        except Permanent as e:
            log.info("card.update_fell_back to=user:%s reason=%s", row.target, e.reason)
        body = await self.wecom.send_message(row.target, "text", {"content": _text_of(row.body)})
        return str(body.get("msgid") or "") or None

    async def _to_appchat(self, row: Outbox) -> None:
        msgtype, content = await self._app_content(row)
        await self.wecom.send_appchat(row.target, msgtype, content)

    async def _image(self, row: Outbox) -> tuple[bytes, str]:
        """An image row's bytes and content type: inline base64, or a blob read now."""
        if "blob" in row.body:
            if self.blobs is None:
                raise Permanent("image from the blob store, but no blob store here")
            import asyncio

            try:
                data = await asyncio.to_thread(self.blobs.get, str(row.body["blob"]))
            except BlobNotFound:
                raise Permanent("the attachment's file is gone (purged?)") from None
            return data, str(row.body.get("content_type") or "image/jpeg")
        return Image(row.body["base64"], row.body["md5"]).data(), "image/png"

    async def _app_content(self, row: Outbox) -> tuple[str, dict]:
        if row.msgtype == "image":  # the app API takes a media_id: upload first (valid three days)
            data, ctype = await self._image(row)
            ext = ctype.rsplit("/", 1)[-1].replace("jpeg", "jpg")
            media_id = await self.wecom.upload_media(data, filename=f"image.{ext}", content_type=ctype)
            return "image", {"media_id": media_id}
        return row.msgtype, {"content": _text_of(row.body)}

    async def _to_robot(self, row: Outbox) -> None:
        wait = self.limiter.reserve(row.target)
        if wait > 0:
            raise RateLimited(wait)
        if row.msgtype == "image":
            if "blob" in row.body:
                img = Image.of((await self._image(row))[0])
                content = {"base64": img.base64, "md5": img.md5}
            else:
                content = {"base64": row.body["base64"], "md5": row.body["md5"]}
        else:
            content = {"content": _text_of(row.body)}
            if row.msgtype == "text" and row.body.get("mentioned_list"):
                content["mentioned_list"] = list(row.body["mentioned_list"])
        try:
            await self.wecom.send_robot(row.target, row.msgtype, content)
        except Retryable as e:
            if e.errcode == 45009:
                self.limiter.penalise(row.target)
            raise

    async def _to_aibot(self, row: Outbox) -> None:
        if self.aibot is None:
            raise Permanent('aibot push impossible: [wecom.aibot] mode is not "websocket"')
        if row.msgtype == "image":
            raise Permanent("aibot push: the long connection sends text and markdown here, not images")
        await self.aibot.push(row.target, _text_of(row.body))

    async def _to_aibot_reply(self, row: Outbox) -> None:
        """A later answer through a message's response_url (智能机器人 主动回复消息, document/path/101138): POST
        markdown to the URL itself, no token. It takes one answer, within the hour: a refusal is final."""
        if row.msgtype == "image":
            raise Permanent("aibot reply: a response_url takes markdown or a card here, not an image")
        payload = {"msgtype": "markdown", "markdown": {"content": _text_of(row.body)[:20000]}}
        try:
            async with self._http.post(row.target, json=payload, timeout=self._timeout) as resp:
                if resp.status >= 500 or resp.status in (408, 429):
                    raise Retryable(f"aibot reply: HTTP {resp.status}")
                data = await resp.json(content_type=None)
        except (TimeoutError, aiohttp.ClientError, ValueError) as e:
            raise Retryable(f"aibot reply: {type(e).__name__} {e}".strip()) from None
        if not isinstance(data, dict):
            raise Permanent(f"aibot reply: HTTP {resp.status} without a JSON object")
        code = data.get("errcode", 0)
        if code != 0:
            raise classify(code if isinstance(code, int) else -1, str(data.get("errmsg", ""))[:200], "aibot reply")

    async def _to_bridge(self, row: Outbox) -> None:
        if not self._bridge_url:
            raise Permanent("bridge push impossible: [bridge] outbound_url is not configured")
        out = {"chat_id": row.target, "text": _text_of(row.body),
               "mentioned": list(row.body.get("mentioned_list") or [])}
        if row.msgtype == "image":  # the bridge takes files as "attachments", like its inbound messages
            data, ctype = await self._image(row)
            out["attachments"] = [{"type": "image", "name": str(row.body.get("name") or "") or None,
                                   "content_type": ctype, "size": len(data),
                                   "data": base64.b64encode(data).decode("ascii")}]
        payload = json.dumps(out, ensure_ascii=False).encode()
        stamp = str(int(time.time()))
        headers = {SIGNATURE_HEADER: sign(self._bridge_secret, payload, stamp), TIMESTAMP_HEADER: stamp,
                   "Content-Type": "application/json"}
        try:
            async with self._http.post(self._bridge_url, data=payload, headers=headers,
                                       timeout=self._timeout) as resp:
                if resp.status >= 500 or resp.status in (408, 429):
                    raise Retryable(f"bridge: HTTP {resp.status}")
                if resp.status >= 400:
                    raise Permanent(f"bridge: HTTP {resp.status}")
                reply = await resp.read()
        except (TimeoutError, aiohttp.ClientError) as e:
            raise Retryable(f"bridge: {type(e).__name__} {e}".strip()) from None
        check_bridge_reply(resp.status, reply)


def check_bridge_reply(status: int, body: bytes) -> None:
    """The bridge's reply contract (README): a 2xx with the JSON object ``{"ok": true}`` is delivered.
    ``{"ok": false, "error": "..."}`` is a failure the bridge reports (retried, bounded); any other body means
    the URL is not a gridbot bridge (given up at once). Either way the reason names what came back."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        data = None
    if isinstance(data, dict) and data.get("ok") is True:
        return
    shown = body[:200].decode("utf-8", "replace")
    if isinstance(data, dict) and data.get("ok") is False:
        raise Retryable(f"bridge: HTTP {status} ok=false error={str(data.get('error', ''))[:200]!r}")
    raise Permanent(f"bridge: HTTP {status} without {{\"ok\": true}}: {shown!r}")
