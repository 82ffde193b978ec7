"""The AI bot's long connection: gridbot dials out to WeCom, so a grid centre needs no public address.

One process holds the connection (the ``aibot_ws`` lease, as the scheduler's: renewed every third of its
length, taken over when it lapses); with ``serve --workers N`` the others stand by. The holder subscribes
with the bot's id and secret, pings every ``heartbeat_seconds``, and reconnects after a drop with exponential
backoff and jitter (a refused subscription backs off the same way, never in a tight loop).

Nothing is lost or doubled across drops and restarts: a message frame is answered only after its message is
committed (the same pipeline as the callback channel: stored once per msgid, classified, handled); a frame
left unanswered when the connection drops is delivered again by the platform and the database recognises its
msgid, answering it with the stored reply. Pushes (outbox rows of kind ``aibot``) go out as
``aibot_send_msg`` frames through whichever connection this process holds. Protocol: bot/channels/wecom_aibot_ws.py.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import aiohttp
from sqlalchemy import Engine

from bot.channels import wecom_aibot_ws as proto
from bot.config import AibotConfig
from bot.pipeline import StoreUnavailable
from bot.wecom_api import Retryable
from handlers.errors import BadPayload, GridbotError
from handlers.messages import InboundMessage, Reply
from storage import leases
from storage.types import utcnow

log = logging.getLogger("gridbot.aibot_ws")

LEASE = "aibot_ws"
Accept = Callable[[InboundMessage], Awaitable[Reply]]


class AuthRefused(Exception):
    def __init__(self, errcode: int | None, errmsg: str) -> None:
        super().__init__(f"errcode={errcode} errmsg={errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


class ConnectionLost(Exception):
    """The connection went away before the platform answered a frame."""


class AibotSocket:
    """Holds the connection while this process holds the lease; ``push`` sends through it."""

    def __init__(self, config: AibotConfig, *, engine: Engine, http: aiohttp.ClientSession, accept: Accept,
                 clock: Callable[[], datetime] = utcnow, holder: str | None = None,
                 rng: random.Random | None = None, on_ready: Callable[[], None] = lambda: None) -> None:
        self._config = config
        self._engine = engine
        self._http = http
        self._accept = accept
        self._clock = clock
        self._rng = rng or random.Random()
        self._on_ready = on_ready
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._lease = leases.Keeper(engine, LEASE, self.holder,
                                    lambda: timedelta(seconds=self._config.lease_seconds), clock)
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._pending: dict[str, deque[asyncio.Future[proto.Frame]]] = {}
        self._pings: set[str] = set()
        self._missed = 0
        self._handling: set[asyncio.Task[None]] = set()
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._replaced = False
        self.failures = 0  # connection attempts in a row that did not end subscribed
        self.delays: list[float] = []  # every backoff chosen, for logs and tests
        self.subscribed = asyncio.Event()  # set while subscribed, cleared on a drop
        self.leading = False

    # --- lifetime ---------------------------------------------------------------------------------------------

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="gridbot-aibot-ws")

    async def stop(self, *, release: bool = True) -> None:
        """Close the connection, let messages in hand finish, give up the lease (``release=False``: let it
        lapse, as a process that died would)."""
        self._stop.set()
        ws = self._ws
        if ws is not None:
            await ws.close()
        if self._task is not None:
            # a connection attempt under way is bounded by request_timeout_seconds; messages in hand as well
            done, _ = await asyncio.wait({self._task}, timeout=3 * self._config.request_timeout_seconds)
            if not done:
                self._task.cancel()
                await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        if release and self.leading:
            try:
                await asyncio.to_thread(self._release)
            except Exception:  # the database may be gone already; the lease then simply lapses
                log.exception("aibot_ws.release_failed holder=%s", self.holder)
        self.leading = False

    @property
    def connected(self) -> bool:
        return self.subscribed.is_set()

    @property
    def state(self) -> str:
        """For /readyz: ``connected``; ``connecting`` (this process holds the lease, not subscribed yet or
        after a drop); ``standby`` (another process holds the connection)."""
        if self.connected:
            return "connected"
        return "connecting" if self.leading else "standby"

    # --- the loop ---------------------------------------------------------------------------------------------

    async def _run(self) -> None:
        c = self._config
        while not self._stop.is_set():
            try:
                held = await asyncio.to_thread(self._acquire)
            except Exception:
                log.exception("aibot_ws.lease_failed holder=%s", self.holder)
                held = False
            if held != self.leading:
                log.info("aibot_ws.%s holder=%s", "leading" if held else "standing_by", self.holder)
                self.leading = held
            if not held:
                await self._pause(c.lease_seconds / 3)
                continue
            try:
                await self._connection()
                reason = "closed"
            except AuthRefused as e:  # wrong id or secret, or the bot not in long-connection mode
                reason = f"subscribe refused errcode={e.errcode} errmsg={e.errmsg}"
                log.error("aibot_ws.auth_refused errcode=%s errmsg=%s", e.errcode, e.errmsg)
            except (aiohttp.ClientError, OSError, TimeoutError, ConnectionLost) as e:
                reason = f"{type(e).__name__}: {e}".strip()
            except Exception as e:
                log.exception("aibot_ws.crashed")
                reason = f"{type(e).__name__}"
            if self._stop.is_set():
                break
            delay = self.backoff()
            self.delays.append(delay)
            log.warning("aibot_ws.reconnecting in=%.2fs failures=%d reason=%s", delay, self.failures, reason)
            await self._pause(delay)
        await self._finish_handling()

    def backoff(self) -> float:
        """Exponential in the failures in a row (1, 2, 4 ... s up to the cap), half of it random (jitter, so
        that many bots do not reconnect in step). Replaced by another connection: the cap at once."""
        c = self._config
        self.failures += 1
        if self._replaced:
            self._replaced = False
            self.failures = max(self.failures, 64)
        ceiling = min(c.reconnect_max_seconds, c.reconnect_base_seconds * 2 ** min(self.failures - 1, 62))
        return ceiling / 2 + self._rng.uniform(0, ceiling / 2)

    async def _pause(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._stop.wait(), timeout=seconds)
        except TimeoutError:
            pass

    async def _connection(self) -> None:
        c = self._config
        timeout = aiohttp.ClientWSTimeout(ws_receive=None, ws_close=c.request_timeout_seconds)
        # the handshake is bounded too: a black-holed network must not hold the loop (or a shutdown) for minutes
        ws = await asyncio.wait_for(self._http.ws_connect(c.ws_url, timeout=timeout, heartbeat=None,
                                                          autoping=True, max_msg_size=1024 * 1024),
                                    c.request_timeout_seconds)
        async with ws:
            self._ws = ws
            try:
                await self._subscribe(ws)
                self.failures = 0
                self._missed = 0
                self.subscribed.set()
                log.info("aibot_ws.subscribed holder=%s", self.holder)
                self._on_ready()
                keep = [asyncio.create_task(self._heartbeat(ws), name="gridbot-aibot-ping"),
                        asyncio.create_task(self._keep_lease(ws), name="gridbot-aibot-lease")]
                try:
                    await self._read(ws)
                finally:
                    for t in keep:
                        t.cancel()
                    await asyncio.gather(*keep, return_exceptions=True)
            finally:
                self.subscribed.clear()
                self._ws = None
                self._fail_pending()
        log.warning("aibot_ws.disconnected close_code=%s", ws.close_code)

    async def _subscribe(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        frame = proto.subscribe(self._config.bot_id, self._config.secret)
        await ws.send_str(proto.encode(frame))
        async with asyncio.timeout(self._config.request_timeout_seconds):
            while True:
                msg = await ws.receive()
                if msg.type != aiohttp.WSMsgType.TEXT:
                    raise ConnectionLost(f"closed before the subscription was answered ({msg.type.name})")
                try:
                    answer = proto.decode(msg.data)
                except BadPayload as e:
                    log.warning("aibot_ws.bad_frame reason=%s", e.reason)
                    continue
                if answer.req_id != frame.req_id:
                    continue  # nothing else is due before the answer; never handle a message unsubscribed
                if not answer.ok:
                    raise AuthRefused(answer.errcode, answer.errmsg)
                return

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for msg in ws:
            if msg.type == aiohttp.WSMsgType.TEXT:
                self._on_text(ws, msg.data)
            elif msg.type == aiohttp.WSMsgType.BINARY:
                log.warning("aibot_ws.bad_frame reason=binary frame of %d bytes", len(msg.data))
            else:  # ERROR: the loop ends with the connection
                break

    def _on_text(self, ws: aiohttp.ClientWebSocketResponse, data: str) -> None:
        try:
            frame = proto.decode(data)
        except BadPayload as e:
            log.warning("aibot_ws.bad_frame reason=%s", e.reason)
            return
        if frame.cmd == proto.MSG_CALLBACK:
            task = asyncio.create_task(self._on_message(ws, frame), name="gridbot-aibot-msg")
            self._handling.add(task)
            task.add_done_callback(self._handling.discard)
        elif frame.cmd == proto.EVENT_CALLBACK and proto.event_type(frame.body) == "template_card_event":
            task = asyncio.create_task(self._on_message(ws, frame), name="gridbot-aibot-card")  # a press
            self._handling.add(task)
            task.add_done_callback(self._handling.discard)
        elif frame.cmd == proto.EVENT_CALLBACK:
            self._on_event(frame)
        elif frame.cmd is None:
            self._on_answer(frame)
        else:
            log.info("aibot_ws.ignored cmd=%s", frame.cmd)

    def _on_answer(self, frame: proto.Frame) -> None:
        if frame.req_id in self._pings:
            self._pings.discard(frame.req_id)
            if frame.ok:
                self._missed = 0
            else:
                log.warning("aibot_ws.ping_refused errcode=%s errmsg=%s", frame.errcode, frame.errmsg)
            return
        waiting = self._pending.get(frame.req_id)
        if not waiting:
            log.info("aibot_ws.unexpected_answer req_id=%s errcode=%s", frame.req_id, frame.errcode)
            return
        future = waiting.popleft()
        if not waiting:
            del self._pending[frame.req_id]
        if not future.done():
            future.set_result(frame)

    def _on_event(self, frame: proto.Frame) -> None:
        kind = proto.event_type(frame.body)
        if kind == proto.DISCONNECTED_EVENT:
            # a newer connection for this bot took over (another deployment with the same secret?)
            log.error("aibot_ws.replaced holder=%s: another connection for this bot took over", self.holder)
            self._replaced = True
            return
        log.info("aibot_ws.event_ignored eventtype=%s msgid=%s", kind, proto.msg_id_of(frame.body))

    async def _on_message(self, ws: aiohttp.ClientWebSocketResponse, frame: proto.Frame) -> None:
        msg_id = proto.msg_id_of(frame.body)
        try:
            msg = proto.read_message(frame.body)
            if msg is None:
                return
            reply = await self._accept(msg)
        except StoreUnavailable as e:  # not stored: left unanswered, the platform delivers it again
            log.error("aibot_ws.unavailable msg_id=%s reason=%s", msg_id, e)
            return
        except GridbotError as e:  # a bad frame or an unstorable message: refused, nothing stored
            log.warning("aibot_ws.refused msg_id=%s kind=%s reason=%s", msg_id, type(e).__name__, e.reason)
            return
        out = proto.answer(frame.req_id, reply, msg)
        if out is None:
            return
        try:
            answer = await self._request(ws, out)
        except (ConnectionLost, ConnectionError, TimeoutError) as e:
            # stored but unanswered: the platform delivers it again and gets the stored reply
            log.warning("aibot_ws.reply_lost msg_id=%s reason=%s", msg.msg_id, type(e).__name__)
            return
        if not answer.ok:
            log.warning("aibot_ws.reply_refused msg_id=%s errcode=%s errmsg=%s", msg.msg_id, answer.errcode,
                        answer.errmsg)

    async def _request(self, ws: aiohttp.ClientWebSocketResponse, frame: proto.Frame) -> proto.Frame:
        """Send ``frame`` and wait for the platform's answer to its req_id."""
        if ws.closed:
            raise ConnectionLost("not connected")
        future: asyncio.Future[proto.Frame] = asyncio.get_running_loop().create_future()
        self._pending.setdefault(frame.req_id, deque()).append(future)
        try:
            await ws.send_str(proto.encode(frame))
            async with asyncio.timeout(self._config.request_timeout_seconds):
                return await future
        finally:
            waiting = self._pending.get(frame.req_id)
            if waiting is not None and future in waiting:
                waiting.remove(future)
                if not waiting:
                    del self._pending[frame.req_id]

    def _fail_pending(self) -> None:
        for waiting in self._pending.values():
            for future in waiting:
                if not future.done():
                    future.set_exception(ConnectionLost("connection closed"))
        self._pending.clear()
        self._pings.clear()

    async def _heartbeat(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        c = self._config
        while not ws.closed:
            await asyncio.sleep(c.heartbeat_seconds)
            if self._missed >= c.missed_heartbeats:
                log.warning("aibot_ws.heartbeat_lost missed=%d: reconnecting", self._missed)
                await ws.close()
                return
            self._missed += 1
            frame = proto.ping()
            self._pings.add(frame.req_id)
            try:
                await ws.send_str(proto.encode(frame))
            except ConnectionError:
                return

    async def _keep_lease(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        while not ws.closed:
            await asyncio.sleep(self._config.lease_seconds / 3)
            try:
                held = await asyncio.to_thread(self._acquire)
            except Exception:  # the database blinked: keep the connection, try again next time
                log.exception("aibot_ws.lease_failed holder=%s", self.holder)
                continue
            if not held:
                log.warning("aibot_ws.lease_lost holder=%s: closing the connection", self.holder)
                self.leading = False
                await ws.close()
                return

    async def _finish_handling(self) -> None:
        """Messages being committed when the connection closed finish (their commit is under way; their
        answers cannot be sent any more, so the platform delivers them again)."""
        if self._handling:
            _, late = await asyncio.wait(set(self._handling), timeout=self._config.request_timeout_seconds)
            for t in late:
                t.cancel()

    # --- pushes -----------------------------------------------------------------------------------------------

    async def push(self, chatid: str, text: str) -> None:
        """Send a markdown message to a chat (a group's chatid, or a person's userid); ``Retryable`` while
        this process holds no connection or the platform refuses (the outbox tries again, bounded)."""
        ws = self._ws
        if ws is None or not self.connected:
            raise Retryable("aibot: not connected (another process may hold the connection)")
        try:
            answer = await self._request(ws, proto.push_markdown(chatid, text))
        except (ConnectionLost, ConnectionError) as e:
            raise Retryable(f"aibot: connection lost before the push was answered ({type(e).__name__})") from None
        except TimeoutError:
            raise Retryable("aibot: push unanswered") from None
        if not answer.ok:
            raise Retryable(f"aibot_send_msg errcode={answer.errcode} errmsg={answer.errmsg}",
                            errcode=answer.errcode)

    # --- the lease (blocking, in a thread) --------------------------------------------------------------------

    def _acquire(self) -> bool:
        return self._lease.acquire()

    def _release(self) -> None:
        self._lease.release()

