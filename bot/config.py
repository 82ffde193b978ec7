"""The configuration file, parsed and validated once at start into typed objects.

An unknown key or a bad value stops the start with a message naming the key (``ConfigError``).
"""

from __future__ import annotations

import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from handlers.settings import TicketRules

Role = Literal["resident", "grid_worker", "mediator", "department", "secretary", "admin"]
CATEGORY_CODES = (
    "charging", "waste", "parking", "roads", "transport", "utilities", "property",
    "environment", "safety", "dispute", "legal", "policy", "other",
)


class ConfigError(Exception):
    """The configuration cannot be used; the message names the file and key."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ServerConfig(_Section):
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 8080
    max_body_bytes: Annotated[int, Field(ge=1024, le=64 * 1024 * 1024)] = 256 * 1024


class StorageConfig(_Section):
    url: str = "sqlite:///gridbot.db"
    auto_migrate: bool = True  # `serve` brings the schema to head through Alembic before listening


class AibotConfig(_Section):
    token: str = ""
    encoding_aes_key: str = ""


class WecomConfig(_Section):
    corp_id: str = ""
    agent_id: int = 0
    secret: str = ""
    token: str = ""
    encoding_aes_key: str = ""
    api_base: str = "https://qyapi.weixin.qq.com"
    replay_window_seconds: Annotated[int, Field(ge=0)] = 300  # 0 disables the timestamp check (tests, vectors)
    aibot: AibotConfig = AibotConfig()

    @field_validator("encoding_aes_key")
    @classmethod
    def _aes_key(cls, v: str) -> str:
        if v and len(v) != 43:
            raise ValueError("must be the 43-character EncodingAESKey from the WeCom console")
        return v


class BridgeConfig(_Section):
    secret: str = ""


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
            for gid in m.grids:
                if gid not in grids:
                    raise ValueError(f"members[{i}].grid: unknown grid {gid!r}")
            if m.community and m.community not in communities:
                raise ValueError(f"members[{i}].community: unknown community {m.community!r}")
            if m.street and m.street not in streets:
                raise ValueError(f"members[{i}].street: unknown street {m.street!r}")
        return self


class Config(_Section):
    server: ServerConfig = ServerConfig()
    storage: StorageConfig = StorageConfig()
    wecom: WecomConfig = WecomConfig()
    bridge: BridgeConfig = BridgeConfig()
    nlp: NlpConfig = NlpConfig()
    tickets: TicketsConfig = TicketsConfig()
    org: OrgConfig = OrgConfig()

    def ticket_rules(self) -> TicketRules:
        t = self.tickets
        return TicketRules(
            deadlines={k: timedelta(hours=h) for k, h in t.deadline_hours.items()},
            default_deadline=timedelta(hours=t.default_deadline_hours),
            urgent_deadline=timedelta(hours=t.urgent_deadline_hours),
            duplicate_window=timedelta(days=t.duplicate_window_days),
            confidence_threshold=self.nlp.confidence_threshold,
            clarify_ttl=timedelta(minutes=t.clarify_minutes),
        )


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
