"""Tables. The schema itself is owned by the Alembic migrations in ``storage/migrations``.

Every timestamp is aware UTC (``UTCDateTime``); every table a handler writes to is append-friendly so that
several gridbot processes can share one PostgreSQL database.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, Index, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow


def _ts(nullable: bool = False, index: bool = False) -> Column:
    return Column(UTCDateTime(), nullable=nullable, index=index)


# --- organisation -------------------------------------------------------------------------------------------


class Street(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=100)


class Community(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=100)
    street_id: str = Field(foreign_key="street.id", max_length=64, index=True)


class Grid(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=100)
    community_id: str = Field(foreign_key="community.id", max_length=64, index=True)
    robot_key: str | None = Field(default=None, max_length=200)  # group robot webhook key
    appchat_id: str | None = Field(default=None, max_length=100)  # WeCom app group chat id


class GridChat(SQLModel, table=True):
    """A group chat bound to a grid: from config or bound later by an admin in chat."""

    __tablename__ = "grid_chat"
    chat_id: str = Field(primary_key=True, max_length=200)
    grid_id: str = Field(foreign_key="grid.id", max_length=64, index=True)


class Member(SQLModel, table=True):
    userid: str = Field(primary_key=True, max_length=100)
    name: str = Field(max_length=100)
    role: str = Field(max_length=20)  # resident | grid_worker | mediator | department | secretary | admin
    grid_id: str | None = Field(default=None, foreign_key="grid.id", max_length=64, index=True)
    community_id: str | None = Field(default=None, foreign_key="community.id", max_length=64)
    street_id: str | None = Field(default=None, foreign_key="street.id", max_length=64)
    department: str | None = Field(default=None, max_length=100)
    phone: str | None = Field(default=None, max_length=30)


class BridgeLink(SQLModel, table=True):
    """A bridge person linked to a member by that member's own 「绑定 桥接账号」 (or mapped in config)."""

    __tablename__ = "bridge_link"
    bridge_id: str = Field(primary_key=True, max_length=100)  # the bridge's sender_id, without "bridge:"
    userid: str = Field(foreign_key="member.userid", max_length=100, index=True)
    at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class MemberGrid(SQLModel, table=True):
    """Extra grids a grid worker or mediator serves beyond ``Member.grid_id``."""

    __tablename__ = "member_grid"
    userid: str = Field(foreign_key="member.userid", primary_key=True, max_length=100)
    grid_id: str = Field(foreign_key="grid.id", primary_key=True, max_length=64)


# --- messages and tickets -----------------------------------------------------------------------------------


class Inbound(SQLModel, table=True):
    """Every accepted message, stored exactly once per (channel, msg_id), with the reply it got."""

    __table_args__ = (UniqueConstraint("channel", "msg_id", name="uq_inbound_channel_msg"),)
    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=20)
    msg_id: str = Field(max_length=128)
    chat_id: str | None = Field(default=None, max_length=200, index=True)
    sender_id: str = Field(max_length=100)
    sender_name: str | None = Field(default=None, max_length=100)
    text: str = Field(sa_column=Column(Text, nullable=False))
    sent_at: datetime = Field(sa_column=_ts())
    received_at: datetime = Field(default_factory=utcnow, sa_column=_ts(index=True))  # retention purges by it
    grid_id: str | None = Field(default=None, max_length=64)
    ticket_id: int | None = Field(default=None)
    reply: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class Ticket(SQLModel, table=True):
    __table_args__ = (
        Index("ix_ticket_grid_status", "grid_id", "status"),
        Index("ix_ticket_duplicate", "grid_id", "category", "location", "created_at"),  # "+1" look-ups
        Index("ix_ticket_status_closed", "status", "closed_at"),  # retention: closed tickets by age; status lists
        Index("ix_ticket_grid_created", "grid_id", "created_at"),  # digests: reported in a period
        Index("ix_ticket_grid_resolved", "grid_id", "resolved_at"),  # digests: resolved in a period
    )
    id: int | None = Field(default=None, primary_key=True)  # the short number residents see: #12
    grid_id: str = Field(foreign_key="grid.id", max_length=64)
    category: str = Field(max_length=20, index=True)
    urgent: bool = False
    status: str = Field(default="open", max_length=20)
    level: str = Field(default="grid", max_length=20)  # grid | community | street: who holds it now
    text: str = Field(sa_column=Column(Text, nullable=False))
    location: str = Field(default="", max_length=200)  # normalised location key, for duplicate detection
    keywords: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    confidence: float = 1.0
    reporter_id: str = Field(max_length=100, index=True)
    reporter_name: str | None = Field(default=None, max_length=100)
    channel: str = Field(max_length=20)  # where the reporter is reached for progress
    chat_id: str | None = Field(default=None, max_length=200)
    assignee: str | None = Field(default=None, max_length=100)
    department: str | None = Field(default=None, max_length=100)
    duplicate_of: int | None = Field(default=None)
    rating: str | None = Field(default=None, max_length=20)
    version: int = 1  # optimistic concurrency: every update bumps it
    due_at: datetime = Field(sa_column=_ts())
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(index=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    resolved_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    closed_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    place_label: str | None = Field(default=None, max_length=200)  # from a location pin
    latitude: float | None = Field(default=None)
    longitude: float | None = Field(default=None)
    # the closed loop (handlers/sla.py, handlers/loop.py): due_at above is the resolution deadline
    respond_due_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    responded_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))  # first 接单 / reply by staff
    respond_working: bool = False  # the response clock counts working time (else calendar time)
    resolve_working: bool = False  # the resolution clock counts working time
    paused_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))  # 挂起 since
    supervised: bool = False  # 督办
    reopen_count: int = 0  # reopened after 不满意 so many times
    rating_score: int | None = None  # 1–5 when the reporter rated with a number
    rating_due_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))  # auto-close after 办结


