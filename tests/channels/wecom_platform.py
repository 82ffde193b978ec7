"""A fake WeCom platform for tests: it encrypts and signs callbacks with the independent reference
implementation and opens the encrypted passive replies, as the real platform would."""

from __future__ import annotations

import itertools
import json
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, select

from tests.wecom_reference import Sender, sign

_ids = itertools.count(7_000_000_000_000_000_001)
_nonces = itertools.count(100_000_001)


def count(engine, model) -> int:
    with Session(engine) as s:
        return s.exec(select(func.count()).select_from(model)).one()


def now() -> str:
    return str(int(time.time()))


@dataclass
class Answer:
    status: int
    body: bytes
    plain: str | None = None  # the decrypted reply, if any

    @property
    def silent(self) -> bool:
        return self.status == 200 and self.body == b""


class Platform:
    """Shared by both channels: signing, query strings, URL verification."""

    path: str

    def __init__(self, client, token: str, encoding_aes_key: str, receive_id: str) -> None:
        self.client = client
        self.sender = Sender(token, encoding_aes_key, receive_id)
        self.token = token

    def query(self, encrypt: str, timestamp: str | None = None, nonce: str | None = None,
              signature: str | None = None) -> dict[str, str]:
        ts = timestamp or now()
        n = nonce or str(next(_nonces))
        sig = signature if signature is not None else sign(self.token, ts, n, encrypt)
        return {"msg_signature": sig, "timestamp": ts, "nonce": n}

    async def verify_url(self, echostr_plain: str, *, signature: str | None = None,
                         timestamp: str | None = None) -> tuple[int, str]:
        enc, _ = self.sender.seal(echostr_plain, "0", "0")
        params = self.query(enc, timestamp=timestamp, signature=signature) | {"echostr": enc}
        resp = await self.client.get(self.path, params=params)
        return resp.status, await resp.text()

    async def post_raw(self, body: bytes | str, params: dict[str, str]) -> Answer:
        resp = await self.client.post(self.path, data=body if isinstance(body, bytes) else body.encode(),
                                      params=params)
        return Answer(resp.status, await resp.read())


