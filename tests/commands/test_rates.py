"""The three rates on a seeded month, against a count by hand; the same figures in the digest, `gridbot stats`
and per worker; `gridbot tickets history` shows the audit trail."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session

from bot.cli import main
from bot.orgsync import sync_org
from conftest import ROOT
from handlers import digest
from handlers.sla import TZ
from storage import rates
from storage.models import Ticket, TicketEvent
from storage.stats import Scope


def local(m, d, h=10) -> datetime:
    return datetime(2026, m, d, h, tzinfo=TZ).astimezone(UTC)


H = timedelta(hours=1)
D = timedelta(days=1)
NOW = local(12, 1, 0)
START, END = local(11, 1, 0), local(12, 1, 0)

# name: (created, responded after, resolved after, status, rating, assignee, grid, resolution deadline after)
# The response deadline is 24 h after the report; "-" marks none.
SEED = {
    "T1": (local(11, 2), 1 * H, 3 * D, "closed", "satisfied", "zhangwei", "quehua-1", 7 * D),
    "T2": (local(11, 3), 48 * H, 5 * D, "closed", "fair", "zhangwei", "quehua-1", 7 * D),  # responded late
    "T3": (local(11, 4), None, None, "open", None, "zhangwei", "quehua-1", 7 * D),  # never answered, overdue
    "T4": (local(11, 10), 2 * H, 10 * D, "resolved", None, "zhaolei", "quehua-1", 7 * D),  # resolved late
    "T5": (local(11, 12), 3 * H, None, "paused", None, "zhaolei", "quehua-1", 7 * D),  # past due but paused
    "T6": (local(11, 20), 4 * H, None, "in_progress", None, "zhaolei", "quehua-1", 15 * D),  # not due yet
    "T7": (local(11, 25), None, None, "open", None, None, "quehua-1", 14 * D),  # response due after NOW
    "T8": (local(11, 5), 5 * H, 1 * D, "closed", "default_satisfied", "zhangwei", "quehua-1", 7 * D),
    "T9": (local(11, 6), 6 * H, 1 * D, "closed", "unsatisfied", "zhangwei", "quehua-1", 7 * D),
    "dup": (local(11, 7), None, None, "duplicate", None, "zhangwei", "quehua-1", 7 * D),  # merged: not counted
    # withdrawn (撤回) by the reporter before anyone answered: closed, never resolved, not counted
    "wd": (local(11, 8), None, None, "closed", None, "zhangwei", "quehua-1", 7 * D),
    "old": (local(10, 30), 1 * H, 1 * D, "closed", "satisfied", "zhangwei", "quehua-1", 7 * D),  # before
    "other": (local(11, 10), 1 * H, 1 * D, "closed", "satisfied", "liuqiang", "fenghuang-3", 7 * D),  # elsewhere
}
RESPOND_DUE_LATE = {"T7": 7 * D}  # T7's response deadline is a week out


@pytest.fixture
def seeded(engine, config):
    with Session(engine) as s:
        sync_org(s, config.org)
        s.flush()
        for name, (created, resp, res, status, rating, who, grid, due) in SEED.items():
            s.add(Ticket(grid_id=grid, category="charging", status=status, text=name, reporter_id="zhaomin",
                         channel="bridge", assignee=who, rating=rating, created_at=created, updated_at=created,
                         respond_due_at=created + RESPOND_DUE_LATE.get(name, 24 * H),
                         responded_at=created + resp if resp else None, due_at=created + due,
                         resolved_at=created + res if res else None,
                         supervised=name == "T3"))
        s.commit()
    return engine


def test_the_three_rates_match_a_count_by_hand(seeded):
    with Session(seeded) as s:
        r = rates.total(s, Scope("community", "quehua"), START, END, NOW)
    # by hand: T1–T9 reported (not the merged one, not the withdrawn one, not October's, not fenghuang's)
    assert r.reported == 9
    # due to respond: all but T7 (its response deadline is after NOW); in time: T1 T4 T5 T6 T8 T9
    assert (r.due_to_respond, r.responded_in_time, r.response_overdue) == (8, 6, 2)
    # due to resolve: resolved T1 T2 T4 T8 T9, plus T3 past its deadline; T5 paused, T6 T7 not yet due
    assert (r.due_to_resolve, r.resolved) == (6, 5)
    # rated T1 T2 T8 T9, satisfied T1 (满意) T2 (基本满意) T8 (默认满意)
    assert (r.rated, r.satisfied) == (4, 3)
    assert r.overdue_open == 1  # T3
    assert (r.response_rate, r.resolution_rate, r.satisfaction_rate) == (0.75, 0.8333, 0.75)
    assert r.median_response_seconds == 4 * 3600  # 1 2 3 4 5 6 48 h
    assert r.median_resolution_seconds == 3 * 86400  # 1 1 3 5 10 days


def test_per_worker_per_grid_and_per_street(seeded):
    with Session(seeded) as s:
        workers = {r.key: r for r in rates.rates(s, Scope("community", "quehua"), START, END, NOW, by="worker")}
        streets = rates.rates(s, Scope("street", "cuizhai"), START, END, NOW, by="street")
        grids = rates.rates(s, Scope("community", "quehua"), START, END, NOW, by="grid")
        empty = rates.total(s, Scope("street", "taiping"), START, END, NOW)
    assert set(workers) == {"zhangwei", "zhaolei", None}
    z = workers["zhangwei"]  # T1 T2 T3 T8 T9
    assert (z.reported, z.due_to_respond, z.responded_in_time, z.resolved, z.rated, z.satisfied) == (5, 5, 3, 4, 4, 3)
    assert (workers["zhaolei"].reported, workers["zhaolei"].responded_in_time) == (3, 3)
    assert [(g.key, g.reported) for g in grids] == [("quehua-1", 9)]
    assert [(x.key, x.reported, x.satisfaction_rate) for x in streets] == [("cuizhai", 1, 1.0)]
    assert (empty.reported, empty.response_rate, empty.median_response_seconds) == (0, None, None)


def test_the_digest_carries_the_same_rates_and_lists_supervised_tickets_first(seeded):
    with Session(seeded) as s:
        d = digest.compose(s, Scope("community", "quehua"), kind="weekly", end=END, now=NOW, start=START)
    lines = d.text.split("\n")
    assert lines[1] == "督办工单：" and lines[2].startswith("· #3 ")
    assert "响应率 75.0%（按时响应 6/应响应 8）" in d.text
    assert "解决率 83.3%（已解决 5/应解决 6）" in d.text
    assert "满意率 75.0%（满意 3/已评价 4）" in d.text
    assert "未按时响应 2 件，在办超期 1 件" in d.text and "响应用时中位 4.0 小时" in d.text


@pytest.fixture
def cfg_file(tmp_path, db_url):
    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    path = tmp_path / "config.toml"
    path.write_text(text.replace('url = "sqlite:///gridbot.db"', f'url = "{db_url}"'), encoding="utf-8")
    return path


def test_gridbot_stats_json_and_text(seeded, cfg_file, capsys, monkeypatch):
    monkeypatch.setattr("storage.types.utcnow", lambda: NOW)  # the figures are judged at NOW, as above
    args = ["--config", str(cfg_file), "stats", "--scope", "community:quehua", "--from", "2026-11-01",
            "--to", "2026-11-30"]
    assert main([*args, "--json", "--by", "worker"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["response_rate"], out["resolution_rate"], out["satisfaction_rate"]) == (0.75, 0.8333, 0.75)
    assert (out["due_to_respond"], out["responded_in_time"], out["rated"], out["satisfied"]) == (8, 6, 4, 3)
    assert {g["key"] for g in out["groups"]} == {"zhangwei", "zhaolei", None}
    assert main(args) == 0
    shown = capsys.readouterr().out
    assert "鹊华理想社区" in shown and "响应率 75.0%" in shown
    assert main(["--config", str(cfg_file), "stats", "--scope", "community:nowhere"]) == 1
    with pytest.raises(SystemExit):
        main(["--config", str(cfg_file), "stats", "--scope", "town:x"])


def test_gridbot_tickets_history_shows_every_change_with_actor_time_and_reason(seeded, cfg_file, capsys):
    with Session(seeded) as s:
        s.add(TicketEvent(ticket_id=1, at=local(11, 2, 11), actor="wangfang", kind="supervised",
                          old_status="accepted", new_status="accepted", text="请本周内解决",
                          changes={"due_at": ["2026-11-09T02:00:00+00:00", "2026-11-05T02:00:00+00:00"],
                                   "supervised": [False, True]}, public=False))
        s.commit()
    assert main(["--config", str(cfg_file), "tickets", "history", "1"]) == 0
    out = capsys.readouterr().out
    assert "wangfang" in out and "supervised" in out and "请本周内解决" in out
    assert "due_at: 2026-11-09T02:00:00+00:00 → 2026-11-05T02:00:00+00:00" in out
    assert main(["--config", str(cfg_file), "tickets", "history", "1", "--json"]) == 0
    [ev] = json.loads(capsys.readouterr().out)
    assert (ev["actor"], ev["reason"], ev["changes"]["supervised"]) == ("wangfang", "请本周内解决", [False, True])
    assert main(["--config", str(cfg_file), "tickets", "history", "999"]) == 1
