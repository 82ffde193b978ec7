"""The WeCom server API, outbound: access token, app messages, app group chats, group robots, media upload.

Every answer carries ``errcode``/``errmsg``; the client sorts a failure into one of two kinds the outbox
worker acts on: ``Retryable`` (system busy, rate limits, 5xx, no connection: try again later) and
``Permanent`` (a bad target, a disabled robot, a malformed message: give up and log why). An expired or
invalid access token is refreshed and the call made once more, invisibly to the caller.

The base URL and the aiohttp session come from outside, so tests point the client at a fake on loopback.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

log = logging.getLogger(__name__)

TOKEN_ERRORS = frozenset({40014, 42001, 42007})  # invalid / expired access_token: refresh and call again
RETRYABLE_ERRORS = frozenset({
    -1,  # system busy
    45009,  # API call frequency over the limit (also a robot's 20 messages a minute)
    45011,  # API called too often
    45033,  # too many concurrent calls
})
# gettoken failing for these is a configuration problem: retry (loudly) so a fixed config still delivers
CREDENTIAL_ERRORS = frozenset({40001, 40013, 40056, 40082, 60020, 41002, 41004})


class WecomError(Exception):
    def __init__(self, reason: str, errcode: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.errcode = errcode
        self.retry_after = retry_after


class Retryable(WecomError):
    """Try again later: the message is fine, WeCom (or the way to it) is not."""


class Permanent(WecomError):
    """Never going to work as it is: give up and log why."""


@dataclass(frozen=True, slots=True)
class Image:
    """A PNG or JPG as a robot wants it: base64 of the bytes and the md5 of the bytes (before base64)."""

    base64: str
    md5: str

    @classmethod
    def of(cls, data: bytes) -> Image:
        return cls(base64.b64encode(data).decode("ascii"), hashlib.md5(data).hexdigest())  # noqa: S324 - WeCom's choice

    def data(self) -> bytes:
        return base64.b64decode(self.base64)


class TooLarge(Permanent):
    """A download passed its size limit: stopped before the end."""


async def read_limited(resp: aiohttp.ClientResponse, max_bytes: int) -> bytes:
    """The body, or ``TooLarge`` as soon as it passes ``max_bytes`` (a declared length is checked first)."""
    if resp.content_length is not None and resp.content_length > max_bytes:
        raise TooLarge(f"{resp.content_length} bytes over {max_bytes}")
    chunks, total = [], 0
    async for chunk in resp.content.iter_chunked(64 * 1024):
        total += len(chunk)
        if total > max_bytes:
            raise TooLarge(f"over {max_bytes} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _filename(disposition: str) -> str | None:
    """The file name of ``Content-Disposition: attachment; filename="a.jpg"``."""
    from email.message import Message

    if not disposition:
        return None
    m = Message()
    m["Content-Disposition"] = disposition
    name = m.get_filename()
    return name[:200] if name else None


def classify(errcode: int, errmsg: str, where: str) -> WecomError:
    reason = f"{where}: errcode {errcode} {errmsg}".strip()
    if errcode in RETRYABLE_ERRORS:
        return Retryable(reason, errcode, retry_after=60.0 if errcode == 45009 else None)
    return Permanent(reason, errcode)


class WecomClient:
    """One per process; token shared by every call, refreshed once however many calls notice it expired."""

    def __init__(self, session: aiohttp.ClientSession, *, api_base: str, corp_id: str, secret: str,
                 agent_id: int, timeout: float = 10.0, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._http = session
        self._base = api_base.rstrip("/")
        self._corp_id = corp_id
        self._secret = secret
        self.agent_id = agent_id
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._now = monotonic
        self._token: str | None = None
        self._token_until = 0.0
        self._token_lock = asyncio.Lock()

    # --- transport --------------------------------------------------------------------------------------------

    async def _request(self, method: str, path: str, *, where: str, params: dict[str, str] | None = None,
                       json: Any = None, data: aiohttp.FormData | None = None) -> dict:
        try:
            async with self._http.request(method, self._base + path, params=params, json=json, data=data,
                                          timeout=self._timeout) as resp:
                if resp.status >= 500 or resp.status == 429:
                    raise Retryable(f"{where}: HTTP {resp.status}")
                if resp.status >= 400:
                    raise Permanent(f"{where}: HTTP {resp.status}")
                try:
                    body = await resp.json(content_type=None)
                except ValueError:
                    raise Retryable(f"{where}: answer is not JSON") from None
        except (TimeoutError, aiohttp.ClientError) as e:
            raise Retryable(f"{where}: {type(e).__name__} {e}".strip()) from None
        if not isinstance(body, dict) or not isinstance(body.get("errcode", 0), int):
            raise Retryable(f"{where}: unexpected answer")
        return body

    # --- token ------------------------------------------------------------------------------------------------

    async def access_token(self, *, stale: str | None = None) -> str:
        """The cached token; a fresh one when it is about to expire or ``stale`` was found invalid."""
        if not (self._corp_id and self._secret):  # asking WeCom would only fail, 30 times over a day
            raise Permanent("app push impossible: [wecom] corp_id and secret are not configured")
        async with self._token_lock:
            if self._token is not None and self._token != stale and self._now() < self._token_until:
                return self._token
            body = await self._request("GET", "/cgi-bin/gettoken", where="gettoken",
                                       params={"corpid": self._corp_id, "corpsecret": self._secret})
            code = body.get("errcode", 0)
            if code != 0:
                err = classify(code, str(body.get("errmsg", "")), "gettoken")
                if code in CREDENTIAL_ERRORS:
                    log.error("wecom.token_refused errcode=%s reason=%s (check [wecom] corp_id/secret and IP "
                              "allow-list)", code, err.reason)
                    raise Retryable(err.reason, code)
                raise err
            self._token = str(body["access_token"])
            expires_in = float(body.get("expires_in", 7200))
            self._token_until = self._now() + max(expires_in - 300, expires_in / 2)  # renew a little early
            log.info("wecom.token_refreshed expires_in=%d", expires_in)
            return self._token

    async def _call(self, path: str, payload: dict | None = None, *, where: str,
                    data_factory: Callable[[], aiohttp.FormData] | None = None,
                    params: dict[str, str] | None = None) -> dict:
        token = await self.access_token()
        for attempt in (1, 2):
            q = {"access_token": token, **(params or {})}
            if data_factory is not None:
                body = await self._request("POST", path, where=where, params=q, data=data_factory())
            else:
                body = await self._request("POST", path, where=where, params=q, json=payload)
            code = body.get("errcode", 0)
            if code == 0:
                return body
            if code in TOKEN_ERRORS and attempt == 1:
                log.info("wecom.token_rejected errcode=%s where=%s", code, where)
                token = await self.access_token(stale=token)
                continue
            raise classify(code, str(body.get("errmsg", "")), where)
        raise Retryable(f"{where}: token rejected twice")  # pragma: no cover - loop always returns or raises

    # --- app messages -------------------------------------------------------------------------------------------

    async def send_message(self, touser: str, msgtype: str, content: dict) -> dict:
        """``message/send`` to one or more users (``a|b``) through the self-built app."""
        payload = {"touser": touser, "msgtype": msgtype, "agentid": self.agent_id, msgtype: content, "safe": 0}
        body = await self._call("/cgi-bin/message/send", payload, where="message/send")
        invalid = body.get("invaliduser") or ""
        if invalid:
            log.warning("wecom.invalid_users count=%d", len(invalid.split("|")))
        return body

    async def update_template_card(self, userid: str, response_code: str, replace_name: str) -> dict:
        """``message/update_template_card`` (document/path/94888): the pressed card's buttons become one
        unclickable label. The ResponseCode is good once, for a limited time: a spent or expired one is
        refused (``Permanent``)."""
        payload = {"userids": [userid], "agentid": self.agent_id, "response_code": response_code,
                   "button": {"replace_name": replace_name}}
        return await self._call("/cgi-bin/message/update_template_card", payload, where="message/update_template_card")

    async def recall(self, msgid: str) -> dict:
        """``message/recall`` (撤回应用消息, document/path/94867): an app message sent in the last 24 hours,
        by the ``msgid`` message/send answered with."""
        return await self._call("/cgi-bin/message/recall", {"msgid": msgid}, where="message/recall")

    async def send_appchat(self, chatid: str, msgtype: str, content: dict) -> dict:
        payload = {"chatid": chatid, "msgtype": msgtype, msgtype: content, "safe": 0}
        return await self._call("/cgi-bin/appchat/send", payload, where="appchat/send")

    async def upload_media(self, data: bytes, *, kind: str = "image", filename: str = "chart.png",
                           content_type: str = "image/png") -> str:
        def form() -> aiohttp.FormData:
            f = aiohttp.FormData()
            f.add_field("media", data, filename=filename, content_type=content_type)
            return f

        body = await self._call("/cgi-bin/media/upload", where="media/upload", data_factory=form,
                                params={"type": kind})
        return str(body["media_id"])

    async def get_media(self, media_id: str, *, max_bytes: int) -> tuple[bytes, str | None]:
        """``media/get``: a temporary media file (valid three days) by its id, with the name WeCom gives it.

        Answers in bytes; an error is JSON with errcode (40007 invalid media id: ``Permanent``). A body past
        ``max_bytes`` is not read to the end: ``Permanent`` with errcode None and reason "too large"."""
        token = await self.access_token()
        for attempt in (1, 2):
            try:
                async with self._http.get(self._base + "/cgi-bin/media/get", timeout=self._timeout,
                                          params={"access_token": token, "media_id": media_id}) as resp:
                    if resp.status >= 500 or resp.status == 429:
                        raise Retryable(f"media/get: HTTP {resp.status}")
                    if resp.status >= 400:
                        raise Permanent(f"media/get: HTTP {resp.status}")
                    ctype = resp.headers.get("Content-Type", "")
                    if ctype.startswith(("application/json", "text/plain")):
                        try:
                            body = await resp.json(content_type=None)
                        except ValueError:
                            raise Retryable("media/get: answer is not JSON") from None
                        code = body.get("errcode", 0) if isinstance(body, dict) else -1
                        if code in TOKEN_ERRORS and attempt == 1:
                            token = await self.access_token(stale=token)
                            continue
                        raise classify(code, str(body.get("errmsg", "")) if isinstance(body, dict) else "",
                                       "media/get")
                    data = await read_limited(resp, max_bytes)
                    return data, _filename(resp.headers.get("Content-Disposition", ""))
            except (TimeoutError, aiohttp.ClientError) as e:
                raise Retryable(f"media/get: {type(e).__name__} {e}".strip()) from None
        raise Retryable("media/get: token rejected twice")  # pragma: no cover

    # --- group robots -------------------------------------------------------------------------------------------

    async def send_robot(self, key: str, msgtype: str, content: dict) -> dict:
        """``webhook/send?key=``: no access token; the key is the credential (never logged)."""
        body = await self._request("POST", "/cgi-bin/webhook/send", where="webhook/send", params={"key": key},
                                   json={"msgtype": msgtype, msgtype: content})
        code = body.get("errcode", 0)
        if code != 0:
            raise classify(code, str(body.get("errmsg", "")), "webhook/send")
        return body
