"""Group commit: concurrent messages are handled in one database transaction, one fsync for all of them.

Requests wait on a future; one writer thread takes everything that queued up while the previous batch was
committing, handles each message in its own savepoint, commits once, then answers them all. A reply is
therefore never sent before its message is durable. A retry of a message still in flight waits on the
first one's future instead of being handled twice.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlmodel import Session

from handlers.context import Services
from handlers.messages import InboundMessage, Reply
from handlers.router import handle, handle_batch
from storage.db import session_factory

log = logging.getLogger(__name__)


class StoreUnavailable(Exception):
    """The batch could not be committed; nothing of it was stored and the platform should retry."""


@dataclass(slots=True)
class _Item:
    msg: InboundMessage
    future: asyncio.Future[Reply]


class Pipeline:
    def __init__(self, engine: Engine, services: Services, *, max_batch: int = 256) -> None:
        self._sessions = session_factory(engine)
        self._services = services
        self._max_batch = max_batch
        self._queue: asyncio.Queue[_Item] = asyncio.Queue()
        self._in_flight: dict[tuple[str, str], asyncio.Future[Reply]] = {}
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gridbot-writer")
        self._task: asyncio.Task[None] | None = None
        self.batches = 0  # for benchmarks and logs
        self.messages = 0

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="gridbot-pipeline")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        self._executor.shutdown(wait=True)

    async def submit(self, msg: InboundMessage) -> Reply:
        """Store and handle ``msg``; returns once it is committed."""
        existing = self._in_flight.get(msg.key)
        if existing is not None:
            return await asyncio.shield(existing)
        future: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
        self._in_flight[msg.key] = future
        future.add_done_callback(lambda _f, k=msg.key: self._in_flight.pop(k, None))
        await self._queue.put(_Item(msg, future))
        return await asyncio.shield(future)

    def run_sync(self, fn, *args):
        """Run ``fn(session, *args)`` on the writer thread in its own transaction (CLI-style work from the app)."""
        def job():
            with self._sessions() as session, session.begin():
                return fn(session, *args)
        return asyncio.get_running_loop().run_in_executor(self._executor, job)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self._max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                replies = await loop.run_in_executor(self._executor, self._commit_batch, [i.msg for i in batch])
            except Exception as e:  # the whole transaction is gone: nobody gets an answer, all may retry
                log.exception("pipeline.batch_failed size=%d", len(batch))
                for item in batch:
                    if not item.future.done():
                        item.future.set_exception(StoreUnavailable(str(e)))
                continue
            for item, reply in zip(batch, replies, strict=True):
                if not item.future.done():
                    item.future.set_result(reply)

    def _commit_batch(self, msgs: list[InboundMessage]) -> list[Reply]:
        with self._sessions() as session:
            replies = handle_batch(session, msgs, self._services)
            session.commit()
        self.batches += 1
        self.messages += len(msgs)
        return replies


def handle_one(session: Session, msg: InboundMessage, services: Services) -> Reply:
    """Handle and commit a single message: tests and the CLI use this path."""
    reply = handle(session, msg, services)
    session.commit()
    return reply
