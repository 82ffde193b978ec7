"""Signed JSON bridge for other WeChat-style groups (a personal-WeChat bridge, a self-hosted chat).

Request: ``{"msg_id", "chat_id", "sender_id", "sender_name", "text", "sent_at"}`` with header
``X-Gridbot-Signature: sha256=<hex HMAC-SHA256 of the raw body>``. Response: ``{"reply", "ticket"}``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
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


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


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

    def __init__(self, secret: str) -> None:
        self._secret = secret

    async def receive(self, request: web.Request, body: bytes) -> tuple[InboundMessage, None]:
        if not self._secret:
            raise BadSignature("bridge secret not configured")
        given = request.headers.get(SIGNATURE_HEADER, "")
        if not hmac.compare_digest(given.encode(), sign(self._secret, body).encode()):
            raise BadSignature("bridge signature mismatch" if given else "bridge signature missing")
        data = jsonguard.loads(body, "bridge body")
        if not isinstance(data, dict):
            raise BadPayload("bridge body is not a JSON object")
        try:
            m = BridgeMessage.model_validate(data)
        except ValidationError as e:
            fields = ", ".join(".".join(map(str, err["loc"])) or "body" for err in e.errors())
            raise BadPayload(f"bridge body invalid: {fields}") from None
        msg = InboundMessage(
            channel=self.name, msg_id=m.msg_id, sender_id=m.sender_id, text=m.text,
            sent_at=(m.sent_at or datetime.now(UTC)).astimezone(UTC), chat_id=m.chat_id or None,
            sender_name=m.sender_name,
        )
        return msg, None

    def respond(self, reply: Reply, state: None) -> web.Response:
        return web.json_response({"reply": reply.text, "ticket": reply.ticket},
                                 dumps=lambda o: json.dumps(o, ensure_ascii=False))
