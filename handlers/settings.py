"""What the ticket rules need from configuration, independent of how the file is written."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from zoneinfo import ZoneInfo

from handlers.sla import SlaPolicy

TZ = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True, slots=True)
class LinkSettings:
    """Signed, expiring file links: where this server is reached and the key that signs them."""

    public_url: str | None = None
    secret: str = ""
    ttl: timedelta = timedelta(minutes=60)

    @property
    def enabled(self) -> bool:
        return bool(self.public_url and self.secret)


@dataclass(frozen=True, slots=True)
class TicketRules:
    deadlines: dict[str, timedelta] = field(default_factory=dict)
    default_deadline: timedelta = timedelta(hours=72)
    urgent_deadline: timedelta = timedelta(hours=2)
    duplicate_window: timedelta = timedelta(days=7)
    confidence_threshold: float = 0.5
    clarify_ttl: timedelta = timedelta(minutes=30)
    rating_window: timedelta = timedelta(days=3)  # after 办结, the reporter rates within this ([loop] rating_days)
    auto_close_as: str = "default_satisfied"  # or "unrated"
    chase_period: timedelta = timedelta(hours=24)  # one 催办 per reporter and ticket per period
    sla: SlaPolicy = field(default_factory=SlaPolicy)  # the two clocks and the working-day calendar
    # push channels that can deliver (a reply says someone was told only when a send was queued to one)
    outbound: frozenset[str] = frozenset({"user", "appchat", "robot", "bridge"})
    bridge_members: tuple[tuple[str, str], ...] = ()  # bridge sender id → member userid, from [bridge] members
    bridge_chats: frozenset[str] = frozenset()  # [bridge] chat_ids: a grid's chats reached through the bridge
    attach_window: timedelta = timedelta(minutes=10)  # a photo and the text it belongs to
    attachments: bool = True
    cards: bool = False  # staff get interactive cards through the app ([wecom] cards, with its callback set up)
    max_bytes: dict[str, int] = field(default_factory=lambda: {
        "image": 10 << 20, "voice": 2 << 20, "video": 20 << 20, "file": 20 << 20})
    link: LinkSettings = LinkSettings()

    def deadline(self, category: str, urgent: bool) -> timedelta:
        if urgent:
            return self.urgent_deadline
        return self.deadlines.get(category, self.default_deadline)
