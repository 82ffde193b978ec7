"""A fake of WeCom's AI bot long-connection gateway on loopback (aiohttp's own WebSocket server), speaking
the protocol of bot/channels/wecom_aibot_ws.py: subscribe answered with errcode 0 or 853000, pings answered,
message callbacks pushed with a req_id each, replies and pushes acknowledged.

Like the platform, it keeps every callback that was not answered and delivers it again (same msgid, a new
req_id) once the bot is subscribed again. ``lose_reply_for`` simulates an answer lost on the wire: when the
reply to that msgid arrives the connection is cut and the callback stays unanswered.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import WSMsgType, web

_seq = itertools.count(1)

AUTH_REFUSED = 853000  # what the platform answers a wrong bot_id or secret


def message(text: str, *, msgid: str | None = None, sender: str = "zhaomin", chatid: str | None = None) -> dict:
    """A text message callback body as the platform sends it (group when ``chatid`` is given)."""
    body = {"msgid": msgid or f"ws-{next(_seq)}", "aibotid": "aibot-test",
            "chattype": "group" if chatid else "single", "from": {"userid": sender},
            "msgtype": "text", "text": {"content": text}}
    if chatid:
        body["chatid"] = chatid
    return body


@dataclass
class FakeAibotGateway:
    bot_id: str = "aibot-test"
    secret: str = "aibot-secret"
    refuse_auth: bool = False  # answer every subscribe with AUTH_REFUSED
    answer_pings: bool = True
    push_errcode: int = 0
    lose_reply_for: set[str] = field(default_factory=set)

    connections: int = 0  # WebSocket handshakes
    open_now: int = 0
    most_open: int = 0  # connections open at once, at most
    subscribes: list[dict] = field(default_factory=list)  # subscribe bodies received
    refused: int = 0
    pings: list[str] = field(default_factory=list)  # req_ids of the pings answered
    replies: list[dict] = field(default_factory=list)  # aibot_respond_msg frames accepted
    pushes: list[dict] = field(default_factory=list)  # aibot_send_msg bodies accepted
    delivered: list[str] = field(default_factory=list)  # msgids, once per delivery (re-deliveries too)
    unanswered: dict[str, dict] = field(default_factory=dict)  # req_id → callback body, in delivery order
    unanswered_events: dict[str, dict] = field(default_factory=dict)  # card presses not yet answered
    updates: list[dict] = field(default_factory=list)  # aibot_respond_update_msg frames accepted

    def __post_init__(self) -> None:
        self._ws: web.WebSocketResponse | None = None
        self._subscribed = False
        self._changed = asyncio.Condition()

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/", self._handler)
        app.on_shutdown.append(self._shutdown)
        return app

    async def _shutdown(self, app: web.Application) -> None:
        await self.drop()  # a connection still open would hold the server's shutdown

    # --- what a test does -----------------------------------------------------------------------------------

    async def deliver(self, body: dict) -> None:
        """A user writes: the callback is pushed now if the bot is subscribed, else when it next is."""
        self.unanswered[f"callback_{next(_seq)}"] = body
        if self._subscribed:
            await self._send_unanswered()

    async def press(self, sender: str, task_id: str, key: str, *, chatid: str | None = None,
                    msgid: str | None = None) -> str:
        """A user presses a button of a card the bot sent: an ``aibot_event_callback`` with
        ``template_card_event``, answered (like a message) under its req_id; returns that req_id."""
        body = {"msgid": msgid or f"ev-{next(_seq)}", "aibotid": self.bot_id,
                "chattype": "group" if chatid else "single", "from": {"userid": sender}, "msgtype": "event",
                "event": {"eventtype": "template_card_event", "template_card_event": {
                    "card_type": "button_interaction", "event_key": key, "task_id": task_id}}}
        if chatid:
            body["chatid"] = chatid
        req_id = f"event_{next(_seq)}"
        self.unanswered_events[req_id] = body
        await self._send({"cmd": "aibot_event_callback", "headers": {"req_id": req_id}, "body": body})
        return req_id

    async def event(self, eventtype: str) -> None:
        await self._send({"cmd": "aibot_event_callback", "headers": {"req_id": f"event_{next(_seq)}"},
                          "body": {"msgid": f"ev-{next(_seq)}", "msgtype": "event", "event": {"eventtype": eventtype}}})

    async def send_raw(self, text: str) -> None:
        assert self._ws is not None
        await self._ws.send_str(text)

    async def drop(self) -> None:
        """The network cuts the connection."""
        if self._ws is not None:
            await self._ws.close()

    async def until(self, check: Callable[[], bool], timeout: float = 20.0) -> None:
        """Wait until ``check()`` holds (the timeout only guards against a hang)."""
        async with asyncio.timeout(timeout):
            async with self._changed:
                await self._changed.wait_for(check)

    def replied(self, msgid: str) -> list[dict]:
        return [r for r in self.replies if r["msgid"] == msgid]

    # --- the gateway ----------------------------------------------------------------------------------------

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def _send(self, frame: dict) -> None:
        if self._ws is not None and not self._ws.closed:
            await self._ws.send_str(json.dumps(frame, ensure_ascii=False))

    async def _send_unanswered(self) -> None:
        """Every callback not yet answered goes (again) under a new req_id."""
        for old in list(self.unanswered):
            body = self.unanswered.pop(old)
            req_id = f"callback_{next(_seq)}"
            self.unanswered[req_id] = body
            self.delivered.append(body["msgid"])
            await self._send({"cmd": "aibot_msg_callback", "headers": {"req_id": req_id}, "body": body})
        await self._notify()

    async def _handler(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.connections += 1
        self.open_now += 1
        self.most_open = max(self.most_open, self.open_now)
        self._ws = ws
        await self._notify()
        try:
            first = await ws.receive()
            if first.type != WSMsgType.TEXT:
                return ws
            frame = json.loads(first.data)
            assert frame["cmd"] == "aibot_subscribe", frame
            body = frame.get("body") or {}
            self.subscribes.append(body)
            answer = {"headers": {"req_id": frame["headers"]["req_id"]}}
            if self.refuse_auth or (body.get("bot_id"), body.get("secret")) != (self.bot_id, self.secret):
                self.refused += 1
                await ws.send_str(json.dumps(answer | {"errcode": AUTH_REFUSED,
                                                       "errmsg": "invalid bot_id or secret"}))
                await self._notify()
                await ws.close()
                return ws
            await ws.send_str(json.dumps(answer | {"errcode": 0, "errmsg": "ok"}))
            self._subscribed = True
            await self._send_unanswered()
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                await self._on_frame(ws, json.loads(msg.data))
                await self._notify()
        finally:
            self.open_now -= 1
            if self._ws is ws:
                self._ws = None
                self._subscribed = False
            await self._notify()
        return ws

    async def _on_frame(self, ws: web.WebSocketResponse, frame: dict) -> None:
        req_id = frame["headers"]["req_id"]
        ok = {"headers": {"req_id": req_id}, "errcode": 0, "errmsg": "ok"}
        cmd = frame.get("cmd")
        if cmd == "ping":
            if self.answer_pings:
                self.pings.append(req_id)
                await ws.send_str(json.dumps(ok))
        elif cmd == "aibot_respond_msg":
            callback = self.unanswered.get(req_id)
            if callback is None:
                await ws.send_str(json.dumps(ok | {"errcode": 40008, "errmsg": "invalid req_id"}))
                return
            if callback["msgid"] in self.lose_reply_for:
                self.lose_reply_for.discard(callback["msgid"])
                await ws.close()  # the answer never reached the platform
                return
            del self.unanswered[req_id]
            self.replies.append({"msgid": callback["msgid"], "req_id": req_id, "body": frame["body"]})
            await ws.send_str(json.dumps(ok))
        elif cmd == "aibot_respond_update_msg":  # only in answer to a card press, once
            event = self.unanswered_events.pop(req_id, None)
            if event is None:
                await ws.send_str(json.dumps(ok | {"errcode": 40008, "errmsg": "invalid req_id"}))
                return
            self.updates.append({"msgid": event["msgid"], "req_id": req_id, "body": frame["body"]})
            await ws.send_str(json.dumps(ok))
        elif cmd == "aibot_send_msg":
            if self.push_errcode:
                await ws.send_str(json.dumps(ok | {"errcode": self.push_errcode, "errmsg": "refused"}))
                return
            self.pushes.append(frame["body"])
            await ws.send_str(json.dumps(ok))
        else:
            await ws.send_str(json.dumps(ok | {"errcode": 40058, "errmsg": f"unknown cmd {cmd}"}))
