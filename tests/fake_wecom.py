"""A fake WeCom server API on loopback that answers like the real one (errcode/errmsg JSON, HTTP 200).

Endpoints: ``/cgi-bin/gettoken``, ``/cgi-bin/message/send``, ``/cgi-bin/appchat/send``,
``/cgi-bin/media/upload``, ``/cgi-bin/media/get`` (serves what ``add_media`` put there, as bytes with
Content-Type and Content-Disposition; 40007 for an unknown id), ``/cgi-bin/webhook/send?key=``, a bridge
receiver ``/bridge/out``, and ``/cdn/{name}`` serving files ``serve_file`` put there (a bridge's URL, the AI
bot's encrypted image URL). ``hold_media()`` makes downloads wait until ``release_media()``.

Switches a test flips: ``expire_token()`` (the next call with the current token gets 42001),
``rate_limit(n)`` (the next n sends get 45009), ``busy(n)`` (-1 system busy), ``http_errors(n)`` (HTTP 503),
``await go_down()`` / ``await come_back()`` (connection refused, same port), ``fail_after(n, how)``, and each
robot's own 20-a-minute limit (45009 past it). Every delivered message is recorded in ``delivered``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import web

CORP_ID = "ww0123456789abcdef"  # as in config.example.toml
SECRET = "test-app-secret"  # config.example.toml ships none; tests set this one


@dataclass(frozen=True)
class Delivered:
    api: str  # "message" | "appchat" | "robot" | "bridge"
    target: str  # userid(s), chat id, robot key, bridge chat id
    msgtype: str
    content: dict = field(hash=False, compare=False)

    @property
    def text(self) -> str:
        if self.msgtype == "template_card":  # what a person reads on a card: its title and quoted text
            quote = (self.content.get("quote_area") or {}).get("quote_text", "")
            return f"{self.content['main_title']['title']}\n{quote}".strip()
        return str(self.content.get("content", ""))

    @property
    def buttons(self) -> dict[str, str]:
        """A card's buttons, text → key."""
        return {b["text"]: b["key"] for b in self.content.get("button_list", [])}


CALLBACK_CARDS = ("button_interaction", "vote_interaction", "multiple_interaction")
_TASK_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-@")


def _card_problem(card) -> str | None:
    """What the real API refuses in a template_card (document/path/90372), or None."""
    if not isinstance(card, dict):
        return "template_card missing"
    kind = card.get("card_type")
    if kind not in ("text_notice", "news_notice", *CALLBACK_CARDS):
        return "invalid card_type"
    if not isinstance(card.get("main_title"), dict) or not card["main_title"].get("title"):
        return "main_title.title missing"
    task = card.get("task_id")
    if kind in CALLBACK_CARDS and (not isinstance(task, str) or not task or len(task.encode()) > 128
                                   or not set(task) <= _TASK_CHARS):
        return "invalid task_id"
    if kind == "button_interaction":
        buttons = card.get("button_list")
        if not isinstance(buttons, list) or not 1 <= len(buttons) <= 6:
            return "button_list must hold 1 to 6 buttons"
        keys = [b.get("key") for b in buttons if isinstance(b, dict)]
        if len(keys) != len(buttons) or not all(keys) or len(set(keys)) != len(keys):
            return "every button needs a distinct key"
    if kind == "vote_interaction":
        box, submit = card.get("checkbox"), card.get("submit_button")
        if not isinstance(box, dict) or not box.get("question_key") or not box.get("option_list"):
            return "checkbox missing"
        if not isinstance(submit, dict) or not submit.get("key"):
            return "submit_button missing"
    return None


def _err(code: int, msg: str) -> web.Response:
    return web.json_response({"errcode": code, "errmsg": f"{msg}, hint: [fake{code}]"})


