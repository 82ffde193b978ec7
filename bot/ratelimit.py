"""Per-sender and per-chat rate limits at the edge, before anything is stored.

A sender (or a chat) past its limit in the current minute gets one polite notice, then its messages are
dropped without a word until the minute is over; nobody else waits for it, since the check is a dictionary
look-up on the event loop. Counts are per server process (with N workers a sender may get up to N times the
limit through, which is the same order and keeps the check free of database round trips). Dropped messages
are logged: the first with its reason, the rest as one count when the minute ends.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from handlers import texts_ops
from handlers.messages import InboundMessage, Reply

log = logging.getLogger("gridbot.ratelimit")

WINDOW = 60.0


@dataclass(slots=True)
class _Count:
    n: int = 0
    dropped: int = 0


class RateLimiter:
    def __init__(self, sender_per_minute: int, chat_per_minute: int,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.sender_per_minute = sender_per_minute
        self.chat_per_minute = chat_per_minute
        self._now = monotonic
        self._window = -1
        self._counts: dict[tuple[str, str, str], _Count] = {}

    def check(self, msg: InboundMessage) -> Reply | None:
        """None: let the message through. Else the reply to give instead of handling it: the notice the
        first time past a limit in this minute, silence after that."""
        window = int(self._now() // WINDOW)
        if window != self._window:
            self._roll(window)
        limits = [("sender", msg.sender_id, self.sender_per_minute, texts_ops.RATE_LIMITED)]
        if msg.chat_id:
            limits.append(("chat", msg.chat_id, self.chat_per_minute, texts_ops.CHAT_RATE_LIMITED))
        for kind, key, limit, notice in limits:
            if not limit:
                continue
            c = self._counts.setdefault((kind, msg.channel, key), _Count())
            c.n += 1
            if c.n <= limit:
                continue
            c.dropped += 1
            if c.dropped == 1:
                log.warning("ratelimit.limited kind=%s channel=%s key=%s limit=%d/min msg_id=%s: notice given, "
                            "later messages dropped this minute", kind, msg.channel, key, limit, msg.msg_id)
                return Reply(notice)
            return Reply.silent()
        return None

    def _roll(self, window: int) -> None:
        for (kind, channel, key), c in self._counts.items():
            if c.dropped > 1:
                log.warning("ratelimit.dropped kind=%s channel=%s key=%s dropped=%d", kind, channel, key,
                            c.dropped - 1)
        self._counts = {}
        self._window = window
