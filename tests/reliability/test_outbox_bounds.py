"""Pushes give up in bounded time and count, say why, and are shown; the bridge must answer {"ok": true}."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import Session

from bot.cli import main
from conftest import ROOT
from storage.models import Outbox
from tests.push.test_outbox import put


def row(engine, row_id: int) -> Outbox:
    with Session(engine) as s:
        return s.get(Outbox, row_id)


async def test_a_push_that_keeps_failing_is_given_up_by_default_after_a_bounded_count(org_engine, worker, fake,
                                                                                      clock, pconfig):
    assert pconfig.outbox.max_attempts == 30 and pconfig.outbox.max_age_hours == 24  # bounded by default
    (a,) = put(org_engine, ("user", "zhangwei", "一直失败"))
    await fake.go_down()
    for _ in range(40):
        await worker.drain()
        clock.advance(minutes=6)
    r = row(org_engine, a)
    assert r.status == "dead" and r.attempts <= 30
    assert "gave up after" in r.last_error and "ClientConnectorError" in r.last_error


async def test_a_push_failing_past_its_age_is_given_up_even_with_attempts_left(org_engine, worker, fake, clock):
    (a,) = put(org_engine, ("user", "zhangwei", "太旧了"))
    fake.busy(1)
    await worker.drain()
    assert row(org_engine, a).status == "pending"
    clock.advance(hours=25)
    fake.busy(1)
    await worker.drain()
    r = row(org_engine, a)
    assert r.status == "dead" and "over 25." in r.last_error and r.attempts == 2


@pytest.mark.parametrize("status, body, final, reason", [
    (200, b'{"ok": false, "error": "chat gone"}', "pending", "chat gone"),
    (200, b'{"error": "no such chat"}', "dead", "no such chat"),
    (200, b"<html>welcome</html>", "dead", "welcome"),
    (204, b"", "dead", "without"),
])
async def test_a_bridge_push_is_delivered_only_on_ok_true(org_engine, worker, fake, status, body, final, reason):
    (a,) = put(org_engine, ("bridge", "bridge-quehua-1", "桥接消息"))
    fake.bridge_reply = (status, body)
    await worker.drain()
    r = row(org_engine, a)
    assert r.status == final and reason in r.last_error
    fake.bridge_reply = None
    if final == "pending":
        r2 = row(org_engine, a)
        assert r2.sent_at is None


async def test_a_bridge_push_answered_ok_true_is_sent(org_engine, worker, fake):
    (a,) = put(org_engine, ("bridge", "bridge-quehua-1", "桥接消息"))
    await worker.drain()
    assert row(org_engine, a).status == "sent"


@pytest.fixture
def cfg_file(tmp_path, db_url):
    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    path = tmp_path / "config.toml"
    path.write_text(text.replace('url = "sqlite:///gridbot.db"', f'url = "{db_url}"'), encoding="utf-8")
    return path


async def test_outbox_failed_lists_the_given_up_rows_with_their_reason_and_no_robot_key(org_engine, worker, fake,
                                                                                         cfg_file, capsys):
    from tests.push.conftest import ROBOT

    fake.users = {"zhangwei"}
    put(org_engine, ("user", "nobody", "x"), ("robot", "no-such-robot-key", "y"))
    fake.robot_keys = {ROBOT}
    await worker.drain()
    assert main(["--config", str(cfg_file), "outbox", "failed"]) == 0
    out = capsys.readouterr().out
    assert "user:nobody" in out and "81013" in out and "no-such-robot-key" not in out.split("robot")[0]
    assert main(["--config", str(cfg_file), "outbox", "failed", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert {d["target"] for d in shown} == {"user:nobody", "robot"}
    assert all(d["reason"] for d in shown)
    assert main(["--config", str(cfg_file), "outbox", "status"]) == 0
    assert "dead: 2" in capsys.readouterr().out


async def test_the_digest_tells_of_failed_pushes(org_engine, worker, fake, clock):
    from handlers import digest
    from storage.stats import Scope

    fake.users = {"zhangwei"}
    put(org_engine, ("user", "nobody", "x"))
    await worker.drain()
    with Session(org_engine) as s:
        d = digest.compose(s, Scope("community", "quehua"), kind="daily", end=clock.now() + timedelta(hours=1),
                           now=clock.now())
    assert "1条推送发送失败" in d.text
