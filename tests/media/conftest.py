"""Media fixtures: real JPEG (with EXIF GPS) and AMR bytes, a fake WeCom serving them, the app with its fetcher."""

from __future__ import annotations

import io
import itertools
from dataclasses import dataclass

import pytest
from sqlmodel import Session, select

from storage.models import Attachment, Outbox, Ticket
from tests.conftest import Bridge, example_config
from tests.fake_wecom import FakeWecom

LINK_SECRET = "test-link-secret"
PUBLIC = "http://gridbot.test"


def jpeg_with_gps(color=(200, 30, 30), size=(64, 48)) -> bytes:
    """A real JPEG from a phone-like camera: EXIF with a maker and a GPS position (济南, 36.67 N 117.02 E)."""
    from PIL import Image

    img = Image.new("RGB", size, color)
    exif = Image.Exif()
    exif[0x010F] = "TestCam"
    exif.get_ifd(0x8825).update({1: "N", 2: (36.0, 40.0, 12.5), 3: "E", 4: (117.0, 1.0, 30.0)})
    out = io.BytesIO()
    img.save(out, "JPEG", quality=85, exif=exif)
    return out.getvalue()


def png(color=(0, 120, 0)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (32, 32), color).save(out, "PNG")
    return out.getvalue()


def amr(seconds: float = 1.0) -> bytes:
    """AMR-NB as WeCom voice messages are: the '#!AMR\\n' magic, then 20 ms frames (mode 7, 12.2 kbit/s:
    a header byte 0x3C and 31 bytes of speech data each)."""
    frames = int(seconds * 50)
    body = b"".join(bytes([0x3C]) + bytes((i * 7 + j) % 256 for j in range(31)) for i in range(frames))
    return b"#!AMR\n" + body


@pytest.fixture
async def fake():
    f = await FakeWecom().start()
    yield f
    await f.close()


def media_config(db_url: str, fake: FakeWecom, tmp_path, **overrides):
    sections = {
        "storage": {"url": db_url}, "wecom": {"api_base": fake.base},
        "bridge": {"outbound_url": f"{fake.base}/bridge/out"},
        "outbox": {"enabled": False}, "scheduler": {"enabled": False},
        "attachments": {"dir": str(tmp_path / "blobs"), "link_secret": LINK_SECRET, "public_url": PUBLIC,
                        "poll_seconds": 3600},
    }
    for k, v in overrides.items():
        sections.setdefault(k, {}).update(v)
    cfg = example_config(**sections)
    fake.bridge_secret = cfg.bridge.secret
    return cfg


@pytest.fixture
def mconfig(db_url, fake, tmp_path):
    return media_config(db_url, fake, tmp_path)


@pytest.fixture
async def mclient(aiohttp_client, mconfig, engine, classifier):
    from bot.app import create_app

    return await aiohttp_client(create_app(mconfig, engine=engine, classifier=classifier))


@pytest.fixture
def fetcher(mclient):
    from bot.app import FETCHER

    return mclient.server.app[FETCHER]


@pytest.fixture
def blobs(mclient):
    from bot.app import BLOBS

    return mclient.server.app[BLOBS]


@pytest.fixture
def mgroup(mclient) -> Bridge:
    return Bridge(mclient)


_ids = itertools.count(1)


@dataclass
class Rows:
    engine: object

    def attachments(self) -> list[Attachment]:
        with Session(self.engine) as s:
            return list(s.exec(select(Attachment).order_by(Attachment.id)).all())

    def ticket(self, n: int) -> Ticket:
        with Session(self.engine) as s:
            return s.get(Ticket, n)

    def outbox(self) -> list[Outbox]:
        with Session(self.engine) as s:
            return list(s.exec(select(Outbox).order_by(Outbox.id)).all())


@pytest.fixture
def rows(engine) -> Rows:
    return Rows(engine)
