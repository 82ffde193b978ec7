"""WeCom self-built app (企业微信自建应用) callback: encrypted XML in, encrypted XML passive reply out.

GET  /wecom/callback?msg_signature&timestamp&nonce&echostr  URL verification: answer the decrypted echostr.
POST /wecom/callback?msg_signature&timestamp&nonce          ``<xml><ToUserName/><Encrypt/><AgentID/></xml>``.

Every XML body (outer and decrypted) is parsed with defusedxml with DTDs forbidden, so XXE and entity
expansion are refused (400) before anything is stored. The inner XML becomes a dict and then a wechatpy
message from its registries; only text messages reach the pipeline, everything else is answered with an
empty 200 (WeCom accepts an empty body).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from aiohttp import web
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from wechatpy.enterprise.events import EVENT_TYPES
from wechatpy.enterprise.messages import MESSAGE_TYPES, TextMessage
from wechatpy.enterprise.replies import TextReply
from wechatpy.messages import BaseMessage, UnknownMessage

from bot.channels.wecom_base import WecomAdapter
from bot.channels.wecom_crypto import WecomCrypto
from handlers.errors import BadPayload
from handlers.messages import InboundMessage, Reply

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


def _cdata(text: str) -> str:
    """Text safe inside one CDATA section (``]]>`` would end it)."""
    return text.replace("]]>", "]]]]><![CDATA[>")


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
        message = wechat_message(xml_to_dict(inner))
        state = AppState(timestamp, nonce, message)
        if not isinstance(message, TextMessage):
            log.info("callback.ignored channel=%s type=%s event=%s", self.name, message.type,
                     getattr(message, "event", None))
            return None, state
        return self._inbound(message), state

    def _inbound(self, m: TextMessage) -> InboundMessage:
        data = m._data
        msg_id, sender = str(data.get("MsgId") or ""), str(data.get("FromUserName") or "")
        if not msg_id.isdigit() or len(msg_id) > MAX_MSG_ID:
            raise BadPayload("text message: MsgId missing or not a number")
        if not sender or len(sender) > MAX_USER_ID:
            raise BadPayload("text message: FromUserName missing or too long")
        content = data.get("Content")
        if not isinstance(content, str):
            raise BadPayload("text message: Content missing")
        if not str(data.get("AgentID") or "0").isdigit():
            raise BadPayload("text message: AgentID is not a number")
        created = str(data.get("CreateTime") or "")
        if not created.isdigit() or len(created) > 12:
            raise BadPayload("text message: CreateTime missing or not a number")
        return InboundMessage(
            channel=self.name, msg_id=msg_id, sender_id=sender, text=content,
            sent_at=datetime.fromtimestamp(int(created), UTC), chat_id=None,
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