class WecomAppPlatform(Platform):
    path = "/wecom/callback"

    def __init__(self, client, config) -> None:
        w = config.wecom
        super().__init__(client, w.token, w.encoding_aes_key, w.corp_id)
        self.corp_id = w.corp_id

    def text_xml(self, text: str, *, sender: str = "zhaomin", msg_id: str | None = None) -> str:
        return (f"<xml><ToUserName><![CDATA[{self.corp_id}]]></ToUserName>\n"
                f"<FromUserName><![CDATA[{sender}]]></FromUserName>\n<CreateTime>{now()}</CreateTime>\n"
                f"<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[{text}]]></Content>\n"
                f"<MsgId>{msg_id or next(_ids)}</MsgId>\n<AgentID>1000002</AgentID>\n</xml>")

    def card_event_xml(self, *, sender: str, task_id: str, event_key: str, response_code: str,
                       card_type: str = "button_interaction", created: str | None = None,
                       selected: dict[str, list[str]] | None = None) -> str:
        """A press on a card as WeCom sends it (模板卡片事件推送, document/path/90376)."""
        items = "".join(
            f"<SelectedItem><QuestionKey><![CDATA[{q}]]></QuestionKey><OptionIds>"
            + "".join(f"<OptionId><![CDATA[{o}]]></OptionId>" for o in options) + "</OptionIds></SelectedItem>"
            for q, options in (selected or {}).items())
        return (f"<xml><ToUserName><![CDATA[{self.corp_id}]]></ToUserName>"
                f"<FromUserName><![CDATA[{sender}]]></FromUserName><CreateTime>{created or now()}</CreateTime>"
                f"<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[template_card_event]]></Event>"
                f"<EventKey><![CDATA[{event_key}]]></EventKey><TaskId><![CDATA[{task_id}]]></TaskId>"
                f"<CardType><![CDATA[{card_type}]]></CardType><ResponseCode><![CDATA[{response_code}]]></ResponseCode>"
                f"<AgentID>1000002</AgentID>" + (f"<SelectedItems>{items}</SelectedItems>" if items else "")
                + "</xml>")

    def envelope(self, encrypt: str) -> str:
        return (f"<xml><ToUserName><![CDATA[{self.corp_id}]]></ToUserName>"
                f"<Encrypt><![CDATA[{encrypt}]]></Encrypt><AgentID><![CDATA[1000002]]></AgentID></xml>")

    async def send_encrypted(self, encrypt: str, **query) -> Answer:
        params = self.query(encrypt, **query)
        answer = await self.post_raw(self.envelope(encrypt), params)
        if answer.status == 200 and answer.body:
            root = ET.fromstring(answer.body)
            assert root.findtext("TimeStamp") == params["timestamp"]
            assert root.findtext("Nonce") == params["nonce"]
            answer.plain = self.sender.open(root.findtext("Encrypt"), root.findtext("TimeStamp"),
                                            root.findtext("Nonce"), root.findtext("MsgSignature"))
        return answer

    async def send_plain(self, inner: str, **query) -> Answer:
        enc, _ = self.sender.seal(inner, "0", "0")
        return await self.send_encrypted(enc, **query)

    async def say(self, text: str, *, sender: str = "zhaomin", msg_id: str | None = None, **query) -> Answer:
        return await self.send_plain(self.text_xml(text, sender=sender, msg_id=msg_id), **query)

    @staticmethod
    def content(answer: Answer) -> str:
        root = ET.fromstring(answer.plain)
        assert root.findtext("MsgType") == "text"
        return root.findtext("Content")


class WecomAibotPlatform(Platform):
    path = "/wecom/aibot"

    def __init__(self, client, config) -> None:
        a = config.wecom.aibot
        super().__init__(client, a.token, a.encoding_aes_key, "")

    @staticmethod
    def text_json(text: str, *, sender: str = "zhaomin", msg_id: str | None = None,
                  chat_id: str | None = "wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA",
                  response_url: str = "https://qyapi.weixin.qq.com/cgi-bin/aibot/response?response_code=X") -> str:
        msg = {
            "msgid": msg_id or f"CAIQ{next(_ids)}", "aibotid": "AIBOTID",
            "chattype": "group" if chat_id else "single", "from": {"userid": sender},
            "response_url": response_url,
            "msgtype": "text", "text": {"content": text},
        }
        if chat_id:
            msg["chatid"] = chat_id
        return json.dumps(msg, ensure_ascii=False)

    async def send_encrypted(self, encrypt: str, **query) -> Answer:
        params = self.query(encrypt, **query)
        answer = await self.post_raw(json.dumps({"encrypt": encrypt}), params)
        if answer.status == 200 and answer.body:
            env = json.loads(answer.body)
            assert set(env) == {"encrypt", "msgsignature", "timestamp", "nonce"}
            assert (env["timestamp"], env["nonce"]) == (params["timestamp"], params["nonce"])
            answer.plain = self.sender.open(env["encrypt"], env["timestamp"], env["nonce"],
                                            env["msgsignature"])
        return answer

    async def send_plain(self, inner: str, **query) -> Answer:
        enc, _ = self.sender.seal(inner, "0", "0")
        return await self.send_encrypted(enc, **query)

    async def say(self, text: str, **kw) -> Answer:
        query = {k: kw.pop(k) for k in ("timestamp", "nonce", "signature") if k in kw}
        return await self.send_plain(self.text_json(text, **kw), **query)

    @staticmethod
    def stream(answer: Answer) -> dict:
        reply = json.loads(answer.plain)
        assert reply["msgtype"] == "stream" and reply["stream"]["finish"] is True
        return reply["stream"]
