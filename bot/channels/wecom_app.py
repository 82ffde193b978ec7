"""WeCom self-built app (企业微信自建应用) callback: encrypted XML in, encrypted XML passive reply out.

GET  /wecom/callback?msg_signature&timestamp&nonce&echostr  URL verification: answer the decrypted echostr.
POST /wecom/callback?msg_signature&timestamp&nonce          ``<xml><ToUserName/><Encrypt/><AgentID/></xml>``.

Every XML body (outer and decrypted) is parsed with defusedxml with DTDs forbidden, so XXE and entity
expansion are refused (400) before anything is stored. The inner XML becomes a dict and then a wechatpy
message from its registries. Messages reach the pipeline through ``CONTENT``, a registry from ``MsgType`` to
a reader of its fields: text, image (``PicUrl``, ``MediaId``), voice (``MediaId``, ``Format``, and
``Recognition`` when speech recognition is on: then classified like text), video, file, location
(``Location_X``, ``Location_Y``, ``Scale``, ``Label``) and link. Media ids are fetched later, in the
background, through the media API; the passive reply never waits for them. Events and unknown types are
answered with an empty 200 (WeCom accepts an empty body).
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from aiohttp import web
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from wechatpy.enterprise.events import EVENT_TYPES
from wechatpy.enterprise.messages import MESSAGE_TYPES
from wechatpy.enterprise.replies import TextReply
from wechatpy.messages import BaseMessage, UnknownMessage

from bot.channels import wecom_cards
from bot.channels.base import Content
from bot.channels.wecom_base import WecomAdapter
from bot.channels.wecom_crypto import WecomCrypto
from handlers.errors import BadPayload
from handlers.messages import Attachment, InboundMessage, Pin, Reply

log = logging.getLogger("gridbot.wecom_app")

MAX_MSG_ID, MAX_USER_ID = 128, 100  # the inbound table's column sizes: longer ids are refused, not truncated

_REPLY_XML = (
    "<xml><Encrypt><![CDATA[{encrypt}]]></Encrypt><MsgSignature><![CDATA[{signature}]]></MsgSignature>"
    "<TimeStamp>{timestamp}</TimeStamp><Nonce><![CDATA[{nonce}]]></Nonce></xml>"
)


def parse_xml(data: bytes | str, what: str) -> Element:
    """Parse untrusted XML: no DTD, no entities, no external references; ``BadPayload`` on any failure."""
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as e:
        raise BadPayload(f"{what}: forbidden XML construct ({type(e).__name__})") from None
    except (ParseError, ValueError, UnicodeError) as e:
        raise BadPayload(f"{what}: not well-formed XML: {e}") from None
    if root.tag != "xml":
        raise BadPayload(f"{what}: root element is <{root.tag}>, not <xml>")
    return root


def xml_to_dict(root: Element) -> dict[str, Any]:
    """Children of ``<xml>`` as a dict (nested elements become dicts, the first of repeated tags wins)."""
    out: dict[str, Any] = {}
    for child in root:
        if child.tag in out:
            continue
        out[child.tag] = xml_to_dict(child) if len(child) else (child.text or "")
    return out


def wechat_message(data: dict[str, Any]) -> BaseMessage:
    """The wechatpy message object for ``data``, chosen from wechatpy's enterprise registries."""
    msg_type = str(data.get("MsgType", "")).lower()
    if msg_type == "event":
        cls = EVENT_TYPES.get(str(data.get("Event", "")).lower(), UnknownMessage)
    else:
        cls = MESSAGE_TYPES.get(msg_type, UnknownMessage)
    return cls(data)


def _selected(inner: Element) -> list[tuple[str, tuple[str, ...]]]:
    """``SelectedItems`` of a vote or multiple-choice card: repeated tags, read from the XML itself."""
    out = []
    for item in inner.iterfind("SelectedItems/SelectedItem"):
        question = (item.findtext("QuestionKey") or "").strip()
        if question:
            out.append((question, tuple((o.text or "").strip() for o in item.iterfind("OptionIds/OptionId"))))
    return out


def _cdata(text: str) -> str:
    """Text safe inside one CDATA section (``]]>`` would end it)."""
    return text.replace("]]>", "]]]]><![CDATA[>")


Reader = Callable[[dict[str, Any]], Content]
CONTENT: dict[str, Reader] = {}  # MsgType → reader of its fields


def content_type(*msg_types: str) -> Callable[[Reader], Reader]:
    def register(reader: Reader) -> Reader:
        for t in msg_types:
            CONTENT[t] = reader
        return reader

    return register


def _field(data: dict[str, Any], key: str, what: str, max_len: int = 512) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip() or len(value) > max_len:
        raise BadPayload(f"{what} message: {key} missing or too long")
    return value.strip()


def _media(data: dict[str, Any], kind: str, **extra: Any) -> Attachment:
    return Attachment(kind=kind, source="wecom_media", ref=_field(data, "MediaId", kind), **extra)


@content_type("text")
def _text(data: dict[str, Any]) -> Content:
    content = data.get("Content")
    if not isinstance(content, str):
        raise BadPayload("text message: Content missing")
    return Content(text=content)


@content_type("image")
def _image(data: dict[str, Any]) -> Content:
    return Content(attachments=(_media(data, "image"),))


@content_type("voice")
def _voice(data: dict[str, Any]) -> Content:
    fmt = data.get("Format")
    recognition = data.get("Recognition")
    text = recognition.strip() if isinstance(recognition, str) else ""
    return Content(text=text, attachments=(_media(data, "voice", format=fmt if isinstance(fmt, str) else None),))


@content_type("video", "shortvideo")
def _video(data: dict[str, Any]) -> Content:
    return Content(attachments=(_media(data, "video"),))


