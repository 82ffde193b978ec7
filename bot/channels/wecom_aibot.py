"""WeCom AI bot (企业微信智能机器人, API mode) callback: encrypted JSON in, encrypted JSON passive reply out.

Format from the official pages (developer.work.weixin.qq.com): 回调和回复的加解密方案 (document/path/101033),
接收消息 (path/100719) and 被动回复消息 (path/101031).

* URL verification: GET with msg_signature, timestamp, nonce, echostr, like the app; the receive id is "".
* Callback: POST ``{"encrypt": "..."}`` with msg_signature, timestamp, nonce in the query. The decrypted
  plaintext is JSON: ``msgid``, ``aibotid``, ``chatid`` (group only), ``chattype`` ("single" | "group"),
  ``from.userid``, ``response_url``, ``msgtype`` ("text" → ``text.content``, which starts with "@机器人名"
  in a group; "mixed" → ``mixed.msg_item[]``; "image", "voice", "file", "stream" refresh, "event", ...).
* Passive reply to a user message: a finished stream message
  ``{"msgtype": "stream", "stream": {"id", "finish": true, "content"}}`` (a plain "text" reply is only
  accepted for the welcome event), encrypted into ``{"encrypt", "msgsignature", "timestamp", "nonce"}``
  (all strings). Nothing to say: an empty 200.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from bot.channels import jsonguard
from bot.channels.wecom_base import WecomAdapter
from bot.channels.wecom_crypto import WecomCrypto
from handlers.errors import BadPayload
from handlers.messages import InboundMessage, Reply

log = logging.getLogger("gridbot.wecom_aibot")

AIBOT_RECEIVE_ID = ""  # 企业内部智能机器人场景中, ReceiveId 为 ""
MAX_MSG_ID, MAX_USER_ID, MAX_CHAT_ID = 128, 100, 200
MAX_STREAM_BYTES = 20480  # stream.content limit (UTF-8 bytes)


def _dumps(o: Any) -> str:
    return json.dumps(o, ensure_ascii=False, separators=(",", ":"))


def _json_object(data: bytes | str, what: str) -> dict[str, Any]:
    obj = jsonguard.loads(data, what)
    if not isinstance(obj, dict):
        raise BadPayload(f"{what} is not a JSON object")
    return obj


def _str(obj: dict[str, Any], key: str, what: str, max_len: int, *, required: bool = True) -> str | None:
    value = obj.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value or len(value) > max_len:
        raise BadPayload(f"{what}: {key} missing, not a string or longer than {max_len}")
    return value


def _text_of(msg: dict[str, Any], msgtype: str) -> str | None:
    """The text a person typed: ``text.content``, or the text items of a mixed message; None for others."""
    if msgtype == "text":
        text = msg.get("text")
        if not isinstance(text, dict) or not isinstance(text.get("content"), str):
            raise BadPayload("text message: text.content missing")
        return text["content"]
    if msgtype == "mixed":
        mixed = msg.get("mixed")
        items = mixed.get("msg_item") if isinstance(mixed, dict) else None
        if not isinstance(items, list):
            raise BadPayload("mixed message: mixed.msg_item missing")
        parts = [i["text"]["content"] for i in items
                 if isinstance(i, dict) and i.get("msgtype") == "text" and isinstance(i.get("text"), dict)
                 and isinstance(i["text"].get("content"), str)]
        return "\n".join(parts) if parts else None
    return None


@dataclass(frozen=True, slots=True)
class AibotState:
    timestamp: str
    nonce: str
    stream_id: str | None


def stream_id_for(msg_id: str) -> str:
    """The same message (a retry) gets the same stream id, so the reply is the same."""
    return hashlib.sha256(msg_id.encode()).hexdigest()[:32]


class WecomAibotAdapter(WecomAdapter):
    name = "wecom_aibot"
    path = "/wecom/aibot"

    def __init__(self, token: str, encoding_aes_key: str, replay_window: int = 300) -> None:
        super().__init__(token, encoding_aes_key, AIBOT_RECEIVE_ID, configured=bool(token and encoding_aes_key),
                         replay_window=replay_window)

    def parse(self, crypto: WecomCrypto, body: bytes, signature: str, timestamp: str,
              nonce: str) -> tuple[InboundMessage | None, AibotState]:
        outer = _json_object(body, "callback body")
        encrypt = outer.get("encrypt")
        if not isinstance(encrypt, str) or not encrypt:
            raise BadPayload("callback body has no encrypt string")
        plain = crypto.verify_and_decrypt(signature, timestamp, nonce, encrypt)
        msg = _json_object(plain, "decrypted message")
        msgtype = msg.get("msgtype")
        if not isinstance(msgtype, str) or not msgtype:
            raise BadPayload("decrypted message: msgtype missing")
        text = _text_of(msg, msgtype)
        if text is None:
            log.info("callback.ignored channel=%s msgtype=%s", self.name, msgtype)
            return None, AibotState(timestamp, nonce, None)
        what = f"{msgtype} message"
        msg_id = _str(msg, "msgid", what, MAX_MSG_ID)
        sender = msg.get("from")
        if not isinstance(sender, dict):
            raise BadPayload(f"{what}: from missing")
        user_id = _str(sender, "userid", what, MAX_USER_ID)
        chattype = msg.get("chattype")
        if chattype not in ("single", "group"):
            raise BadPayload(f"{what}: chattype must be single or group")
        chat_id = _str(msg, "chatid", what, MAX_CHAT_ID) if chattype == "group" else None
        inbound = InboundMessage(channel=self.name, msg_id=msg_id, sender_id=user_id, text=text,
                                 sent_at=datetime.now(UTC), chat_id=chat_id)
        return inbound, AibotState(timestamp, nonce, stream_id_for(msg_id))

    def respond(self, reply: Reply, state: AibotState) -> web.Response:
        if reply.text is None or state.stream_id is None:
            return web.Response(status=200, body=b"")
        content = reply.text.encode()[:MAX_STREAM_BYTES].decode("utf-8", "ignore")
        stream = {"id": state.stream_id, "finish": True, "content": content}
        plain = _dumps({"msgtype": "stream", "stream": stream})
        encrypt, signature = self._crypto().encrypt(plain, state.nonce, state.timestamp)
        body = _dumps({"encrypt": encrypt, "msgsignature": signature, "timestamp": state.timestamp,
                       "nonce": state.nonce})
        return web.Response(text=body, content_type="application/json")