class TicketEvent(SQLModel, table=True):
    """Append-only history of a ticket: never updated, never deleted."""

    __tablename__ = "ticket_event"
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    actor: str = Field(max_length=100)
    kind: str = Field(max_length=30)  # opened, accepted, progress, transferred, escalated, ...
    old_status: str | None = Field(default=None, max_length=20)
    new_status: str | None = Field(default=None, max_length=20)
    text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    public: bool = True  # whether the reporter should see it
    changes: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))  # field: [old, new]


class TicketHelper(SQLModel, table=True):
    """协办: staff who help the lead handler (主办, ``Ticket.assignee``) and may add notes."""

    __tablename__ = "ticket_helper"
    ticket_id: int = Field(foreign_key="ticket.id", primary_key=True)
    userid: str = Field(primary_key=True, max_length=100)
    added_by: str = Field(max_length=100)
    at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class TicketFollower(SQLModel, table=True):
    """Residents who follow a ticket: the reporter, "+1" duplicates and merged tickets' reporters."""

    __tablename__ = "ticket_follower"
    ticket_id: int = Field(foreign_key="ticket.id", primary_key=True)
    userid: str = Field(primary_key=True, max_length=100)
    channel: str = Field(max_length=20)
    chat_id: str | None = Field(default=None, max_length=200)
    at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class Correction(SQLModel, table=True):
    """A person's recategorisation: training material for ``gridbot rules suggest`` and ``gridbot nlp train``.

    A worker's 改类 (with its ticket) or a resident's answer to a clarifying question (no ticket: 不是 gives
    ``new_category = "none"``, a named category gives that category).
    """

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id", index=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    old_category: str = Field(max_length=20)
    new_category: str = Field(max_length=20)
    actor: str = Field(max_length=100)
    at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class Clarification(SQLModel, table=True):
    """A low-confidence message the bot asked about; the sender's next answer completes it."""

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=20)
    chat_id: str | None = Field(default=None, max_length=200)
    sender_id: str = Field(max_length=100, index=True)
    inbound_id: int = Field(foreign_key="inbound.id")
    text: str = Field(sa_column=Column(Text, nullable=False))
    guess: str = Field(max_length=20)
    asked_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    expires_at: datetime = Field(sa_column=_ts())
    done: bool = False


class Notice(SQLModel, table=True):
    """One-off notices already given (e.g. "how to be bound to a grid"), so a group is never spammed."""

    __table_args__ = (UniqueConstraint("kind", "chat_id", "sender_id", name="uq_notice"),)
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=30)
    chat_id: str = Field(default="", max_length=200)
    sender_id: str = Field(default="", max_length=100)
    at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class Attachment(SQLModel, table=True):
    """A photo, voice message, video, file, link or location pin a message carried.

    Rows are written with the message (status ``pending``); the bytes are fetched in the background and put in
    the blob store under their SHA-256 (``stored``), or refused with the reason (``refused``; ``failed`` when
    the platform never gave them). ``ticket_id`` is None while a photo waits for its text. ``role`` is
    ``evidence`` (a resident's) or ``result`` (a worker's photo of the 办结).
    """

    __table_args__ = (
        Index("ix_attachment_ticket", "ticket_id", "id"),
        Index("ix_attachment_pending", "status", "next_attempt_at"),
        Index("ix_attachment_waiting", "sender_id", "created_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    inbound_id: int = Field(index=True)  # the message it came with (no foreign key: raw messages are purged
    #                                      by [retention] inbound_days, the evidence stays with its ticket)
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id")
    role: str = Field(default="evidence", max_length=20)  # evidence | result
    channel: str = Field(max_length=20)
    chat_id: str | None = Field(default=None, max_length=200)
    sender_id: str = Field(max_length=100)
    kind: str = Field(max_length=20)  # image | voice | video | file | link | location
    source: str = Field(max_length=20)  # wecom_media | url | aibot_url | inline | none
    ref: str = Field(default="", sa_column=Column(Text, nullable=False))  # media id or URL
    aes_key: str | None = Field(default=None, max_length=100)
    name: str | None = Field(default=None, max_length=200)
    declared_size: int | None = Field(default=None)
    inline: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))  # until stored
    latitude: float | None = Field(default=None)
    longitude: float | None = Field(default=None)
    label: str | None = Field(default=None, max_length=200)
    status: str = Field(default="pending", max_length=20)  # pending | stored | refused | failed | purged
    sha256: str | None = Field(default=None, max_length=64, index=True)
    content_type: str | None = Field(default=None, max_length=100)
    size: int | None = Field(default=None)
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    stored_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