@content_type("file")
def _file(data: dict[str, Any]) -> Content:
    name = data.get("FileName") if isinstance(data.get("FileName"), str) else None
    return Content(attachments=(_media(data, "file", name=name),))


def _coordinate(data: dict[str, Any], key: str, bound: float) -> float:
    try:
        value = float(str(data.get(key, "")).strip())
    except ValueError:
        raise BadPayload(f"location message: {key} is not a number") from None
    if not math.isfinite(value) or abs(value) > bound:
        raise BadPayload(f"location message: {key} out of range")
    return value


@content_type("location")
def _location(data: dict[str, Any]) -> Content:
    label = data.get("Label") if isinstance(data.get("Label"), str) else ""
    pin = Pin(lat=_coordinate(data, "Location_X", 90), lng=_coordinate(data, "Location_Y", 180),
              label=label.strip()[:200])
    return Content(location=pin)


@content_type("link")
def _link(data: dict[str, Any]) -> Content:
    url = _field(data, "Url", "link", 2000)
    title = data.get("Title") if isinstance(data.get("Title"), str) else ""
    description = data.get("Description") if isinstance(data.get("Description"), str) else ""
    text = "\n".join(p.strip() for p in (title, description) if p and p.strip())
    return Content(text=text, attachments=(Attachment(kind="link", source="none", ref=url, name=title[:200] or None),))


@dataclass(frozen=True, slots=True)
class AppState:
    timestamp: str
    nonce: str
    message: BaseMessage | None


class WecomAppAdapter(WecomAdapter):
    name = "wecom_app"
    path = "/wecom/callback"

    def __init__(self, token: str, encoding_aes_key: str, corp_id: str, replay_window: int = 300) -> None:
        super().__init__(token, encoding_aes_key, corp_id, configured=bool(token and encoding_aes_key and corp_id),
                         replay_window=replay_window)

    def parse(self, crypto: WecomCrypto, body: bytes, signature: str, timestamp: str,
              nonce: str) -> tuple[InboundMessage | None, AppState]:
        outer = parse_xml(body, "callback body")
        encrypt = outer.findtext("Encrypt")
        if not encrypt:
            raise BadPayload("callback body has no <Encrypt>")
        plain = crypto.verify_and_decrypt(signature, timestamp, nonce, encrypt)
        inner = parse_xml(plain, "decrypted message")
        data = xml_to_dict(inner)
        message = wechat_message(data)
        if str(data.get("MsgType", "")).lower() == "event" and data.get("Event") == "template_card_event":
            return self._card_event(data, inner), AppState(timestamp, nonce, None)  # answered by the outbox
        state = AppState(timestamp, nonce, message)
        reader = CONTENT.get(str(data.get("MsgType", "")).lower())
        if reader is None:
            log.info("callback.ignored channel=%s type=%s event=%s", self.name, message.type,
                     getattr(message, "event", None))
            return None, state
        return self._inbound(data, reader), state

    def _card_event(self, data: dict[str, Any], inner: Element) -> InboundMessage:
        """A press on a card (模板卡片事件推送): stored once per person, card, button and moment, so a platform
        retry is the same message and a double tap a second one (which the card, done by then, refuses)."""
        sender, created = str(data.get("FromUserName") or ""), str(data.get("CreateTime") or "")
        if not sender or len(sender) > MAX_USER_ID:
            raise BadPayload("template_card_event: FromUserName missing or too long")
        if not created.isdigit() or len(created) > 12:
            raise BadPayload("template_card_event: CreateTime missing or not a number")
        action = wecom_cards.app_event(data, _selected(inner))
        ident = "|".join((sender, action.task_id, action.event_key, created, repr(action.selected)))
        msg_id = "card:" + hashlib.sha256(ident.encode()).hexdigest()[:40]
        return InboundMessage(channel=self.name, msg_id=msg_id, sender_id=sender, text=action.event_key[:500],
                              sent_at=datetime.fromtimestamp(int(created), UTC), chat_id=None, card=action)

    def _inbound(self, data: dict[str, Any], reader: Reader) -> InboundMessage:
        what = f"{str(data.get('MsgType')).lower()} message"
        msg_id, sender = str(data.get("MsgId") or ""), str(data.get("FromUserName") or "")
        if not msg_id.isdigit() or len(msg_id) > MAX_MSG_ID:
            raise BadPayload(f"{what}: MsgId missing or not a number")
        if not sender or len(sender) > MAX_USER_ID:
            raise BadPayload(f"{what}: FromUserName missing or too long")
        content = reader(data)
        if not str(data.get("AgentID") or "0").isdigit():
            raise BadPayload(f"{what}: AgentID is not a number")
        created = str(data.get("CreateTime") or "")
        if not created.isdigit() or len(created) > 12:
            raise BadPayload(f"{what}: CreateTime missing or not a number")
        return InboundMessage(
            channel=self.name, msg_id=msg_id, sender_id=sender, text=content.text,
            sent_at=datetime.fromtimestamp(int(created), UTC), chat_id=None,
            attachments=content.attachments, location=content.location,
        )

    def respond(self, reply: Reply, state: AppState) -> web.Response:
        if reply.text is None or state.message is None:
            return web.Response(status=200, body=b"")
        crypto = self._crypto()
        m = state.message
        text = TextReply(source=crypto.receive_id, target=m._data["FromUserName"],
                         agent=m._data.get("AgentID") or 0,
                         time=int(state.timestamp), content=_cdata(reply.text)).render()
        encrypt, signature = crypto.encrypt(text, state.nonce, state.timestamp)
        xml = _REPLY_XML.format(encrypt=encrypt, signature=signature, timestamp=state.timestamp,
                                nonce=_cdata(state.nonce))
        return web.Response(text=xml, content_type="application/xml")