class FakeWecom:
    def __init__(self, *, monotonic: Callable[[], float] = time.monotonic, robot_per_minute: int = 20,
                 robot_keys: set[str] | None = None, users: set[str] | None = None) -> None:
        self._mono = monotonic
        self.robot_per_minute = robot_per_minute
        self.robot_keys = robot_keys  # None: every key is a robot
        self.users = users  # None: every userid exists
        self.delivered: list[Delivered] = []
        self.calls: list[str] = []  # every API hit, for asserting token refreshes
        self.bridge_secret: str | None = None
        self.bridge_reply: tuple[int, bytes] | None = None  # (status, body) the bridge receiver answers instead
        self._tokens = itertools.count(1)
        self._valid_tokens: set[str] = set()
        self._rate_limit = 0
        self._busy = 0
        self._http_errors = 0
        self._fail_after: tuple[int, str] | None = None
        self._robot_windows: dict[str, deque[float]] = defaultdict(deque)
        self.media: dict[str, tuple[bytes, str, str]] = {}  # media id → (bytes, content type, file name)
        self.files: dict[str, tuple[bytes, str]] = {}  # /cdn/{name} → (bytes, content type)
        self.uploads: list[bytes] = []
        self._response_codes: dict[str, float] = {}  # AI bot response_url codes → valid until (monotonic)
        # cards (document/path/90372, 94888) and recall (94867): a ResponseCode works once, within its validity
        self.response_codes: dict[str, tuple[str, float]] = {}  # code → (task id, issued at, monotonic)
        self.response_code_seconds = 72 * 3600.0
        self.updates: list[dict] = []  # every update_template_card accepted
        self.sent_at: dict[str, tuple[str, float]] = {}  # msgid → (userid(s), sent at, monotonic)
        self.recalled: list[str] = []
        self.recall_seconds = 24 * 3600.0
        self._media_gate = asyncio.Event()
        self._media_gate.set()
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self.port = 0

    # --- switches -------------------------------------------------------------------------------------------

    def expire_token(self) -> None:
        """Every token issued so far is now expired: the next call with one gets 42001."""
        self._valid_tokens.clear()

    def rate_limit(self, n: int = 1) -> None:
        self._rate_limit += n

    def busy(self, n: int = 1) -> None:
        self._busy += n

    def http_errors(self, n: int = 1) -> None:
        self._http_errors += n

    def fail_after(self, n: int, how: str = "busy") -> None:
        """Deliver ``n`` more messages, then fail every send (``busy``: -1, ``http``: 503) until cleared."""
        self._fail_after = (n, how)

    def recover(self) -> None:
        self._fail_after = None
        self._busy = self._rate_limit = self._http_errors = 0

    async def go_down(self) -> None:
        """Connection refused from now on (the port is closed)."""
        if self._site is not None:
            await self._site.stop()
            self._site = None

    async def come_back(self) -> None:
        if self._site is None:
            self._site = web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True)
            await self._site.start()

    def add_media(self, media_id: str, data: bytes, content_type: str, filename: str) -> None:
        self.media[media_id] = (data, content_type, filename)

    def serve_file(self, name: str, data: bytes, content_type: str = "application/octet-stream") -> str:
        self.files[name] = (data, content_type)
        return f"{self.base}/cdn/{name}"

    def issue_response_code(self, task_id: str) -> str:
        """A ResponseCode as a card event carries it (a press the test makes)."""
        code = f"rc-{next(self._tokens)}"
        self.response_codes[code] = (task_id, self._mono())
        return code

    def cards(self, userid: str | None = None) -> list[Delivered]:
        return [d for d in self.delivered if d.msgtype == "template_card" and userid in (None, d.target)]

    def hold_media(self) -> None:
        self._media_gate.clear()

    def release_media(self) -> None:
        self._media_gate.set()

    # --- lifetime -------------------------------------------------------------------------------------------

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> FakeWecom:
        app = web.Application()
        app.router.add_get("/cgi-bin/gettoken", self._gettoken)
        app.router.add_post("/cgi-bin/message/send", self._message_send)
        app.router.add_post("/cgi-bin/appchat/send", self._appchat_send)
        app.router.add_post("/cgi-bin/message/update_template_card", self._update_card)
        app.router.add_post("/cgi-bin/message/recall", self._recall)
        app.router.add_post("/cgi-bin/media/upload", self._media_upload)
        app.router.add_get("/cgi-bin/media/get", self._media_get)
        app.router.add_get("/cdn/{name}", self._cdn)
        app.router.add_post("/cgi-bin/webhook/send", self._webhook_send)
        app.router.add_post("/bridge/out", self._bridge_out)
        app.router.add_post("/cgi-bin/aibot/response", self._aibot_response)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        self._site = web.TCPSite(self._runner, "127.0.0.1", 0, reuse_address=True)
        await self._site.start()
        self.port = self._site._server.sockets[0].getsockname()[1]
        return self

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def wait_for(self, n: int, timeout: float = 10.0) -> list[Delivered]:
        """Wait until ``n`` messages were delivered in all (an event, not a sleep); returns them."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: len(self.delivered) >= n), timeout)
        return list(self.delivered)

    # --- the API --------------------------------------------------------------------------------------------

    async def _record(self, d: Delivered) -> None:
        async with self._changed:
            self.delivered.append(d)
            if self._fail_after is not None:
                self._fail_after = (self._fail_after[0] - 1, self._fail_after[1])
            self._changed.notify_all()

    def _trouble(self) -> web.Response | None:
        """The switched-on failures, in the order a real outage shows them."""
        if self._http_errors > 0:
            self._http_errors -= 1
            return web.Response(status=503, text="Service Unavailable")
        if self._fail_after is not None and self._fail_after[0] <= 0:
            if self._fail_after[1] == "http":
                return web.Response(status=502, text="Bad Gateway")
            return _err(-1, "system busy")
        if self._busy > 0:
            self._busy -= 1
            return _err(-1, "system busy")
        if self._rate_limit > 0:
            self._rate_limit -= 1
            return _err(45009, "api freq out of limit")
        return None

    def _token_problem(self, request: web.Request) -> web.Response | None:
        token = request.query.get("access_token", "")
        if not token:
            return _err(41001, "access_token missing")
        if token not in self._valid_tokens:
            return _err(42001 if token.startswith("tok-") else 40014,
                        "access_token expired" if token.startswith("tok-") else "invalid access_token")
        return None

    async def _gettoken(self, request: web.Request) -> web.Response:
        self.calls.append("gettoken")
        if request.query.get("corpid") != CORP_ID:
            return _err(40013, "invalid corpid")
        if request.query.get("corpsecret") != SECRET:
            return _err(40001, "invalid credential")
        token = f"tok-{next(self._tokens)}"
        self._valid_tokens.add(token)
        return web.json_response({"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200})

    async def _json(self, request: web.Request) -> dict | None:
        try:
            body = await request.json()
        except ValueError:
            return None
        return body if isinstance(body, dict) else None

    def _content(self, body: dict) -> tuple[str, dict] | web.Response:
        msgtype = body.get("msgtype")
        if msgtype == "template_card":
            problem = _card_problem(body.get("template_card"))
            return _err(40058, problem) if problem else (msgtype, body["template_card"])
        if msgtype not in ("text", "markdown", "image", "news", "file"):
            return _err(40008, "invalid message type")
        content = body.get(msgtype)
        if not isinstance(content, dict):
            return _err(44004 if msgtype in ("text", "markdown") else 40008, "empty content")
        if msgtype in ("text", "markdown") and not content.get("content"):
            return _err(44004, "text content is empty")
        return msgtype, content

    async def _app_body(self, request: web.Request, api: str) -> dict | web.Response:
        """What every app API call checks first, as WeCom does: the service, the token, the JSON, the agent."""
        self.calls.append(api)
        if (p := self._trouble()) is not None or (p := self._token_problem(request)) is not None:
            return p
        body = await self._json(request)
        if body is None:
            return _err(47001, "data format error")
        if body.get("agentid") in (None, 0):
            return _err(40056, "invalid agentid")
        return body

    async def _message_send(self, request: web.Request) -> web.Response:
        body = await self._app_body(request, "message/send")
        if isinstance(body, web.Response):
            return body
        c = self._content(body)
        if isinstance(c, web.Response):
            return c
        users = [u for u in str(body.get("touser", "")).split("|") if u]
        invalid = [u for u in users if self.users is not None and u not in self.users]
        if not users or len(invalid) == len(users):
            return _err(81013, "user & party & tag all invalid")
        to = "|".join(u for u in users if u not in invalid)
        await self._record(Delivered("message", to, *c))
        msgid = f"msg{len(self.delivered)}"
        self.sent_at[msgid] = (to, self._mono())
        code = ""
        if c[0] == "template_card" and c[1].get("card_type") in CALLBACK_CARDS:
            code = self.issue_response_code(c[1]["task_id"])
        return web.json_response({"errcode": 0, "errmsg": "ok", "invaliduser": "|".join(invalid),
                                  "invalidparty": "", "invalidtag": "", "unlicenseduser": "",
                                  "msgid": msgid, "response_code": code})

    async def _update_card(self, request: web.Request) -> web.Response:
        """message/update_template_card: the code is spent by its first use and expires after its validity."""
        body = await self._app_body(request, "message/update_template_card")
        if isinstance(body, web.Response):
            return body
        if not (body.get("userids") or body.get("atall")):
            return _err(40058, "userids missing")
        button, card = body.get("button"), body.get("template_card")
        if not (isinstance(button, dict) and button.get("replace_name")) and _card_problem(card):
            return _err(40058, "button.replace_name or template_card required")
        issued = self.response_codes.pop(str(body.get("response_code", "")), None)
        if issued is None or self._mono() - issued[1] > self.response_code_seconds:
            return _err(40058, "invalid response_code (spent or expired)")
        self.updates.append(body)
        return web.json_response({"errcode": 0, "errmsg": "ok", "invaliduser": []})

    async def _recall(self, request: web.Request) -> web.Response:
        self.calls.append("message/recall")
        if (p := self._trouble()) is not None or (p := self._token_problem(request)) is not None:
            return p
        body = await self._json(request)
        msgid = str((body or {}).get("msgid", ""))
        sent = self.sent_at.get(msgid)
        if sent is None or msgid in self.recalled:
            return _err(40058, "invalid msgid")
        if self._mono() - sent[1] > self.recall_seconds:
            return _err(40058, "msg can not be recalled after 24 hours")
        self.recalled.append(msgid)
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def _appchat_send(self, request: web.Request) -> web.Response:
        self.calls.append("appchat/send")
        if (p := self._trouble()) is not None or (p := self._token_problem(request)) is not None:
            return p
        body = await self._json(request)
        if body is None:
            return _err(47001, "data format error")
        if not body.get("chatid"):
            return _err(86003, "chatid not exist")
        c = self._content(body)
        if isinstance(c, web.Response):
            return c
        await self._record(Delivered("appchat", body["chatid"], *c))
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def _media_upload(self, request: web.Request) -> web.Response:
        self.calls.append("media/upload")
        if (p := self._token_problem(request)) is not None:
            return p
        if request.query.get("type") not in ("image", "voice", "video", "file"):
            return _err(40004, "invalid media type")
        reader = await request.multipart()
        part = await reader.next()
        if part is None or part.name != "media":
            return _err(41005, "media data missing")
        data = await part.read()
        self.uploads.append(bytes(data))
        media_id = "media-" + hashlib.md5(data).hexdigest()[:12]  # noqa: S324
        return web.json_response({"errcode": 0, "errmsg": "ok", "type": "image", "media_id": media_id,
                                  "created_at": str(int(time.time()))})

    async def _media_get(self, request: web.Request) -> web.Response:
        """Like the real one: the file as bytes, or errcode JSON (as text/plain, as WeCom sends errors here)."""
        self.calls.append("media/get")
        if (p := self._token_problem(request)) is not None:
            return p
        media_id = request.query.get("media_id", "")
        if media_id not in self.media:
            return web.Response(text='{"errcode":40007,"errmsg":"invalid media_id, hint: [fake40007]"}',
                                content_type="text/plain")
        await self._media_gate.wait()
        data, ctype, name = self.media[media_id]
        return web.Response(body=data, content_type=ctype,
                            headers={"Content-Disposition": f'attachment; filename="{name}"'})

    async def _cdn(self, request: web.Request) -> web.Response:
        self.calls.append("cdn")
        if self._http_errors > 0:
            self._http_errors -= 1
            return web.Response(status=503, text="Service Unavailable")
        found = self.files.get(request.match_info["name"])
        if found is None:
            return web.Response(status=404)
        await self._media_gate.wait()
        return web.Response(body=found[0], content_type=found[1])

    # --- the AI bot's response_url (document/path/101138): one answer each, for an hour ------------------------

    def response_url(self) -> str:
        """A fresh response_url, as the platform puts one in every AI bot callback."""
        code = f"rc{next(self._tokens)}"
        self._response_codes[code] = self._mono() + 3600
        return f"{self.base}/cgi-bin/aibot/response?response_code={code}"

    async def _aibot_response(self, request: web.Request) -> web.Response:
        self.calls.append("aibot/response")
        code = request.query.get("response_code", "")
        until = self._response_codes.pop(code, None)  # usable once
        if until is None or self._mono() > until:
            return _err(40062, "invalid response_code")  # spent or expired (the exact errcode is undocumented)
        body = await self._json(request)
        if body is None or body.get("msgtype") not in ("markdown", "template_card"):
            return _err(40008, "invalid message type")
        content = body.get(body["msgtype"])
        if not isinstance(content, dict) or (body["msgtype"] == "markdown" and not content.get("content")):
            return _err(40008, "markdown.content missing")
        await self._record(Delivered("aibot_reply", code, body["msgtype"], content))
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def _webhook_send(self, request: web.Request) -> web.Response:
        self.calls.append("webhook/send")
        key = request.query.get("key", "")
        if not key or (self.robot_keys is not None and key not in self.robot_keys):
            return _err(93000, "invalid webhook url")
        if (p := self._trouble()) is not None:
            return p
        window = self._robot_windows[key]
        now = self._mono()
        while window and now - window[0] >= 60:
            window.popleft()
        if len(window) >= self.robot_per_minute:
            return _err(45009, "api freq out of limit")
        body = await self._json(request)
        if body is None:
            return _err(40058, "invalid json")
        c = self._content(body)
        if isinstance(c, web.Response):
            return c
        msgtype, content = c
        if msgtype == "image":
            try:
                data = base64.b64decode(content.get("base64", ""), validate=True)
            except ValueError:
                return _err(40009, "invalid image base64")
            if hashlib.md5(data).hexdigest() != content.get("md5"):  # noqa: S324
                return _err(301019, "media md5 mismatch")
        window.append(now)
        await self._record(Delivered("robot", key, msgtype, content))
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def _bridge_out(self, request: web.Request) -> web.Response:
        from bot.channels.bridge import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

        raw = await request.read()
        stamp = request.headers.get(TIMESTAMP_HEADER, "")
        if self.bridge_secret is not None and request.headers.get(SIGNATURE_HEADER) != sign(self.bridge_secret, raw,
                                                                                           stamp):
            return web.json_response({"error": "BadSignature"}, status=403)
        if (p := self._trouble()) is not None:
            return web.Response(status=503) if p.status == 200 else p
        body = await self._json(request)
        if self.bridge_reply is not None:
            return web.Response(status=self.bridge_reply[0], body=self.bridge_reply[1],
                                content_type="application/json")
        content = {"content": body["text"], "mentioned_list": body.get("mentioned", [])}
        if body.get("attachments"):
            content["attachments"] = body["attachments"]
        await self._record(Delivered("bridge", body["chat_id"], "image" if body.get("attachments") else "text",
                                     content))
        return web.json_response({"ok": True})
