"""What the two WeCom callbacks share: their crypto, refusal when not configured, and URL verification."""

from __future__ import annotations

import logging
from abc import abstractmethod
from typing import Any

from aiohttp import web

from bot.channels.base import Adapter
from bot.channels.wecom_crypto import WecomCrypto, query_params
from handlers.errors import BadSignature
from handlers.messages import InboundMessage

log = logging.getLogger("gridbot.wecom")


class WecomAdapter(Adapter):
    """A WeCom callback channel. Empty credentials leave it unconfigured: every request is refused (403)."""

    def __init__(self, token: str, encoding_aes_key: str, receive_id: str, *, configured: bool,
                 replay_window: int = 300) -> None:
        self.configured = configured
        self.crypto = (WecomCrypto(token, encoding_aes_key, receive_id, replay_window=replay_window)
                       if configured else None)
        if not configured:
            log.warning("channel.unconfigured channel=%s: every request is refused", self.name)

    def _crypto(self) -> WecomCrypto:
        if self.crypto is None:
            raise BadSignature(f"{self.name} channel not configured")
        return self.crypto

    async def receive(self, request: web.Request, body: bytes) -> tuple[InboundMessage | None, Any]:
        crypto = self._crypto()
        signature, timestamp, nonce = query_params(request.query, "msg_signature", "timestamp", "nonce")
        return self.parse(crypto, body, signature, timestamp, nonce)

    @abstractmethod
    def parse(self, crypto: WecomCrypto, body: bytes, signature: str, timestamp: str,
              nonce: str) -> tuple[InboundMessage | None, Any]:
        """Verify, decrypt and read one callback body (``timestamp`` and ``nonce`` also sign the reply)."""

    async def verify_url(self, request: web.Request) -> web.Response:
        """GET on the callback URL when it is saved in the WeCom console: answer the decrypted echostr."""
        crypto = self._crypto()
        signature, timestamp, nonce, echostr = query_params(
            request.query, "msg_signature", "timestamp", "nonce", "echostr")
        echostr = echostr.replace(" ", "+")  # a '+' left un-escaped by a proxy arrives as a space
        plain = crypto.verify_and_decrypt(signature, timestamp, nonce, echostr)
        log.info("url.verified channel=%s", self.name)
        return web.Response(text=plain, content_type="text/plain")
