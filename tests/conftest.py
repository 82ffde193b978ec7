"""Fixtures shared by every test: a fresh database per test (SQLite file and PostgreSQL), the app, a group.

PostgreSQL tests run when the server at GRIDBOT_TEST_PG (default 127.0.0.1:5432, database ``test``) answers;
each test makes and drops its own database. With CI=true an unreachable server fails instead of skipping.
"""

from __future__ import annotations

import itertools
import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from fake_wecom import SECRET as WECOM_SECRET  # the one the fake WeCom accepts

from bot.channels.bridge import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from bot.config import Config, load_config, parse_config

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
PG_ADMIN = os.environ.get("GRIDBOT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
BRIDGE_SECRET = "test-bridge-secret"
GROUP = "bridge-quehua-1"  # bound to grid quehua-1 in config.example.toml
TEST_BRIDGE_CHATS = ("bridge-quehua-1", "bridge-quehua-2", "bridge-fenghuang-3", "bridge-taiping-east-1", "g2", "g3",
                     "new-group",
                     "some-new-group")
TEST_BRIDGE_MEMBERS = {"zhaolei": "zhaolei"}  # the second worker some stories add


def shared_file(relative: str) -> Path:
    """A file of ../shared (beside the project, as CI lays it): skipped when absent, a failure under CI=true."""
    path = SHARED / relative
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{path} is missing: CI lays ../shared beside the clone", pytrace=False)
        pytest.skip(f"{path} not available", allow_module_level=True)
    return path


def _pg_reachable() -> str | None:
    import psycopg

    try:
        with psycopg.connect(PG_ADMIN, connect_timeout=3):
            return None
    except Exception as e:  # noqa: BLE001 - any failure means "not reachable"
        return str(e)


_PG_PROBLEM: list[str | None] = []


def pg_problem() -> str | None:
    if not _PG_PROBLEM:
        _PG_PROBLEM.append(_pg_reachable())
    return _PG_PROBLEM[0]


@pytest.fixture(scope="session")
def classifier():
    from nlp import load_classifier

    return load_classifier()


def _make_pg_database() -> tuple[str, str]:
    import psycopg
    from sqlalchemy.engine import make_url

    name = f"gridbot_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
    return name, url


def _drop_pg_database(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'gridbot.db'}"
        return
    problem = pg_problem()
    if problem is not None:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL unreachable in CI: {problem}")
        pytest.skip(f"PostgreSQL unreachable: {problem}")
    name, url = _make_pg_database()
    try:
        yield url
    finally:
        _drop_pg_database(name)


@pytest.fixture
def engine(db_url):
    from storage.db import make_engine
    from storage.migrate import upgrade

    eng = make_engine(db_url)
    upgrade(eng)
    yield eng
    eng.dispose()


def example_config(**overrides) -> Config:
    """config.example.toml with test secrets; ``overrides`` are top-level sections merged key by key."""
    import tomllib

    data = tomllib.loads((ROOT / "config.example.toml").read_text(encoding="utf-8"))
    data["bridge"]["secret"] = BRIDGE_SECRET
    data["wecom"]["secret"] = WECOM_SECRET  # the example ships none (the app then only receives)
    # the stories speak through the bridge as the example's people: map each bridge id to its member
    # explicitly (the bridge's own id space), and accept the chats the stories use
    data["bridge"]["members"] = {m["userid"]: m["userid"] for m in data["org"]["members"]} | TEST_BRIDGE_MEMBERS
    data["bridge"]["outbound_url"] = "http://127.0.0.1:9/bridge-out"  # pushes to bridged chats can be queued
    data["bridge"]["chat_ids"] = sorted({*data["bridge"].get("chat_ids", []), *TEST_BRIDGE_CHATS})
    data["wecom"]["replay_window_seconds"] = 0
    data["server"]["writer"] = "thread"  # tests inject clocks; tests/e2e/test_process_writer.py covers "process"
    for section, values in overrides.items():
        data.setdefault(section, {}).update(values)
    return parse_config(data, "test-config")


@pytest.fixture
def config(db_url, tmp_path) -> Config:
    """The example config on the test database, without the background sender and scheduler (tests of what
    handlers decide read the outbox rows; tests/push runs the sender against a fake WeCom API); attachments
    go to the test's own directory."""
    return example_config(storage={"url": db_url}, outbox={"enabled": False}, scheduler={"enabled": False},
                          attachments={"dir": str(tmp_path / "blobs")})


@pytest.fixture
async def client(aiohttp_client, config, engine, classifier):
    from bot.app import create_app

    return await aiohttp_client(create_app(config, engine=engine, classifier=classifier))


_ids = itertools.count(1)


@dataclass
class Said:
    status: int
    reply: str | None
    ticket: int | None
    raw: dict


class Bridge:
    """A person in a bridged group: ``await group.say("...", sender="zhaomin")``."""

    def __init__(self, client, chat_id: str = GROUP) -> None:
        self.client = client
        self.chat_id = chat_id

    async def say(self, text: str, *, sender: str = "zhaomin", name: str | None = None,
                  msg_id: str | None = None, chat_id: str | None = "default") -> Said:
        body = json.dumps({
            "msg_id": msg_id or f"m{next(_ids)}-{uuid.uuid4().hex[:6]}",
            "chat_id": self.chat_id if chat_id == "default" else chat_id,
            "sender_id": sender, "sender_name": name or sender, "text": text,
            "sent_at": "2026-11-25T10:00:00+08:00",
        }, ensure_ascii=False).encode()
        return await self.post(body)

    async def post(self, body: bytes, signature: str | None = None, timestamp: int | None = None) -> Said:
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        sig = sign(BRIDGE_SECRET, body, stamp) if signature is None else signature
        resp = await self.client.post("/bridge/message", data=body,
                                      headers={SIGNATURE_HEADER: sig, TIMESTAMP_HEADER: stamp})
        data = await resp.json() if resp.content_type == "application/json" else {}
        return Said(resp.status, data.get("reply"), data.get("ticket"), data)


@pytest.fixture
def group(client) -> Bridge:
    return Bridge(client)


__all__ = ["Bridge", "example_config", "load_config", "SHARED", "ROOT"]