# --- pushes ---------------------------------------------------------------------------------------------------


class Outbox(SQLModel, table=True):
    """A message to send, written in the same transaction as the change that caused it."""

    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)
    id: int | None = Field(default=None, primary_key=True)
    target_kind: str = Field(max_length=20)  # user | appchat | robot | bridge | aibot | aibot_reply
    target: str = Field(max_length=200)  # userid, chat id, robot key or an AI bot response_url
    msgtype: str = Field(default="text", max_length=20)  # text, markdown, image; template_card, update_card, recall
    body: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    dedup_key: str | None = Field(default=None, max_length=200, unique=True)
    status: str = Field(default="pending", max_length=20)  # pending | sent | dead
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    sent_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    msgid: str | None = Field(default=None, max_length=128)  # message/send's msgid: what message/recall takes


class Card(SQLModel, table=True):
    """An interactive card (WeCom template_card) sent to one person: its task id, the ticket its buttons act on,
    and what became of it. A press is stored as an inbound message like any other; this row says whether the
    card is still open (its buttons may act) or done, and by whom, so a second press gets a clear note."""

    __table_args__ = (Index("ix_card_awaiting", "userid", "awaiting_until"),)
    id: int | None = Field(default=None, primary_key=True)
    task_id: str = Field(max_length=128, unique=True)  # WeCom: digits, letters and _-@, at most 128 bytes
    channel: str = Field(default="wecom_app", max_length=20)  # wecom_app | wecom_aibot
    kind: str = Field(max_length=20)  # ticket | resolve | clarify | rating
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id", index=True)
    userid: str = Field(max_length=100)
    status: str = Field(default="open", max_length=20)  # open | done
    outcome: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # "已由 张伟 接单 10:42"
    done_by: str | None = Field(default=None, max_length=100)
    awaiting: str | None = Field(default=None, max_length=20)  # a command word waiting for the typed rest
    awaiting_until: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class ReplyUrl(SQLModel, table=True):
    """A ``response_url`` the AI bot's callback gave with a message (智能机器人 主动回复消息, document/path/101138):
    one later answer into that conversation, usable once, for an hour. Pushes to a conversation that has no group
    robot take the newest unused one; ``used_at`` says it is taken."""

    __tablename__ = "reply_url"
    __table_args__ = (Index("ix_reply_url_chat", "chat_key", "expires_at"),)
    id: int | None = Field(default=None, primary_key=True)
    chat_key: str = Field(max_length=200)  # the group's chatid, or "user:<userid>" for a 1:1 conversation
    userid: str = Field(max_length=100)  # who wrote the message that came with it
    url: str = Field(max_length=200)
    expires_at: datetime = Field(sa_column=_ts())
    used_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class Announcement(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    targets: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    text: str = Field(sa_column=Column(Text, nullable=False))
    at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    cron: str | None = Field(default=None, max_length=100)
    status: str = Field(default="scheduled", max_length=20)  # scheduled | sent | cancelled
    created_by: str = Field(default="cli", max_length=100)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class ListEntry(SQLModel, table=True):
    """The micro-grid's three lists: needs (需求清单), resources (资源清单), services (服务清单)."""

    __tablename__ = "list_entry"
    id: int | None = Field(default=None, primary_key=True)
    grid_id: str = Field(foreign_key="grid.id", max_length=64, index=True)
    kind: str = Field(max_length=20)  # need | resource | service
    name: str = Field(max_length=200)
    detail: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    contact: str | None = Field(default=None, max_length=100)


class Lease(SQLModel, table=True):
    """A named lease held by one process at a time (e.g. who runs the scheduler)."""

    name: str = Field(primary_key=True, max_length=64)
    holder: str = Field(max_length=200)
    expires_at: datetime = Field(sa_column=_ts())


# --- web console (issue 12) -----------------------------------------------------------------------------------


class ConsoleUser(SQLModel, table=True):
    """A staff member's console password (argon2 hash), set with ``gridbot user set-password USERID``."""

    __tablename__ = "console_user"
    userid: str = Field(foreign_key="member.userid", primary_key=True, max_length=100)
    password_hash: str = Field(max_length=255)
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class ConsoleAudit(SQLModel, table=True):
    """Append-only: every console action and refusal, with the staff member as actor."""

    __tablename__ = "console_audit"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_column=_ts(index=True))
    actor: str = Field(max_length=100, index=True)
    action: str = Field(max_length=40)  # login, login_failed, accept, transfer, export, import, announce, ...
    target: str = Field(default="", max_length=200)  # "ticket:12", "grid:quehua-1", ...
    outcome: str = Field(max_length=20)  # ok | refused | error
    detail: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    remote: str | None = Field(default=None, max_length=100)
