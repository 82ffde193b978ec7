"""The outbox worker: sends due rows, marks them sent, retries failures with backoff, gives up on the hopeless.

Rows are claimed in one short transaction, sent with no transaction open, and marked in another; the
database work runs in a thread, never on the event loop. Messages to one target keep their order: when one
cannot go now, the ones after it wait with it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Engine

from bot.config import OutboxConfig
from bot.senders import RateLimited, Senders
from bot.wecom_api import Permanent, Retryable
from storage import delivery
from storage.models import Outbox
from storage.outbox import shown_target
from storage.types import utcnow

log = logging.getLogger(__name__)


def _where(row: Outbox) -> str:
    return shown_target(row)  # a robot's key or a response_url is a credential: name the kind, never the value


class OutboxWorker:
    def __init__(self, engine: Engine, senders: Senders, config: OutboxConfig, *,
                 clock: Callable[[], datetime] = utcnow, name: str = "outbox") -> None:
        self._engine = engine
        self._senders = senders
        self._config = config
        self._clock = clock
        self.name = name
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self.sent = 0  # counters, for logs and tests
        self.failed = 0

    # --- lifetime ---------------------------------------------------------------------------------------------

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"gridbot-{self.name}")

    async def stop(self) -> None:
        """Finish the batch in hand, then stop; what is left is sent by the next worker to start."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), timeout=self._config.request_timeout_seconds * 2)
            except TimeoutError:
                self._task.cancel()
                try:
                    await self._task
                except asyncio.CancelledError:
                    pass
            self._task = None

    def wake(self) -> None:
        """Look for due rows now rather than at the next poll."""
        self._wake.set()

    async def _run(self) -> None:
        while not self._stopping:
            try:
                busy = await self.run_once()
            except Exception:  # the database is away: log, wait a poll, try again
                log.exception("outbox.pass_failed worker=%s", self.name)
                busy = 0
            if busy:
                continue
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self._config.poll_seconds)
            except TimeoutError:
                pass

    # --- one pass ---------------------------------------------------------------------------------------------

    async def run_once(self) -> int:
        """Claim a batch of due rows and try each; returns how many were claimed."""
        now = self._clock()
        claim_until = now + timedelta(seconds=self._config.claim_seconds)
        rows = await asyncio.to_thread(delivery.claim, self._engine, now, claim_until, self._config.batch,
                                       skip_kinds=self._senders.unavailable_kinds())
        if not rows:
            return 0
        by_target: dict[tuple[str, str], list[Outbox]] = {}
        for row in rows:
            by_target.setdefault((row.target_kind, row.target), []).append(row)
        await asyncio.gather(*(self._send_in_order(group, claim_until) for group in by_target.values()))
        return len(rows)

    async def drain(self, max_passes: int = 1000) -> None:
        """Send everything due now (tests, ``gridbot outbox send``)."""
        for _ in range(max_passes):
            if await self.run_once() == 0:
                return

    async def _send_in_order(self, rows: list[Outbox], claim_until: datetime) -> None:
        for i, row in enumerate(rows):
            held = await self._send_one(row, claim_until)
            if held is not None:  # the rest of this target's rows wait behind it, without a failure counted
                at, why = held
                for later in rows[i + 1:]:
                    await asyncio.to_thread(delivery.mark_retry, self._engine, later, claim_until, at,
                                            f"waiting behind #{row.id}: {why}", count=False)
                return

    async def _send_one(self, row: Outbox, claim_until: datetime) -> tuple[datetime, str] | None:
        """Send ``row`` and record the outcome; returns (when, why) when it has to wait."""
        try:
            msgid = await self._senders.send(row)
        except RateLimited as e:
            at = self._clock() + timedelta(seconds=e.wait)
            await asyncio.to_thread(delivery.mark_retry, self._engine, row, claim_until, at, str(e), count=False)
            log.info("outbox.deferred id=%s to=%s wait=%.1fs", row.id, _where(row), e.wait)
            return at, str(e)
        except Permanent as e:
            self.failed += 1
            await asyncio.to_thread(delivery.mark_dead, self._engine, row, claim_until, e.reason)
            log.error("outbox.dead id=%s to=%s attempts=%d reason=%s", row.id, _where(row), row.attempts + 1,
                      e.reason)
            return None
        except (Retryable, Exception) as e:  # noqa: B014 - an unexpected error is retried like a transient one
            reason = e.reason if isinstance(e, Retryable) else f"{type(e).__name__}: {e}"
            if not isinstance(e, Retryable):
                log.exception("outbox.send_crashed id=%s", row.id)
            self.failed += 1
            attempts = row.attempts + 1
            bound = self.gives_up(row, attempts)
            if bound is not None:
                await asyncio.to_thread(delivery.mark_dead, self._engine, row, claim_until,
                                        f"gave up after {bound}: {reason}")
                log.error("outbox.dead id=%s to=%s attempts=%d reason=%s", row.id, _where(row), attempts, reason)
                return None
            at = self._clock() + self.backoff(attempts, getattr(e, "retry_after", None))
            await asyncio.to_thread(delivery.mark_retry, self._engine, row, claim_until, at, reason)
            log.warning("outbox.retry id=%s to=%s attempts=%d at=%s reason=%s", row.id, _where(row), attempts,
                        at.isoformat(timespec="seconds"), reason)
            return at, reason
        self.sent += 1
        if not await asyncio.to_thread(delivery.mark_sent, self._engine, row, claim_until, self._clock(), msgid):
            log.warning("outbox.claim_lost id=%s: sent, but the claim lapsed (raise [outbox] claim_seconds)", row.id)
        else:
            log.info("outbox.sent id=%s to=%s msgtype=%s", row.id, _where(row), row.msgtype)
        return None

    def gives_up(self, row: Outbox, attempts: int) -> str | None:
        """Why a row that failed again is given up (its count or its age past the bound), or None to retry."""
        c = self._config
        if c.max_attempts and attempts >= c.max_attempts:
            return f"{attempts} attempts"
        if c.max_age_hours:
            age = self._clock() - row.created_at
            if age >= timedelta(hours=c.max_age_hours):
                return f"{attempts} attempts over {age.total_seconds() / 3600:.1f} h"
        return None

    def backoff(self, attempts: int, hint: float | None = None) -> timedelta:
        c = self._config
        seconds = min(c.backoff_max_seconds, c.backoff_base_seconds * 2 ** max(attempts - 1, 0))
        return timedelta(seconds=max(seconds, hint or 0))


def build_worker(config, engine: Engine, http, *, clock: Callable[[], datetime] = utcnow,
                 monotonic: Callable[[], float] | None = None, name: str = "outbox", wecom=None,
                 blobs=None, aibot=None) -> OutboxWorker:
    """The worker with its WeCom client and senders, as the app and the CLI make it."""
    import time

    from bot.senders import RobotLimiter
    from bot.wecom_api import WecomClient

    mono = monotonic or time.monotonic
    o, w = config.outbox, config.wecom
    if wecom is None:  # the app passes the one client its media fetcher shares (one token cache)
        wecom = WecomClient(http, api_base=w.api_base, corp_id=w.corp_id, secret=w.secret, agent_id=w.agent_id,
                            timeout=o.request_timeout_seconds, monotonic=mono)
    senders = Senders(wecom, http, limiter=RobotLimiter(o.robot_per_minute, mono),
                      bridge_url=config.bridge.outbound_url, bridge_secret=config.bridge.secret,
                      timeout=o.request_timeout_seconds, blobs=blobs, aibot=aibot)
    return OutboxWorker(engine, senders, o, clock=clock, name=name)
