"""Signed JSON bridge for other WeChat-style groups (a personal-WeChat bridge, a self-hosted chat).

Request: ``{"msg_id", "chat_id", "sender_id", "sender_name", "text", "sent_at"}`` with headers
``X-Gridbot-Timestamp: <unix seconds>`` and ``X-Gridbot-Signature: sha256=<hex HMAC-SHA256 of
"<timestamp>." + raw body>``. A timestamp outside the replay window, or a chat not listed in
``[bridge] chat_ids``, is refused (403). Response: ``{"reply", "ticket"}``.

The bridge has its own id space: its ``sender_id`` becomes ``bridge:<sender_id>``, a person of its own,
never a member of the organisation unless mapped (``[bridge] members``) or linked with 「绑定」 by that member
(``handlers.identity``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.channels import jsonguard
from bot.channels.base import Adapter
from bot.channels.clean import clean_text
from handlers.errors import BadPayload, BadSignature
from handlers.messages import InboundMessage, Reply

SIGNATURE_HEADER = "X-Gridbot-Signature"
TIMESTAMP_HEADER = "X-Gridbot-Timestamp"
ID_PREFIX = "bridge:"


def sign(secret: str, body: bytes, timestamp: str | int) -> str:
    """The signature of one request: HMAC-SHA256 over ``"<timestamp>." + body``."""
    return "sha256=" + hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


class BridgeMessage(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)
    msg_id: Annotated[str, Field(min_length=1, max_length=128)]
    chat_id: Annotated[str | None, Field(max_length=200)] = None
    sender_id: Annotated[str, Field(min_length=1, max_length=100)]
    sender_name: Annotated[str | None, Field(max_length=100)] = None
    text: Annotated[str, Field(max_length=4000)]
    sent_at: datetime | None = None

    @field_validator("msg_id", "sender_id", "chat_id", mode="before")
    @classmethod
    def _ids_as_text(cls, v: Any) -> Any:
        return str(v) if isinstance(v, int) and not isinstance(v, bool) else v

    @field_validator("text", "sender_name", mode="before")
    @classmethod
    def _storable(cls, v: Any) -> Any:
        # the edge's one rule (bot/channels/clean.py), applied before pydantic refuses a lone surrogate
        return clean_text(v) if isinstance(v, str) else v

    @field_validator("sent_at")
    @classmethod
    def _aware(cls, v: datetime | None) -> datetime | None:
        if v is not None and v.tzinfo is None:
            raise ValueError("sent_at needs a time zone (e.g. +08:00 or Z)")
        return v


class BridgeAdapter(Adapter):
    name = "bridge"
    path = "/bridge/message"

    def __init__(self, secret: str, *, chat_ids: list[str] | tuple[str, ...] = (), replay_window: int = 300,
                 clock: Callable[[], float] = time.time) -> None:
        self._secret = secret
        self._chats = frozenset(chat_ids)
        self._window = replay_window
        self._clock = clock

    async def receive(self, request: web.Request, body: bytes) -> tuple[InboundMessage, None]:
        if not self._secret:
            raise BadSignature("bridge secret not configured")
        stamp = request.headers.get(TIMESTAMP_HEADER, "").strip()
        if not stamp.isdigit() or len(stamp) > 12:
            raise BadSignature("bridge timestamp missing or not unix seconds")
        given = request.headers.get(SIGNATURE_HEADER, "")
        if not hmac.compare_digest(given.encode(), sign(self._secret, body, stamp).encode()):
            raise BadSignature("bridge signature mismatch" if given else "bridge signature missing")
        if self._window and abs(self._clock() - int(stamp)) > self._window:
            raise BadSignature(f"bridge timestamp {stamp} outside the replay window of {self._window}s")
        data = jsonguard.loads(body, "bridge body")
        if not isinstance(data, dict):
            raise BadPayload("bridge body is not a JSON object")
        try:
            m = BridgeMessage.model_validate(data)
        except ValidationError as e:
            fields = ", ".join(".".join(map(str, err["loc"])) or "body" for err in e.errors())
            raise BadPayload(f"bridge body invalid: {fields}") from None
        # (an id with control characters is refused as bad payload by the edge's one rule, bot/channels/clean.py)
        if m.chat_id and m.chat_id not in self._chats and clean_text(m.chat_id) == m.chat_id:
            raise BadSignature(f"bridge chat {m.chat_id!r} not in [bridge] chat_ids")
        msg = InboundMessage(
            channel=self.name, msg_id=m.msg_id, sender_id=ID_PREFIX + m.sender_id, text=m.text,
            sent_at=(m.sent_at or datetime.now(UTC)).astimezone(UTC), chat_id=m.chat_id or None,
            sender_name=m.sender_name,
        )
        return msg, None

    def respond(self, reply: Reply, state: None) -> web.Response:
        return web.json_response({"reply": reply.text, "ticket": reply.ticket},
                                 dumps=lambda o: json.dumps(o, ensure_ascii=False))
