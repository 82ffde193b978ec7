"""The one inbound type every channel adapter produces, and the one reply type it renders."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

# Leading "@网格通 " / "@张三\u2005" mentions: WeChat puts a four-per-em space after a mention.
MENTIONS = re.compile(r"^\s*(?:@[^\s\u2005@]+[\s\u2005]*)+")


@dataclass(frozen=True, slots=True)
class InboundMessage:
    channel: str  # "wecom_app" | "wecom_aibot" | "bridge"
    msg_id: str  # the platform's id: a retry carries the same one
    sender_id: str
    text: str
    sent_at: datetime  # aware
    chat_id: str | None = None  # None for a 1:1 conversation with the app
    sender_name: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.channel, self.msg_id)


@dataclass(frozen=True, slots=True)
class Reply:
    text: str | None  # None: say nothing (the bot never spams a group)
    ticket: int | None = None

    @classmethod
    def silent(cls) -> Reply:
        return cls(None, None)
