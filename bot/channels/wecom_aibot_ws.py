"""The AI bot's long-connection (WebSocket) protocol: frames in and out, and a message frame's body read into
the same ``InboundMessage`` the callback channel produces.

Protocol: 智能机器人长连接, https://developer.work.weixin.qq.com/document/path/101463 (the search tool only
holds that page's outline and overview; the frame shapes below follow the official SDK it links to,
github.com/WecomTeam/aibot-node-sdk, src/types/api.ts and src/ws.ts).

* The bot dials ``wss://openws.work.weixin.qq.com``; no public address and no message encryption.
* Every frame is one JSON text message ``{"cmd", "headers": {"req_id"}, "body"}``. An answer to a request
  carries the request's ``req_id`` and ``errcode``/``errmsg`` and no ``cmd``.
* ``aibot_subscribe`` (body ``bot_id``, ``secret``) first; errcode 0 means subscribed, anything else is a
  refusal (e.g. 853000 invalid bot_id or secret). A newer connection for the same bot replaces the older
  one, which is told so by the event ``disconnected_event``.
* ``ping`` (headers only) every 30 s keeps the connection; the platform answers each with errcode 0.
* ``aibot_msg_callback``: a user message, body as the callback's decrypted JSON (``msgid``, ``chattype``,
  ``chatid``, ``from.userid``, ``msgtype`` ...; images and files carry their own ``aeskey``).
  ``aibot_event_callback``: an event, body ``msgtype: "event"`` and ``event.eventtype``.
* Reply to a callback with ``aibot_respond_msg`` under the callback's own ``req_id``: body
  ``{"msgtype": "stream", "stream": {"id", "finish", "content"}}``. The platform answers the reply frame.
* Push with ``aibot_send_msg`` under a new ``req_id``: body ``{"chatid", "msgtype": "markdown",
  "markdown": {"content"}}``; ``chatid`` is the group's chatid or, 1:1, the person's userid.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

from bot.channels import jsonguard, wecom_aibot
from bot.channels.wecom_aibot import stream_id_for
from handlers.errors import BadPayload
from handlers.messages import InboundMessage, Reply

log = logging.getLogger("gridbot.aibot_ws")

DEFAULT_URL = "wss://openws.work.weixin.qq.com"
SUBSCRIBE = "aibot_subscribe"
PING = "ping"
RESPOND = "aibot_respond_msg"
RESPOND_UPDATE = "aibot_respond_update_msg"
SEND = "aibot_send_msg"
MSG_CALLBACK = "aibot_msg_callback"
EVENT_CALLBACK = "aibot_event_callback"
DISCONNECTED_EVENT = "disconnected_event"
CHANNEL = "wecom_aibot"  # the same channel as the callback: one bot, one msgid space, one dedup key
MAX_ID = {"msgid": 128, "userid": 100, "chatid": 200, "req_id": 256}
MAX_PUSH_BYTES = 20480  # markdown content limit, as the stream's


@dataclass(frozen=True, slots=True)
class Frame:
    req_id: str
    cmd: str | None = None
    body: dict[str, Any] = field(default_factory=dict)
    errcode: int | None = None
    errmsg: str = ""

    @property
    def ok(self) -> bool:
        return self.errcode == 0


def new_req_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


def _dumps(o: Any) -> str:
    return json.dumps(o, ensure_ascii=False, separators=(",", ":"))


def encode(frame: Frame) -> str:
    out: dict[str, Any] = {"headers": {"req_id": frame.req_id}}
    if frame.cmd is not None:
        out["cmd"] = frame.cmd
    if frame.body:
        out["body"] = frame.body
    return _dumps(out)


def decode(data: str | bytes) -> Frame:
    """One frame from the socket; ``BadPayload`` when it is not the protocol's shape."""
    obj = jsonguard.loads(data, "websocket frame")
    if not isinstance(obj, dict):
        raise BadPayload("websocket frame is not a JSON object")
    headers = obj.get("headers")
    req_id = headers.get("req_id") if isinstance(headers, dict) else None
    if not isinstance(req_id, str) or not req_id or len(req_id) > MAX_ID["req_id"]:
        raise BadPayload("websocket frame: headers.req_id missing or not a string")
    cmd = obj.get("cmd")
    if cmd is not None and not isinstance(cmd, str):
        raise BadPayload("websocket frame: cmd is not a string")
    body = obj.get("body")
    if body is not None and not isinstance(body, dict):
        raise BadPayload("websocket frame: body is not an object")
    errcode = obj.get("errcode")
    if errcode is not None and (not isinstance(errcode, int) or isinstance(errcode, bool)):
        raise BadPayload("websocket frame: errcode is not an integer")
    errmsg = obj.get("errmsg")
    return Frame(req_id=req_id, cmd=cmd or None, body=body or {}, errcode=errcode,
                 errmsg=errmsg if isinstance(errmsg, str) else "")


# --- frames we send -------------------------------------------------------------------------------------------


def subscribe(bot_id: str, secret: str) -> Frame:
    return Frame(new_req_id(SUBSCRIBE), SUBSCRIBE, {"bot_id": bot_id, "secret": secret})


def ping() -> Frame:
    return Frame(new_req_id(PING), PING)


def _cut(text: str, limit: int) -> str:
    return text.encode()[:limit].decode("utf-8", "ignore")


def push_markdown(chatid: str, text: str) -> Frame:
    return Frame(new_req_id(SEND), SEND,
                 {"chatid": chatid, "msgtype": "markdown", "markdown": {"content": _cut(text, MAX_PUSH_BYTES)}})


# --- a message frame's body -----------------------------------------------------------------------------------


def msg_id_of(body: dict[str, Any]) -> str | None:
    value = body.get("msgid")
    return value if isinstance(value, str) and value else None


def read_message(body: dict[str, Any]) -> InboundMessage | None:
    """The message an ``aibot_msg_callback`` carries, or the card press an ``aibot_event_callback`` with
    ``template_card_event`` carries: the callback channel's own reader (the bodies are the callback's decrypted
    JSON); None for what gridbot does not read (logged there)."""
    return wecom_aibot.read_message(body, CHANNEL)


def answer(req_id: str, reply: Reply, msg: InboundMessage) -> Frame | None:
    """The answer to one callback frame under its ``req_id``, with the callback channel's passive-reply bodies:
    to a message a finished stream (its id the message's, so a re-delivery answers alike) or a card; to a card
    press the card updated in place (``aibot_respond_update_msg``). None: say nothing."""
    event = msg.card is not None
    body = wecom_aibot.reply_payload(reply, stream_id_for(msg.msg_id), event=event)
    if body is None:
        return None
    return Frame(req_id, RESPOND_UPDATE if event else RESPOND, body)


def event_type(body: dict[str, Any]) -> str | None:
    event = body.get("event")
    value = event.get("eventtype") if isinstance(event, dict) else None
    return value if isinstance(value, str) else None
