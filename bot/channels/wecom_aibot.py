"""WeCom AI bot (企业微信智能机器人, API mode) callback: encrypted JSON in, encrypted JSON passive reply out.

Format from the official pages (developer.work.weixin.qq.com): 回调和回复的加解密方案 (document/path/101033),
接收消息 (path/100719) and 被动回复消息 (path/101031).

* URL verification: GET with msg_signature, timestamp, nonce, echostr, like the app; the receive id is "".
* Callback: POST ``{"encrypt": "..."}`` with msg_signature, timestamp, nonce in the query. The decrypted
  plaintext is JSON: ``msgid``, ``aibotid``, ``chatid`` (group only), ``chattype`` ("single" | "group"),
  ``from.userid``, ``response_url``, ``msgtype`` ("text" → ``text.content``, which starts with "@机器人名"
  in a group; "mixed" → ``mixed.msg_item[]`` of text and image items; "image" → ``image.url``; "voice" →
  ``voice.content``, the platform's transcription; "file" → ``file.url``; "stream" refresh, "event", ...).
* Images and files at ``url`` are encrypted: AES-256-CBC with the bot's EncodingAESKey (IV its first 16
  bytes, PKCS#7 padding to 32 bytes), as the callback body; a per-message ``aeskey`` wins when present. The
  edge downloads and decrypts them after the message is stored (bot/fetcher.py).
* Passive reply to a user message: a finished stream message
  ``{"msgtype": "stream", "stream": {"id", "finish": true, "content"}}`` (a plain "text" reply is only
  accepted for the welcome event), encrypted into ``{"encrypt", "msgsignature", "timestamp", "nonce"}``
  (all strings). Nothing to say: an empty 200.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from bot.channels import jsonguard, wecom_cards
from bot.channels.base import Content
from bot.channels.wecom_base import WecomAdapter
from bot.channels.wecom_crypto import WecomCrypto
from handlers.errors import BadPayload
from handlers.messages import Attachment, InboundMessage, Reply

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


Reader = Callable[[dict[str, Any]], Content]
CONTENT: dict[str, Reader] = {}  # msgtype → reader of its fields


def content_type(*msgtypes: str) -> Callable[[Reader], Reader]:
    def register(reader: Reader) -> Reader:
        for t in msgtypes:
            CONTENT[t] = reader
        return reader

    return register


def _part(msg: dict[str, Any], key: str) -> dict[str, Any]:
    part = msg.get(key)
    if not isinstance(part, dict):
        raise BadPayload(f"{key} message: {key} missing")
    return part


def _encrypted(kind: str, part: dict[str, Any]) -> Attachment:
    url = part.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")) or len(url) > 4000:
        raise BadPayload(f"{kind} message: {kind}.url missing or not an http(s) URL")
    key = part.get("aeskey")
    name = part.get("filename") or part.get("name")
    return Attachment(kind=kind, source="aibot_url", ref=url, aes_key=key if isinstance(key, str) and key else None,
                      name=name if isinstance(name, str) else None)


@content_type("text")
def _text(msg: dict[str, Any]) -> Content:
    text = msg.get("text")
    if not isinstance(text, dict) or not isinstance(text.get("content"), str):
        raise BadPayload("text message: text.content missing")
    return Content(text=text["content"])


@content_type("image")
def _image(msg: dict[str, Any]) -> Content:
    return Content(attachments=(_encrypted("image", _part(msg, "image")),))


@content_type("file")
def _file(msg: dict[str, Any]) -> Content:
    return Content(attachments=(_encrypted("file", _part(msg, "file")),))


@content_type("voice")
def _voice(msg: dict[str, Any]) -> Content:
    content = _part(msg, "voice").get("content")
    if not isinstance(content, str):
        raise BadPayload("voice message: voice.content missing")
    return Content(text=content)  # the platform sends the transcription, not the recording


@content_type("mixed")
def _mixed(msg: dict[str, Any]) -> Content:
    mixed = msg.get("mixed")
    items = mixed.get("msg_item") if isinstance(mixed, dict) else None
    if not isinstance(items, list):
        raise BadPayload("mixed message: mixed.msg_item missing")
    parts, images = [], []
    for i in items:
        if not isinstance(i, dict):
            continue
        if i.get("msgtype") == "text" and isinstance(i.get("text"), dict) and isinstance(i["text"].get("content"), str):
            parts.append(i["text"]["content"])
        elif i.get("msgtype") == "image" and isinstance(i.get("image"), dict):
            images.append(_encrypted("image", i["image"]))
    if not parts and not images:
        raise BadPayload("mixed message: no text or image items")
    return Content(text="\n".join(parts), attachments=tuple(images))


@dataclass(frozen=True, slots=True)
class AibotState:
    timestamp: str
    nonce: str
    stream_id: str | None
    event: bool = False  # a card event: answered by updating the card, never by a stream


def stream_id_for(msg_id: str) -> str:
    """The same message (a retry) gets the same stream id, so the reply is the same."""
    return hashlib.sha256(msg_id.encode()).hexdigest()[:32]


def read_message(msg: dict[str, Any], channel: str = "wecom_aibot") -> InboundMessage | None:
    """One decrypted AI bot payload (callback, or the same JSON over the long connection) as the message the
    handlers take: a user message, or a press on a card (``template_card_event``); None for what needs no
    handling (other events, stream refreshes)."""
    msgtype = msg.get("msgtype")
    if not isinstance(msgtype, str) or not msgtype:
        raise BadPayload("decrypted message: msgtype missing")
    card = None
    if msgtype == "event":
        event = msg.get("event")
        if not isinstance(event, dict) or event.get("eventtype") != "template_card_event":
            log.info("callback.ignored channel=%s event=%s", channel,
                     event.get("eventtype") if isinstance(event, dict) else None)
            return None
        card = wecom_cards.aibot_event(event)
        content = Content(text=card.event_key[:500])
    else:
        reader = CONTENT.get(msgtype)
        if reader is None:
            log.info("callback.ignored channel=%s msgtype=%s", channel, msgtype)
            return None
        content = reader(msg)
    what = f"{msgtype} message"
    msg_id = _str(msg, "msgid", what, MAX_MSG_ID)  # an event's msgid too: the platform's key to drop retries
    sender = msg.get("from")
    if not isinstance(sender, dict):
        raise BadPayload(f"{what}: from missing")
    user_id = _str(sender, "userid", what, MAX_USER_ID)
    chattype = msg.get("chattype")
    if chattype not in ("single", "group"):
        raise BadPayload(f"{what}: chattype must be single or group")
    chat_id = _str(msg, "chatid", what, MAX_CHAT_ID) if chattype == "group" else None
    return InboundMessage(channel=channel, msg_id=msg_id, sender_id=user_id, text=content.text,
                          sent_at=datetime.now(UTC), chat_id=chat_id, attachments=content.attachments,
                          location=content.location, card=card, reply_url=_reply_url(msg))


def _reply_url(msg: dict[str, Any]) -> str | None:
    """``response_url`` (主动回复消息, document/path/101138): one later answer, within an hour. Only an http(s)
    URL of at most 200 characters is kept; anything else is ignored rather than refusing the message (the
    callback's signature already vouches for it)."""
    url = msg.get("response_url")
    if isinstance(url, str) and url.startswith(("https://", "http://")) and len(url) <= 200:
        return url
    return None


def reply_payload(reply: Reply, stream_id: str | None, *, event: bool = False) -> dict | None:
    """The AI bot's answer (plaintext JSON, before encryption) or None for silence: to a card event, the card
    updated in place for the one who pressed (被动回复消息, document/path/101031); to a message, a card when
    the handlers offer one (the clarifying question, the rating), else a finished stream."""
    if event:
        return wecom_cards.aibot_update(reply.card) if reply.card is not None else None
    if reply.card is not None:
        return wecom_cards.aibot_answer(reply.card)
    if reply.text is None or stream_id is None:
        return None
    content = reply.text.encode()[:MAX_STREAM_BYTES].decode("utf-8", "ignore")
    return {"msgtype": "stream", "stream": {"id": stream_id, "finish": True, "content": content}}


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
        inbound = read_message(_json_object(plain, "decrypted message"), self.name)
        if inbound is None:
            return None, AibotState(timestamp, nonce, None)
        return inbound, AibotState(timestamp, nonce, stream_id_for(inbound.msg_id), event=inbound.card is not None)

    def respond(self, reply: Reply, state: AibotState) -> web.Response:
        payload = reply_payload(reply, state.stream_id, event=state.event)
        if payload is None:
            return web.Response(status=200, body=b"")
        plain = _dumps(payload)
        encrypt, signature = self._crypto().encrypt(plain, state.nonce, state.timestamp)
        body = _dumps({"encrypt": encrypt, "msgsignature": signature, "timestamp": state.timestamp,
                       "nonce": state.nonce})
        return web.Response(text=body, content_type="application/json")
