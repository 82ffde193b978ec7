"""What every channel adapter does: turn a platform request into one ``InboundMessage`` and a ``Reply`` back."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from handlers.messages import Attachment, InboundMessage, Pin, Reply


@dataclass(frozen=True, slots=True)
class Content:
    """What one platform message type carries, in the shape of ``InboundMessage`` (each adapter keeps a
    registry from its message types to readers returning this)."""

    text: str = ""
    attachments: tuple[Attachment, ...] = ()
    location: Pin | None = None


class Adapter(ABC):
    """One platform. ``receive`` verifies and parses (raising ``BadSignature``/``BadPayload``) and returns the
    message (or None for an event that needs no handling) plus whatever ``respond`` needs to answer it."""

    name: str
    path: str

    @abstractmethod
    async def receive(self, request: web.Request, body: bytes) -> tuple[InboundMessage | None, Any]: ...

    @abstractmethod
    def respond(self, reply: Reply, state: Any) -> web.Response: ...

    async def verify_url(self, request: web.Request) -> web.Response:
        """GET on the callback URL; platforms without URL verification answer 405."""
        raise web.HTTPMethodNotAllowed("GET", ["POST"])
