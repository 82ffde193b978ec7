"""Push fixtures: a fake WeCom API on loopback, a clock tests move by hand, a worker and its HTTP session."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from sqlmodel import Session

from tests.conftest import example_config
from tests.fake_wecom import FakeWecom

ROBOT = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"  # grid quehua-1's robot in config.example.toml


class Clock:
    """Wall time and monotonic time that move only when a test says so.

    It starts a little ahead of the real time: rows that code under test enqueues "now" are due at once.
    """

    def __init__(self, start: datetime | None = None) -> None:
        self.t = start or datetime.now(UTC) + timedelta(minutes=10)
        self.m = 1000.0

    def now(self) -> datetime:
        return self.t

    def mono(self) -> float:
        return self.m

    def advance(self, **kw) -> None:
        d = timedelta(**kw)
        self.t += d
        self.m += d.total_seconds()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def fake(clock):
    f = await FakeWecom(monotonic=clock.mono).start()
    yield f
    await f.close()


def push_config(db_url: str, fake: FakeWecom, **overrides):
    sections = {"storage": {"url": db_url}, "wecom": {"api_base": fake.base},
                "bridge": {"outbound_url": f"{fake.base}/bridge/out"}}
    for k, v in overrides.items():
        sections.setdefault(k, {}).update(v)
    cfg = example_config(**sections)
    fake.bridge_secret = cfg.bridge.secret
    return cfg


@pytest.fixture
def pconfig(db_url, fake):
    return push_config(db_url, fake)


@pytest.fixture
def org_engine(engine, pconfig):
    """The migrated database with the example organisation in it."""
    from bot.orgsync import sync_org

    with Session(engine) as s:
        sync_org(s, pconfig.org)
        s.commit()
    return engine


@pytest.fixture
async def http():
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def make_worker(org_engine, pconfig, http, clock):
    from bot.outbox_worker import build_worker

    def make(name: str = "outbox", engine=None, config=None):
        return build_worker(config or pconfig, engine or org_engine, http, clock=clock.now, monotonic=clock.mono,
                            name=name)

    return make


@pytest.fixture
def worker(make_worker):
    return make_worker()
