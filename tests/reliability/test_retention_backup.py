"""Retention (old messages deleted, old closed tickets anonymised, figures kept) and backups that round-trip."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, update
from sqlmodel import Session, select

from bot.cli import main
from conftest import ROOT
from storage import backup, retention
from storage.db import make_engine
from storage.migrate import upgrade
from storage.models import Correction, Inbound, Outbox, Ticket, TicketEvent, TicketFollower

REPORT = "3号楼2单元门口的充电桩坏了三天了 联系电话13912345678"


async def closed_ticket(group) -> int:
    said = await group.say(REPORT, sender="zhaomin", name="赵敏")
    n = said.ticket
    await group.say(f"3号楼2单元门口充电桩坏了 {n}", sender="lisi", name="李四")  # a "+1" follower
    await group.say(f"接单 {n}", sender="zhangwei")
    # recategorisations keep the text as training data (there and back: the figures below stay `charging`)
    assert "物业" in (await group.say(f"改类 {n} 物业服务", sender="zhangwei")).reply
    await group.say(f"改类 {n} 充电设施", sender="zhangwei")
    await group.say(f"办结 {n} 已修好，赵敏已确认", sender="zhangwei")
    said = await group.say(f"满意 {n}", sender="zhaomin")
    assert "已关闭" in said.reply
    return n


def age(engine, days: float) -> None:
    """Everything in the database happened ``days`` ago."""
    then = datetime.now(UTC) - timedelta(days=days)
    with Session(engine) as s:
        s.execute(update(Inbound).values(received_at=then))
        s.execute(update(Ticket).values(closed_at=then))
        s.commit()


async def test_old_inbound_messages_are_deleted_and_old_closed_tickets_anonymised(group, engine):
    n = await closed_ticket(group)
    open_n = (await group.say("9号楼门口的路灯坏了 晚上黑", sender="wangwu", name="王五")).ticket
    age(engine, 400)
    out = retention.run(engine, datetime.now(UTC), inbound_days=180, anonymise_closed_days=365)
    assert out.inbound_deleted > 0 and out.tickets_anonymised == 1
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(Inbound)).one() == 0
        t = s.get(Ticket, n)
        assert (t.reporter_id, t.reporter_name, t.chat_id) == ("anonymised", None, None)
        assert "13912345678" not in t.text and "***" in t.text
        assert (t.category, t.grid_id, t.status, t.rating) == ("charging", "quehua-1", "closed", "satisfied")
        assert t.resolved_at is not None and t.closed_at is not None  # the figures stay
        evs = s.exec(select(TicketEvent).where(TicketEvent.ticket_id == n).order_by(TicketEvent.id)).all()
        assert [e.kind for e in evs][0] == "opened" and "zhaomin" not in {e.actor for e in evs}
        assert "zhangwei" in {e.actor for e in evs}  # staff actions stay attributed
        assert all("赵敏" not in (e.text or "") and "13912345678" not in (e.text or "") for e in evs)
        followers = s.exec(select(TicketFollower).where(TicketFollower.ticket_id == n)).all()
        assert len(followers) == 2 and all(f.userid.startswith("anonymised-") for f in followers)
        fixes = s.exec(select(Correction).where(Correction.ticket_id == n)).all()
        assert len(fixes) == 2 and all("13912345678" not in c.text and "充电桩" in c.text for c in fixes)
        assert s.get(Ticket, open_n).reporter_id == "bridge:wangwu"  # not closed: untouched
    again = retention.run(engine, datetime.now(UTC), inbound_days=180, anonymise_closed_days=365)
    assert again == retention.Outcome(0, 0)


async def test_a_residents_clarification_answer_ages_with_the_raw_messages(engine):
    with Session(engine) as s:
        s.add(Correction(ticket_id=None, text="我家电话13912345678 不是投诉", old_category="other",
                         new_category="none", actor="zhaomin"))
        s.commit()
    assert retention.run(engine, datetime.now(UTC), inbound_days=180, anonymise_closed_days=365).inbound_deleted == 0
    with Session(engine) as s:
        assert s.exec(select(Correction)).one().actor == "zhaomin"  # recent: kept as it was
        s.execute(update(Correction).values(at=datetime.now(UTC) - timedelta(days=200)))
        s.commit()
    retention.run(engine, datetime.now(UTC), inbound_days=180, anonymise_closed_days=365)
    with Session(engine) as s:
        c = s.exec(select(Correction)).one()
        assert (c.actor, c.text, c.new_category) == ("anonymised", "我家电话*** 不是投诉", "none")


async def test_recent_data_is_kept(group, engine):
    n = await closed_ticket(group)
    out = retention.run(engine, datetime.now(UTC), inbound_days=180, anonymise_closed_days=365)
    assert out == retention.Outcome(0, 0)
    with Session(engine) as s:
        assert s.get(Ticket, n).reporter_id == "zhaomin"


def test_the_retention_job_is_scheduled_daily(config):
    from bot.scheduler import config_jobs

    jobs = config_jobs(config)
    assert jobs["retention"][1] == ("retention", "daily")


@pytest.fixture
def cfg_file(tmp_path, db_url):
    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    path = tmp_path / "config.toml"
    path.write_text(text.replace('url = "sqlite:///gridbot.db"', f'url = "{db_url}"'), encoding="utf-8")
    return path


def dump(engine) -> list[dict]:
    buf = io.StringIO()
    backup.export(engine, buf)
    lines = [json.loads(x) for x in buf.getvalue().splitlines()]
    lines[0].pop("at")
    return lines


async def test_export_then_import_gives_back_every_row(group, engine, cfg_file, tmp_path, capsys):
    await closed_ticket(group)
    await group.say("9号楼门口的路灯坏了 晚上黑", sender="wangwu", name="王五\u2005")
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(Outbox)).one() > 0
    out = tmp_path / "backup.jsonl"
    assert main(["--config", str(cfg_file), "export", "--out", str(out)]) == 0
    before = dump(engine)
    assert before[0]["tables"]["ticket"] == 2 and before[0]["revision"]
    # into a fresh SQLite database (from PostgreSQL too: the file is the same)
    target = tmp_path / "restored.db"
    cfg2 = tmp_path / "restored.toml"
    cfg2.write_text(cfg_file.read_text(encoding="utf-8").replace(
        next(line for line in cfg_file.read_text(encoding="utf-8").splitlines() if line.startswith("url = ")),
        f'url = "sqlite:///{target}"'), encoding="utf-8")
    assert main(["--config", str(cfg2), "import", str(out)]) == 0
    restored = make_engine(f"sqlite:///{target}")
    assert dump(restored) == before
    # a second import into the now full database is refused, nothing changes
    assert main(["--config", str(cfg2), "import", str(out)]) == 1
    assert "already holds data" in capsys.readouterr().err
    assert dump(restored) == before


async def test_import_into_the_same_backend_keeps_ids_and_new_rows_follow(group, engine, db_url, tmp_path):
    await closed_ticket(group)
    buf = io.StringIO()
    backup.export(engine, buf)
    if db_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'b.db'}"
        drop = None
    else:
        from tests.conftest import _drop_pg_database, _make_pg_database

        drop, url = _make_pg_database()
    other = make_engine(url)
    try:
        upgrade(other)
        backup.load(other, io.StringIO(buf.getvalue()))
        with Session(other) as s:
            s.add(Ticket(grid_id="quehua-1", category="other", text="新", reporter_id="x", channel="bridge",
                         due_at=datetime.now(UTC)))
            s.commit()
            assert max(s.exec(select(Ticket.id)).all()) == 2  # the sequence moved past the imported ids
    finally:
        other.dispose()
        if drop:
            _drop_pg_database(drop)


def test_a_truncated_or_foreign_file_is_refused_and_nothing_imported(engine, tmp_path):
    from storage.seed import seed_tickets

    seed_tickets(engine, 10, categories=["other"], grids=2, days=3)
    buf = io.StringIO()
    backup.export(engine, buf)
    lines = buf.getvalue().splitlines()
    other = make_engine(f"sqlite:///{tmp_path / 'c.db'}")
    upgrade(other)
    with pytest.raises(backup.BackupError, match="ends early"):
        backup.load(other, io.StringIO("\n".join(lines[:-1])))
    with pytest.raises(backup.BackupError, match="not a gridbot export"):
        backup.load(other, io.StringIO('{"hello": 1}\n'))
    with Session(other) as s:
        assert s.exec(select(func.count()).select_from(Ticket)).one() == 0


def test_seed_makes_tickets_spread_over_grids(engine):
    from bot.config import CATEGORY_CODES
    from storage.seed import seed_tickets

    assert seed_tickets(engine, 1200, categories=CATEGORY_CODES, grids=20, days=30) == 1200
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(Ticket)).one() == 1200
        assert s.exec(select(func.count(func.distinct(Ticket.grid_id)))).one() == 20
        assert s.exec(select(func.count()).select_from(TicketEvent)).one() == 1200
