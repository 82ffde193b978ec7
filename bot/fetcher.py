"""The media fetcher: downloads the bytes of stored messages' attachments, checks them, keeps them.

Attachment rows are written with their message (``pending``); this worker claims due rows, gets the bytes by
their source — the WeCom media API (with the same client and token cache as the outbox's sends), a URL given
by the bridge, an AI bot's encrypted file (decrypted with the bot's EncodingAESKey), or bytes the bridge sent
inline — checks them (``storage.media``: type from the bytes, size limit, EXIF stripped), puts them in the
blob store and marks the row. A refusal is told to the sender through the outbox; a result photo goes to the
ticket's followers (``handlers.evidence.on_stored``). Transient failures are retried with backoff; a restart
loses nothing, since the rows are the queue. The passive reply never waits for any of this.

It also purges the attachments of tickets closed longer ago than ``[attachments] retention_days``.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

import aiohttp
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from sqlalchemy import Engine

from bot.config import AttachmentsConfig
from bot.wecom_api import Permanent, Retryable, TooLarge, WecomClient, read_limited
from handlers import evidence
from handlers.settings import TicketRules
from storage import attachments as store
from storage import media
from storage.blobs import BlobStore, LocalBlobStore, S3BlobStore
from storage.db import session_factory
from storage.models import Attachment
from storage.types import utcnow

log = logging.getLogger(__name__)

ROBOT_IMAGE_MAX = 2 * 1024 * 1024  # a group robot's image message: JPG or PNG, at most 2 MB
ROBOT_IMAGE_TYPES = ("image/jpeg", "image/png")


def make_blob_store(config: AttachmentsConfig) -> BlobStore:
    if config.store == "s3":
        s3 = config.s3
        return S3BlobStore.connect(bucket=s3.bucket, endpoint_url=s3.endpoint_url, region=s3.region,
                                   access_key_id=s3.access_key_id, secret_access_key=s3.secret_access_key,
                                   prefix=s3.prefix)
    return LocalBlobStore(config.dir)


def media_key(key_text: str) -> bytes:
    """A 32-byte AES key from an EncodingAESKey (43 characters, '=' left off) or a base64 per-message key."""
    text = key_text.strip()
    for candidate in (text + "=" * (-len(text) % 4), text):
        try:
            key = base64.b64decode(candidate, validate=True)
        except (binascii.Error, ValueError):
            continue
        if len(key) == 32:
            return key
    raise Permanent("aibot file: the AES key is not base64 of 32 bytes")


def decrypt_aibot_file(data: bytes, key: bytes) -> bytes:
    """AES-256-CBC, IV the key's first 16 bytes, PKCS#7 padding to a multiple of 32 bytes (the platform's
    scheme for the callback body, applied to the whole file)."""
    if not data or len(data) % 16:
        raise Permanent("aibot file: ciphertext is not a whole number of AES blocks")
    dec = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    plain = dec.update(data) + dec.finalize()
    pad = plain[-1]
    if not 1 <= pad <= 32 or plain[-pad:] != bytes([pad]) * pad:
        raise Permanent("aibot file: bad padding (wrong key?)")
    return plain[:-pad]


class MediaFetcher:
    def __init__(self, engine: Engine, blobs: BlobStore, http: aiohttp.ClientSession, config: AttachmentsConfig,
                 rules: TicketRules, *, wecom: WecomClient | None, aibot_key: str = "",
                 clock: Callable[[], datetime] = utcnow, on_enqueued: Callable[[], None] = lambda: None,
                 batch: int = 10) -> None:
        self._engine = engine
        self._sessions = session_factory(engine)
        self.blobs = blobs
        self._http = http
        self._config = config
        self._rules = rules
        self._wecom = wecom
        self._aibot_key = aibot_key
        self._clock = clock
        self._on_enqueued = on_enqueued
        self._batch = batch
        self._limits = media.Limits(max_bytes=config.max_bytes(), keep_exif=config.keep_exif)
        self._timeout = aiohttp.ClientTimeout(total=config.fetch_timeout_seconds)
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._last_purge: datetime | None = None
        self._pass = asyncio.Lock()  # one pass at a time: drain() returns once every due row is settled
        self.stored = 0  # counters, for logs and tests
        self.refused = 0

    # --- lifetime ---------------------------------------------------------------------------------------------

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="gridbot-media-fetcher")

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), timeout=self._config.fetch_timeout_seconds + 5)
            except TimeoutError:
                self._task.cancel()
                try:
                    await self._task
                except asyncio.CancelledError:
                    pass
            self._task = None

    def wake(self) -> None:
        self._wake.set()

    async def _run(self) -> None:
        while not self._stopping:
            try:
                busy = await self.run_once()
                await self._maybe_purge()
            except Exception:  # the database is away: log, wait a poll, try again
                log.exception("fetcher.pass_failed")
                busy = 0
            if busy:
                continue
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self._config.poll_seconds)
            except TimeoutError:
                pass

    async def run_once(self) -> int:
        async with self._pass:
            now = self._clock()
            until = now + timedelta(seconds=self._config.fetch_timeout_seconds * 2 + 30)
            rows = await asyncio.to_thread(store.claim, self._engine, now, until, self._batch)
            if rows:
                await asyncio.gather(*(self._one(r) for r in rows))
            return len(rows)

    async def drain(self, max_passes: int = 100) -> None:
        """Fetch everything due now (tests)."""
        for _ in range(max_passes):
            if await self.run_once() == 0:
                return

    # --- one attachment -----------------------------------------------------------------------------------------

    async def _one(self, row: Attachment) -> None:
        limit = self._limits.limit(row.kind)
        try:
            data = await self._bytes(row, limit)
        except TooLarge as e:
            await self._refuse(row, "too_large", e.reason)
            return
        except Permanent as e:
            await self._refuse(row, "failed", e.reason, status="failed")
            return
        except (Retryable, Exception) as e:  # noqa: B014 - an unexpected error is retried like a transient one
            reason = e.reason if isinstance(e, Retryable) else f"{type(e).__name__}: {e}"
            if not isinstance(e, Retryable):
                log.exception("fetcher.crashed attachment=%s", row.id)
            if row.attempts + 1 >= self._config.fetch_attempts:
                await self._refuse(row, "failed", f"gave up after {row.attempts + 1} attempts: {reason}",
                                   status="failed")
                return
            at = self._clock() + timedelta(seconds=min(300.0, 5.0 * 2 ** row.attempts))
            await asyncio.to_thread(self._in_tx, lambda s: store.mark_retry(s, row.id, reason, at))
            log.warning("fetcher.retry attachment=%s attempts=%d reason=%s", row.id, row.attempts + 1, reason)
            return
        try:
            checked = await asyncio.to_thread(media.inspect, row.kind, data, self._limits)
        except media.Refused as e:
            await self._refuse(row, e.code, str(e), size=len(data), content_type=media.sniff(data))
            return
        sha = await asyncio.to_thread(self.blobs.put, checked.data)
        robot_ok = len(checked.data) <= ROBOT_IMAGE_MAX and checked.content_type in ROBOT_IMAGE_TYPES
        now = self._clock()

        def done(s) -> None:
            store.mark_stored(s, row.id, sha256=sha, content_type=checked.content_type, size=len(checked.data),
                              now=now)
            fresh = s.get(Attachment, row.id)
            evidence.on_stored(s, self._rules, fresh, now, robot_ok=robot_ok)

        await asyncio.to_thread(self._in_tx, done)
        self.stored += 1
        self._on_enqueued()
        log.info("fetcher.stored attachment=%s kind=%s type=%s bytes=%d stripped=%s", row.id, row.kind,
                 checked.content_type, len(checked.data), checked.stripped)

    async def _refuse(self, row: Attachment, code: str, reason: str, *, status: str = "refused",
                      size: int | None = None, content_type: str | None = None) -> None:
        def mark(s) -> None:
            store.mark_refused(s, row.id, f"{code}: {reason}", status=status, size=size, content_type=content_type)
            evidence.on_refused(s, self._rules, row, code)

        await asyncio.to_thread(self._in_tx, mark)
        self.refused += 1
        self._on_enqueued()
        log.warning("fetcher.refused attachment=%s kind=%s code=%s reason=%s", row.id, row.kind, code, reason)

    def _in_tx(self, fn) -> None:
        with self._sessions() as s:
            fn(s)
            s.commit()

    async def _bytes(self, row: Attachment, limit: int) -> bytes:
        if row.source == "inline":
            if row.inline is None:
                raise Permanent("inline attachment without data")
            if len(row.inline) > limit:
                raise TooLarge(f"{len(row.inline)} bytes over {limit}")
            return bytes(row.inline)
        if row.source == "wecom_media":
            if self._wecom is None:
                raise Permanent("media/get impossible: [wecom] corp_id/secret not configured")
            data, _name = await self._wecom.get_media(row.ref, max_bytes=limit)
            return data
        if row.source == "url":
            return await self._download(row.ref, limit, "bridge url")
        if row.source == "aibot_url":
            key_text = row.aes_key or self._aibot_key
            if not key_text:
                raise Permanent("aibot file: [wecom.aibot] encoding_aes_key not configured")
            encrypted = await self._download(row.ref, limit + 32, "aibot url")
            return await asyncio.to_thread(decrypt_aibot_file, encrypted, media_key(key_text))
        raise Permanent(f"unknown source {row.source!r}")

    async def _download(self, url: str, limit: int, where: str) -> bytes:
        try:
            async with self._http.get(url, timeout=self._timeout, allow_redirects=True, max_redirects=3) as resp:
                if resp.status >= 500 or resp.status in (408, 429):
                    raise Retryable(f"{where}: HTTP {resp.status}")
                if resp.status >= 400:
                    raise Permanent(f"{where}: HTTP {resp.status}")
                return await read_limited(resp, limit)
        except (TimeoutError, aiohttp.ClientError) as e:
            raise Retryable(f"{where}: {type(e).__name__} {e}".strip()) from None

    # --- retention ------------------------------------------------------------------------------------------------

    async def _maybe_purge(self) -> None:
        if not self._config.retention_days:
            return
        now = self._clock()
        if self._last_purge is not None and now - self._last_purge < timedelta(hours=1):
            return
        self._last_purge = now
        await asyncio.to_thread(purge, self._engine, self.blobs, now, self._config.retention_days)


def purge(engine: Engine, blobs: BlobStore, now: datetime, retention_days: float) -> int:
    """Delete the stored files of tickets closed more than ``retention_days`` ago (rows stay, marked purged;
    a blob another live attachment shares is kept). Returns how many attachments were purged."""
    cutoff = now - timedelta(days=retention_days)
    with session_factory(engine)() as s:
        rows = store.purgeable(s, cutoff)
        ids = [r.id for r in rows]
        unused = [sha for sha in {r.sha256 for r in rows if r.sha256} if not store.sha_in_use(s, sha, ids)]
        store.mark_purged(s, ids, now)
        s.commit()
    for sha in unused:  # after the commit: a row never points at a blob that is gone while it says stored
        blobs.delete(sha)
    if ids:
        log.info("attachments.purged count=%d closed_before=%s", len(ids), cutoff.isoformat(timespec="seconds"))
    return len(ids)
