"""The configuration file, parsed and validated once at start into typed objects.

An unknown key or a bad value stops the start with a message naming the key (``ConfigError``).
"""

from __future__ import annotations

import base64
import binascii
import tomllib
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from handlers.settings import LinkSettings, TicketRules
from nlp import CATEGORIES

Role = Literal["resident", "grid_worker", "mediator", "department", "secretary", "admin"]
CATEGORY_CODES = tuple(c for c in CATEGORIES if c != "none")  # the categories a ticket can have


class ConfigError(Exception):
    """The configuration cannot be used; the message names the file and key."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ServerConfig(_Section):
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 8080
    max_body_bytes: Annotated[int, Field(ge=1024, le=64 * 1024 * 1024)] = 256 * 1024
    writer: Literal["thread", "process"] = "process"  # where messages are handled and committed (see README)
    ready_outbox_lag_seconds: Annotated[float, Field(ge=0)] = 0  # /readyz fails past this outbox lag; 0: report only
    workers: Annotated[int, Field(ge=1, le=64)] = 1  # server processes on one port (`serve --workers N`)
    trusted_proxies: list[str] = []  # e.g. ["127.0.0.1"]: X-Forwarded-For from these names the real client

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, v: list[str]) -> list[str]:
        import ipaddress

        for e in v:
            try:
                ipaddress.ip_network(e, strict=False)
            except ValueError:
                raise ValueError(f"{e!r} is not an IP address or network") from None
        return v


class StorageConfig(_Section):
    url: str = "sqlite:///gridbot.db"
    auto_migrate: bool = True  # `serve` brings the schema to head through Alembic before listening
    # SQLite: how long the server waits for another process's lock before answering 503 (under WeCom's 5 s)
    busy_timeout_seconds: Annotated[float, Field(gt=0, le=4)] = 2.0


def _check_aes_key(v: str) -> str:
    """The 43-character EncodingAESKey from the WeCom console: base64 of a 32-byte AES key without its '='."""
    if not v:
        return v
    try:
        ok = len(v) == 43 and len(base64.b64decode(v + "=", validate=True)) == 32
    except binascii.Error:
        ok = False
    if not ok:
        raise ValueError("must be the 43-character EncodingAESKey from the WeCom console (base64 letters)")
    return v


AesKey = Annotated[str, AfterValidator(_check_aes_key)]


class AibotConfig(_Section):
    """The AI bot (智能机器人) in one of its two API modes: "callback" (WeCom POSTs to /wecom/aibot: a public
    URL, token and EncodingAESKey) or "websocket" (gridbot dials out to WeCom: no public address, bot_id and
    secret from the bot's 长连接 settings). See bot/aibot_socket.py."""

    mode: Literal["callback", "websocket"] = "callback"
    token: str = ""
    encoding_aes_key: AesKey = ""  # callback mode; also decrypts files whose message carries no key of its own
    bot_id: str = ""  # websocket mode: the bot's BotID
    secret: str = ""  # websocket mode: the bot's long-connection Secret
    ws_url: str = "wss://openws.work.weixin.qq.com"
    heartbeat_seconds: Annotated[float, Field(gt=0, le=300)] = 30.0  # a ping this often (the platform's 30 s)
    missed_heartbeats: Annotated[int, Field(ge=1, le=10)] = 2  # unanswered pings in a row before reconnecting
    reconnect_base_seconds: Annotated[float, Field(gt=0)] = 1.0  # backoff 1, 2, 4, ... s, with jitter
    reconnect_max_seconds: Annotated[float, Field(gt=0)] = 60.0
    request_timeout_seconds: Annotated[float, Field(gt=0, le=60)] = 10.0  # subscribe, reply or push unanswered
    lease_seconds: Annotated[float, Field(ge=1)] = 30.0  # with several processes one holds the connection

    @field_validator("ws_url")
    @classmethod
    def _ws_scheme(cls, v: str) -> str:
        if not v.startswith(("wss://", "ws://")):
            raise ValueError("must be a wss:// (or ws://) URL")
        return v

    @model_validator(mode="after")
    def _mode_needs(self) -> AibotConfig:
        if self.mode == "websocket":
            missing = [k for k in ("bot_id", "secret") if not getattr(self, k)]
            if missing:
                raise ValueError(f'mode = "websocket" needs {" and ".join(missing)} '
                                 "(the bot's 长连接 credentials in the WeCom admin console)")
            if self.reconnect_max_seconds < self.reconnect_base_seconds:
                raise ValueError("reconnect_max_seconds must not be below reconnect_base_seconds")
        return self


class WecomConfig(_Section):
    corp_id: str = ""
    agent_id: int = 0
    secret: str = ""
    token: str = ""
    encoding_aes_key: AesKey = ""
    api_base: str = "https://qyapi.weixin.qq.com"
    replay_window_seconds: Annotated[int, Field(ge=0)] = 300  # 0 disables the timestamp check (tests, vectors)
    cards: bool = True  # staff get interactive cards (template_card) when the app's callback is configured
    aibot: AibotConfig = AibotConfig()


class BridgeConfig(_Section):
    secret: str = ""
    outbound_url: str | None = None  # where pushes to bridged chats are POSTed (signed); None: they go dead
    # The bridge's own id space: only these chats are accepted, and a bridge sender is a member only when
    # mapped here (bridge sender id → member userid) or linked by that member with 「绑定 桥接账号」.
    chat_ids: list[str] = []
    members: dict[str, str] = {}
    replay_window_seconds: Annotated[int, Field(ge=0)] = 300  # signed timestamps older than this are refused


class LimitsConfig(_Section):
    """Messages a minute before a sender (or a chat) gets one notice and the rest are dropped; 0: no limit."""

    sender_per_minute: Annotated[int, Field(ge=0)] = 60
    chat_per_minute: Annotated[int, Field(ge=0)] = 600


class RetentionConfig(_Section):
    """What is kept how long; 0 keeps it for ever. Run daily by the scheduler (``gridbot retention run`` too)."""

    inbound_days: Annotated[float, Field(ge=0)] = 180  # raw inbound messages (texts, names) are deleted after
    anonymise_closed_days: Annotated[float, Field(ge=0)] = 365  # closed tickets lose names and phone numbers after
    time: Annotated[str, Field(pattern=r"^([01]?\d|2[0-3]):[0-5]\d$")] = "03:30"  # Asia/Shanghai


class NlpConfig(_Section):
    confidence_threshold: Annotated[float, Field(ge=0, le=1)] = 0.5
    rules: str | None = None  # a rules file replacing the shipped one
    userdict: str | None = None


class TicketsConfig(_Section):
    deadline_hours: dict[str, Annotated[float, Field(gt=0)]] = {}
    default_deadline_hours: Annotated[float, Field(gt=0)] = 72
    urgent_deadline_hours: Annotated[float, Field(gt=0)] = 2
    duplicate_window_days: Annotated[float, Field(gt=0)] = 7
    clarify_minutes: Annotated[float, Field(gt=0)] = 30

    @field_validator("deadline_hours")
    @classmethod
    def _known_categories(cls, v: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(v) - set(CATEGORY_CODES))
        if unknown:
            raise ValueError(f"unknown category {', '.join(unknown)}; known: {', '.join(CATEGORY_CODES)}")
        return v


def _check_duration(v: str | None) -> str | None:
    if v is not None:
        from handlers.sla import Duration

        Duration.parse(v)
    return v


def _check_calendar_duration(v: str | None) -> str | None:
    _check_duration(v)
    if v is not None and v.strip().endswith(("wh", "wd")):
        raise ValueError(f"{v!r}: urgent tickets count calendar time (h or d), not working time")
    return v


DurationText = Annotated[str, AfterValidator(_check_duration)]
CalendarDurationText = Annotated[str, AfterValidator(_check_calendar_duration)]


class SlaTargetsConfig(_Section):
    respond: DurationText | None = None  # None: [sla] respond
    resolve: DurationText | None = None  # None: [tickets.deadline_hours], else [sla] resolve


class SlaConfig(_Section):
    """The two clocks: response (first 接单 or reply by staff) and resolution, per category and urgency."""

    respond: DurationText = "24h"
    resolve: DurationText | None = None  # None: [tickets] default_deadline_hours, calendar hours
    urgent_respond: CalendarDurationText = "2h"
    urgent_resolve: CalendarDurationText | None = None  # None: [tickets] urgent_deadline_hours
    categories: dict[str, SlaTargetsConfig] = {}
    warn_fraction: Annotated[float, Field(gt=0, lt=1)] = 0.8  # the handler is warned this far into a deadline

    @field_validator("categories")
    @classmethod
    def _known_categories(cls, v: dict) -> dict:
        unknown = sorted(set(v) - set(CATEGORY_CODES))
        if unknown:
            raise ValueError(f"unknown category {', '.join(unknown)}; known: {', '.join(CATEGORY_CODES)}")
        return v


class CalendarConfig(_Section):
    """Local days on top of the national schedule (chinesecalendar)."""

    extra_holidays: list[date] = []  # local days off (e.g. a district's own closure)
    extra_workdays: list[date] = []  # local working days
    local_years: list[Annotated[int, Field(ge=2000, le=2100)]] = []  # years chinesecalendar lacks, given here
    check_days: Annotated[int, Field(ge=0, le=400)] = 30  # `serve` refuses an unknown today, warns this far ahead


class LoopConfig(_Section):
    """Closing the loop: rating window, auto-close, 催办 throttle."""

    rating_days: Annotated[float, Field(gt=0)] = 3  # after 办结 the reporter has this long to rate
    auto_close_as: Literal["default_satisfied", "unrated"] = "default_satisfied"  # 默认满意 | 未评价
    chase_hours: Annotated[float, Field(gt=0)] = 24  # a resident may 催办 a ticket once per this period


class StreetConfig(_Section):
    id: str
    name: str


class CommunityConfig(_Section):
    id: str
    name: str
    street: str


class GridConfig(_Section):
    id: str
    name: str
    community: str
    chat_ids: list[str] = []
    robot_key: str | None = None
    appchat_id: str | None = None


class MemberConfig(_Section):
    userid: str
    name: str
    role: Role
    grid: str | list[str] | None = None
    community: str | None = None
    street: str | None = None
    department: str | None = None
    phone: str | None = None

    @property
    def grids(self) -> list[str]:
        if self.grid is None:
            return []
        return [self.grid] if isinstance(self.grid, str) else list(self.grid)


class OrgConfig(_Section):
    streets: list[StreetConfig] = []
    communities: list[CommunityConfig] = []
    grids: list[GridConfig] = []
    members: list[MemberConfig] = []

    @model_validator(mode="after")
    def _references(self) -> OrgConfig:
        streets = {s.id for s in self.streets}
        communities = {c.id for c in self.communities}
        grids = {g.id for g in self.grids}
        for i, c in enumerate(self.communities):
            if c.street not in streets:
                raise ValueError(f"communities[{i}].street: unknown street {c.street!r}")
        for i, g in enumerate(self.grids):
            if g.community not in communities:
                raise ValueError(f"grids[{i}].community: unknown community {g.community!r}")
        for i, m in enumerate(self.members):
            if m.userid.startswith("bridge:"):
                raise ValueError(f"members[{i}].userid: 'bridge:' is the bridge's own id space")
            for gid in m.grids:
                if gid not in grids:
                    raise ValueError(f"members[{i}].grid: unknown grid {gid!r}")
            if m.community and m.community not in communities:
                raise ValueError(f"members[{i}].community: unknown community {m.community!r}")
            if m.street and m.street not in streets:
                raise ValueError(f"members[{i}].street: unknown street {m.street!r}")
        return self


# --- pushes: outbox, scheduler, digests, reminders, recurring events ------------------------------------------

_HHMM = r"^([01]?\d|2[0-3]):[0-5]\d$"
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def _check_cron(v: str | None) -> str | None:
    if v is None:
        return v
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger.from_crontab(v)
    except ValueError as e:
        raise ValueError(f"not a crontab expression 'm h dom mon dow': {e}") from None
    return v


def _check_target(v: str) -> str:
    kind, _, ident = v.partition(":")
    if kind not in ("grid", "community", "street", "role", "user") or not ident:
        raise ValueError(f"{v!r}: expected grid:ID, community:ID, street:ID, role:ROLE or user:USERID")
    return v


class OutboxConfig(_Section):
    enabled: bool = True  # `serve` runs the outbox worker (off: rows wait for a process that runs one)
    poll_seconds: Annotated[float, Field(gt=0)] = 2.0
    batch: Annotated[int, Field(ge=1, le=1000)] = 50
    max_attempts: Annotated[int, Field(ge=0)] = 30  # dead (with the reason) after so many failures; 0: no bound
    max_age_hours: Annotated[float, Field(ge=0)] = 24  # ... or on a failure this long after it was made; 0: none
    backoff_base_seconds: Annotated[float, Field(gt=0)] = 5.0
    backoff_max_seconds: Annotated[float, Field(gt=0)] = 300.0
    claim_seconds: Annotated[float, Field(ge=30)] = 120.0  # a claimed row is hidden from other workers so long
    robot_per_minute: Annotated[int, Field(ge=1, le=20)] = 20
    request_timeout_seconds: Annotated[float, Field(gt=0, le=60)] = 10.0


class SchedulerConfig(_Section):
    enabled: bool = True
    misfire_grace_seconds: Annotated[int, Field(ge=1)] = 3600
    lease_seconds: Annotated[float, Field(ge=1)] = 30.0
    sync_seconds: Annotated[float, Field(ge=1)] = 30.0  # how often announcements are turned into jobs


class DigestConfig(_Section):
    daily: Annotated[str, Field(pattern=_HHMM)] | None = "18:00"
    weekly_day: Weekday = "fri"
    weekly: Annotated[str, Field(pattern=_HHMM)] | None = "17:00"
    scopes: list[str] = []  # "grid:ID" | "community:ID" | "street:ID"; empty: every community and street
    to_secretaries: bool = True  # secretaries of the scope get it as a direct message
    to_groups: bool = False  # a grid scope's own group gets it too
    chart: bool = True  # weekly digest: a PNG bar chart of the week by category
    chart_font: str | None = None  # a TTF/OTF with Chinese glyphs; None: look for a system one
    oldest: Annotated[int, Field(ge=0, le=20)] = 3

    @field_validator("scopes")
    @classmethod
    def _scopes(cls, v: list[str]) -> list[str]:
        for s in v:
            if s.partition(":")[0] not in ("grid", "community", "street") or not s.partition(":")[2]:
                raise ValueError(f"{s!r}: expected grid:ID, community:ID or street:ID")
        return v


class RemindersConfig(_Section):
    enabled: bool = True
    check_minutes: Annotated[float, Field(gt=0)] = 30
    before_deadline_hours: Annotated[float, Field(ge=0)] = 4
    escalate_after_hours: Annotated[float, Field(ge=0)] = 24


class EventConfig(_Section):
    name: str
    cron: str | None = None  # "m h dom mon dow", Asia/Shanghai
    weekday: Weekday | None = None  # or a weekday and a time
    time: Annotated[str, Field(pattern=_HHMM)] | None = None  # weekday omitted: every day
    place: str = ""
    targets: list[str]
    text: str | None = None

    @field_validator("cron")
    @classmethod
    def _cron(cls, v: str | None) -> str | None:
        return _check_cron(v)

    @field_validator("targets")
    @classmethod
    def _targets(cls, v: list[str]) -> list[str]:
        if not v:
            raise ValueError("at least one target")
        return [_check_target(t) for t in v]

    @model_validator(mode="after")
    def _when(self) -> EventConfig:
        if (self.cron is None) == (self.time is None):
            raise ValueError("give either cron or weekday + time")
        return self

    def crontab(self) -> str:
        if self.cron:
            return self.cron
        h, m = self.time.split(":")
        return f"{int(m)} {int(h)} * * {self.weekday or '*'}"


class ConsoleConfig(_Section):
    """The web console under /console/ (bot/console)."""

    enabled: bool = True
    secret_key: Annotated[str, Field(min_length=16)] = "change-me-console-session-key"  # signs/encrypts cookies
    cookie_secure: bool = False  # true behind HTTPS: the session cookie is then sent over HTTPS only
    session_hours: Annotated[float, Field(gt=0, le=24 * 30)] = 12
    login_max_failures: Annotated[int, Field(ge=1)] = 5  # failures per user or address before a pause
    login_lock_seconds: Annotated[float, Field(ge=1)] = 300
    page_size: Annotated[int, Field(ge=5, le=500)] = 50
    simulator: bool = False  # /console/simulator: a group chat that talks through the signed bridge
    public_communities: list[str] = []  # communities whose /public/{community} board (三务公开) is open
    map_url: str = "https://uri.amap.com/search?keyword={q}"  # a ticket's place on a map; {q}: the place


class S3Config(_Section):
    bucket: str = ""
    endpoint_url: str | None = None  # MinIO, Ceph, COS/OSS in S3 mode; None: AWS
    region: str | None = None
    access_key_id: str | None = None  # None: boto3's usual sources (environment, ~/.aws, instance role)
    secret_access_key: str | None = None
    prefix: str = "gridbot/"


class AttachmentsConfig(_Section):
    """Photos, voice messages, files and location pins on tickets."""

    enabled: bool = True  # off: non-text messages are stored and ignored, as before
    store: Literal["local", "s3"] = "local"
    dir: str = "attachments"  # the local store's directory (content-addressed by SHA-256)
    s3: S3Config = S3Config()
    attach_minutes: Annotated[float, Field(gt=0, le=1440)] = 10  # photo ↔ text of the same sender and chat
    max_image_mb: Annotated[float, Field(gt=0, le=100)] = 10
    max_voice_mb: Annotated[float, Field(gt=0, le=100)] = 2
    max_video_mb: Annotated[float, Field(gt=0, le=500)] = 20
    max_file_mb: Annotated[float, Field(gt=0, le=500)] = 20
    keep_exif: bool = False  # true: images are kept as sent, GPS position included
    retention_days: Annotated[float, Field(ge=0)] = 0  # attachments of tickets closed this long ago are purged; 0: keep
    public_url: str | None = None  # how people reach this server, e.g. "https://gridbot.example.org"
    link_secret: str = ""  # signs the file links; empty: no links are given
    link_minutes: Annotated[float, Field(gt=0, le=10080)] = 60
    fetch_timeout_seconds: Annotated[float, Field(gt=0, le=300)] = 30
    fetch_attempts: Annotated[int, Field(ge=1, le=100)] = 5
    poll_seconds: Annotated[float, Field(gt=0)] = 5.0

    @model_validator(mode="after")
    def _s3_bucket(self) -> AttachmentsConfig:
        if self.store == "s3" and not self.s3.bucket:
            raise ValueError("store = \"s3\" needs [attachments.s3] bucket")
        return self

    def max_bytes(self) -> dict[str, int]:
        mb = 1024 * 1024
        return {"image": int(self.max_image_mb * mb), "voice": int(self.max_voice_mb * mb),
                "video": int(self.max_video_mb * mb), "file": int(self.max_file_mb * mb)}


class Config(_Section):
    server: ServerConfig = ServerConfig()
    storage: StorageConfig = StorageConfig()
    wecom: WecomConfig = WecomConfig()
    bridge: BridgeConfig = BridgeConfig()
    nlp: NlpConfig = NlpConfig()
    tickets: TicketsConfig = TicketsConfig()
    org: OrgConfig = OrgConfig()
    outbox: OutboxConfig = OutboxConfig()
    scheduler: SchedulerConfig = SchedulerConfig()
    digest: DigestConfig = DigestConfig()
    reminders: RemindersConfig = RemindersConfig()
    events: list[EventConfig] = []
    attachments: AttachmentsConfig = AttachmentsConfig()
    limits: LimitsConfig = LimitsConfig()
    retention: RetentionConfig = RetentionConfig()
    sla: SlaConfig = SlaConfig()
    calendar: CalendarConfig = CalendarConfig()
    loop: LoopConfig = LoopConfig()
    console: ConsoleConfig = ConsoleConfig()

    def ticket_rules(self) -> TicketRules:
        t = self.tickets
        return TicketRules(
            deadlines={k: timedelta(hours=h) for k, h in t.deadline_hours.items()},
            default_deadline=timedelta(hours=t.default_deadline_hours),
            urgent_deadline=timedelta(hours=t.urgent_deadline_hours),
            duplicate_window=timedelta(days=t.duplicate_window_days),
            confidence_threshold=self.nlp.confidence_threshold,
            clarify_ttl=timedelta(minutes=t.clarify_minutes),
            sla=self.sla_policy(),
            rating_window=timedelta(days=self.loop.rating_days),
            auto_close_as=self.loop.auto_close_as,
            chase_period=timedelta(hours=self.loop.chase_hours),
            outbound=self.outbound_kinds(),
            bridge_members=tuple(sorted(self.bridge.members.items())),
            bridge_chats=frozenset(self.bridge.chat_ids),
            attach_window=timedelta(minutes=self.attachments.attach_minutes),
            attachments=self.attachments.enabled,
            cards=self.wecom.cards and bool(self.wecom.token and self.wecom.encoding_aes_key and self.wecom.corp_id),
            max_bytes=self.attachments.max_bytes(),
            link=LinkSettings(self.attachments.public_url, self.attachments.link_secret,
                              timedelta(minutes=self.attachments.link_minutes)),
        )

    def work_calendar(self):
        from handlers.sla import WorkCalendar

        c = self.calendar
        return WorkCalendar(frozenset(c.extra_holidays), frozenset(c.extra_workdays), frozenset(c.local_years))

    def sla_policy(self):
        """[sla] over [tickets]: a category's resolution time is [sla.categories.X] resolve, else
        [tickets.deadline_hours] X (calendar hours), else [sla] resolve, else [tickets] default_deadline_hours."""
        from handlers.sla import Duration, SlaPolicy, Targets

        t, s = self.tickets, self.sla
        respond = Duration.parse(s.respond)
        resolve = Duration.parse(s.resolve) if s.resolve else Duration(t.default_deadline_hours, "h")
        categories: dict[str, Targets] = {}
        for code in CATEGORY_CODES:
            own = s.categories.get(code)
            r = own.resolve if own and own.resolve else None
            res = (Duration.parse(r) if r else Duration(t.deadline_hours[code], "h") if code in t.deadline_hours
                   else resolve)
            categories[code] = Targets(Duration.parse(own.respond) if own and own.respond else respond, res)
        return SlaPolicy(
            respond=respond, resolve=resolve, urgent_respond=Duration.parse(s.urgent_respond),
            urgent_resolve=(Duration.parse(s.urgent_resolve) if s.urgent_resolve
                            else Duration(t.urgent_deadline_hours, "h")),
            categories=categories, warn_fraction=s.warn_fraction, calendar=self.work_calendar(),
        )

    def outbound_kinds(self) -> frozenset[str]:
        """The push channels that can deliver at all: the WeCom app needs its credentials, bridged chats
        an outbound URL; a group robot needs only its grid's key (checked per grid)."""
        kinds = {"robot"}
        if self.wecom.corp_id and self.wecom.secret:
            kinds |= {"user", "appchat"}
        if self.bridge.outbound_url:
            kinds.add("bridge")
        a = self.wecom.aibot
        if a.mode == "websocket":  # pushed through the AI bot's own connection (aibot_send_msg)
            kinds.add("aibot")
        elif a.token and a.encoding_aes_key:  # callback mode: once per message received, within the hour
            kinds.add("aibot_reply")
        return frozenset(kinds)


def _where(loc: tuple) -> str:
    return ".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in loc).replace(".[", "[")


def parse_config(data: dict, source: str = "<config>") -> Config:
    try:
        return Config.model_validate(data)
    except ValidationError as e:
        problems = []
        for err in e.errors():
            key = _where(err["loc"]) or "(top level)"
            msg = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
            problems.append(f"{source}: {key}: {msg}")
        raise ConfigError("\n".join(problems)) from None


def load_config(path: str | Path) -> Config:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML: {e}") from None
    return parse_config(data, str(path))
