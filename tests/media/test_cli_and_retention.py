"""``gridbot tickets show`` lists attachments, ``gridbot tickets attachment N K --out`` writes one out, and the
files of long-closed tickets are purged (default: kept)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session

from bot.cli import main
from bot.fetcher import purge
from conftest import ROOT
from storage.models import Ticket
from tests.media.conftest import jpeg_with_gps
from tests.media.test_bridge_media import REPORT, inline, send, ticket_of


def cfg_file(tmp_path, db_url):
    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    text = text.replace('url = "sqlite:///gridbot.db"', f'url = "{db_url}"')
    text = text.replace('dir = "attachments"', f'dir = "{tmp_path / "blobs"}"')
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


async def test_tickets_show_lists_attachments_and_one_is_written_out(mgroup, fetcher, rows, tmp_path, db_url,
                                                                      capsys, blobs):
    n = ticket_of(await send(mgroup, text=REPORT))
    await send(mgroup, attachments=[inline(jpeg_with_gps())])
    await send(mgroup, location={"lat": 36.67, "lng": 117.02, "label": "3号楼门口"})
    await fetcher.drain()
    cfg = cfg_file(tmp_path, db_url)
    assert main(["--config", cfg, "tickets", "show", str(n), "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    photo, pin = d["attachments"]
    assert (photo["k"], photo["type"], photo["status"], photo["content_type"], photo["sender"]) == (
        1, "image", "stored", "image/jpeg", "zhaomin")
    assert photo["size"] > 0 and photo["at"]
    assert pin["type"] == "location" and pin["location"]["map"].startswith("https://uri.amap.com/marker")
    assert d["place"]["label"] == "3号楼门口"
    assert main(["--config", cfg, "tickets", "show", str(n)]) == 0
    out = capsys.readouterr().out
    assert "附件：" in out and "1. 照片" in out and "zhaomin" in out and "位置：3号楼门口" in out
    target = tmp_path / "out.jpg"
    assert main(["--config", cfg, "tickets", "attachment", str(n), "1", "--out", str(target)]) == 0
    assert target.read_bytes() == blobs.get(rows.attachments()[0].sha256)
    assert main(["--config", cfg, "tickets", "attachment", str(n), "2", "--out", str(target)]) == 1  # a pin
    assert main(["--config", cfg, "tickets", "attachment", str(n), "3", "--out", str(target)]) == 1
    assert main(["--config", cfg, "tickets", "attachment", "999", "1", "--out", str(target)]) == 1


async def test_files_of_long_closed_tickets_are_purged_and_shared_ones_kept(mgroup, fetcher, rows, engine, blobs,
                                                                           mclient):
    photo = jpeg_with_gps()
    old = ticket_of(await send(mgroup, text=REPORT))
    await send(mgroup, attachments=[inline(photo)])
    fresh = ticket_of(await send(mgroup, sender="wangwu", text="5号楼楼道里的灯坏了，晚上一片漆黑"))
    await send(mgroup, sender="wangwu", attachments=[inline(photo)])  # the same photo, another ticket
    await send(mgroup, sender="wangwu", attachments=[inline(jpeg_with_gps((0, 0, 0)))])
    await fetcher.drain()
    now = datetime.now(UTC)
    with Session(engine) as s:
        s.exec(update(Ticket).where(Ticket.id == old).values(status="closed", closed_at=now - timedelta(days=40)))
        s.commit()
    assert purge(engine, blobs, now, 30) == 1
    a_old, a_shared, a_own = rows.attachments()
    assert (a_old.status, a_shared.status, a_own.status) == ("purged", "stored", "stored")
    assert blobs.exists(a_shared.sha256)  # still in use by the open ticket
    with Session(engine) as s:
        s.exec(update(Ticket).where(Ticket.id == fresh).values(status="closed", closed_at=now - timedelta(days=40)))
        s.commit()
    assert purge(engine, blobs, now, 30) == 2
    assert not blobs.exists(a_shared.sha256) and not blobs.exists(a_own.sha256)
    said = await mgroup.say(f"附件 {old}", sender="zhaomin")
    assert "已按保存期限删除" in said.reply


async def test_retention_zero_keeps_everything(tmp_path, db_url, capsys, engine):
    assert main(["--config", cfg_file(tmp_path, db_url), "attachments", "purge"]) == 0
    assert "永久保存" in capsys.readouterr().out
