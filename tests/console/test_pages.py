"""Dashboard, export, simulator, public board and the password command: each page, each refusal."""

from __future__ import annotations

import csv
import io
import sys
from datetime import timedelta

from openpyxl import load_workbook
from sqlmodel import Session, select

from bot.console.export import mask_phones, safe_cell
from storage import rates, stats
from storage.models import ConsoleAudit, ConsoleUser
from storage.stats import Scope
from storage.types import utcnow
from tests.console.conftest import PASSWORD, csrf_of, logged_in, login

# --- dashboard -------------------------------------------------------------------------------------------------


async def test_the_dashboard_shows_the_three_rates_from_the_digest_and_stats_query(console, group, engine):
    a = (await group.say("3号楼2单元门口的充电桩坏了三天了")).ticket
    await group.say("小区东门垃圾桶满了没人清理，臭得很")
    await group.say(f"接单 {a}", sender="zhangwei")
    await group.say(f"办结 {a} 已更换充电桩", sender="zhangwei")
    await group.say(f"满意 {a}", sender="zhaomin")
    await logged_in(console, "wangfang")
    page = await (await console.get("/console/dashboard")).text()
    for word in ("响应率", "解决率", "满意率", "echarts.min.js", "chart-daily", "chart-worker"):
        assert word in page
    d = await (await console.get("/console/dashboard.json")).json()
    now = utcnow()
    with Session(engine) as s:
        digest = stats.summary(s, Scope("community", "quehua"), now - timedelta(days=30), now, now)
        three = rates.total(s, Scope("community", "quehua"), now - timedelta(days=30), now, now)
    assert d["summary"]["new"] == digest.new == 2
    # the second ticket is due neither to respond nor to resolve yet: both rates count the first only
    assert d["rates"] == {"response": three.response_rate, "resolution": three.resolution_rate,
                          "satisfaction": three.satisfaction_rate} == {"response": 1.0, "resolution": 1.0,
                                                                       "satisfaction": 1.0}
    assert (d["summary"]["responded"], d["summary"]["due_to_respond"]) == (1, 1)
    assert sum(r[1] for r in d["daily"]) == 2 and dict(d["category"])["垃圾清运"] >= 0
    assert [r[0] for r in d["grid"]] == ["第一网格"]
    assert "张伟（zhangwei）" in [r[0] for r in d["worker"]]


async def test_a_dashboard_scope_outside_ones_own_is_403(console, engine):
    await logged_in(console, "liuqiang")
    assert (await console.get("/console/dashboard", params={"scope": "community:quehua"})).status == 403
    assert (await console.get("/console/dashboard", params={"scope": "grid:fenghuang-3"})).status == 200
    assert (await console.get("/console/dashboard", params={"scope": "bogus"})).status == 403


async def test_the_echarts_file_is_served_locally(console):
    await logged_in(console, "admin")
    resp = await console.get("/console/static/echarts.min.js")
    assert resp.status == 200 and len(await resp.read()) > 500_000
    lic = await console.get("/console/static/echarts.LICENSE.txt")
    assert "Apache License" in await lic.text()


# --- export ----------------------------------------------------------------------------------------------------


def test_cells_that_a_spreadsheet_would_run_are_escaped():
    assert [safe_cell(v) for v in ("=1+1", "+86", "-2", "@SUM(A1)", "\tx", "正常", 12)] == [
        "'=1+1", "'+86", "'-2", "'@SUM(A1)", "'\tx", "正常", 12]
    assert mask_phones("电话13812345678，座机0531-1234") == "电话138****5678，座机0531-1234"


async def test_export_is_the_boards_filter_escaped_and_masked(console, group):
    await group.say("=HYPERLINK(\"http://x\") 3号楼门口的充电桩坏了，电话13812345678")
    await group.say("小区东门垃圾桶满了没人清理，臭得很")
    await logged_in(console, "zhangwei")
    resp = await console.get("/console/tickets.xlsx", params={"category": "charging"})
    assert resp.status == 200 and "attachment" in resp.headers["Content-Disposition"]
    ws = load_workbook(io.BytesIO(await resp.read())).active
    rows = list(ws.values)
    assert rows[0][0] == "工单号" and len(rows) == 2
    assert rows[1][6].startswith("'=HYPERLINK") and "138****5678" in rows[1][6]
    resp = await console.get("/console/tickets.csv")
    text = (await resp.read()).decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    assert len(lines) == 3 and "13812345678" not in text
    await logged_in(console, "wangfang")  # a secretary calls residents back: full numbers
    text = (await (await console.get("/console/tickets.csv")).read()).decode("utf-8-sig")
    assert "13812345678" in text


async def test_export_outside_ones_scope_is_403(console, engine):
    await logged_in(console, "liuqiang")
    assert (await console.get("/console/tickets.csv", params={"community": "quehua"})).status == 403
    with Session(engine) as s:
        assert s.exec(select(ConsoleAudit).where(ConsoleAudit.actor == "liuqiang",
                                                 ConsoleAudit.outcome == "refused")).first()


# --- simulator -------------------------------------------------------------------------------------------------


async def test_the_simulator_talks_through_the_signed_bridge_and_shows_pushes(console):
    await logged_in(console, "admin")
    page = await (await console.get("/console/simulator")).text()
    assert "群聊模拟" in page and "bridge-quehua-1" in page
    token = await csrf_of(console, "/console/simulator")
    say = {"chat_id": "bridge-quehua-1", "sender_id": "zhaomin", "text": "3号楼2单元门口的充电桩坏了三天了"}
    resp = await console.post("/console/simulator/say", json=say)
    assert resp.status == 403  # no CSRF token
    resp = await console.post("/console/simulator/say", json=say, headers={"X-CSRF-Token": token})
    d = await resp.json()
    assert d["status"] == 200 and f"工单号 #{d['ticket']}" in d["reply"]
    resp = await console.post("/console/simulator/say", headers={"X-CSRF-Token": token}, json={
        "chat_id": "bridge-quehua-1", "sender_id": "zhangwei", "text": f"接单 {d['ticket']}"})
    assert "接单" in (await resp.json())["reply"]
    feed = await (await console.get("/console/simulator/feed", params={"chat": "bridge-quehua-1"})).json()
    assert any(f"#{d['ticket']}" in f["text"] and f["kind"] == "bridge" for f in feed)


async def test_the_simulator_is_for_admins_only(console):
    await logged_in(console, "wangfang")
    assert (await console.get("/console/simulator")).status == 403
    token = await csrf_of(console, "/console/tickets")
    resp = await console.post("/console/simulator/say", headers={"X-CSRF-Token": token},
                              json={"chat_id": "bridge-quehua-1", "sender_id": "zhaomin", "text": "hi"})
    assert resp.status == 403


# --- public board ------------------------------------------------------------------------------------------------


async def test_the_public_board_is_opt_in_masked_and_without_disputes(console, group):
    await group.say("3号楼2单元门口的充电桩坏了三天了", name="赵敏")
    await group.say("楼上邻居天天半夜吵架，我们去协商他还骂人，想请调解员来调解邻里纠纷", name="赵敏")
    resp = await console.get("/public/quehua")
    page = await resp.text()
    assert resp.status == 200 and "群众诉求办理公开" in page and "满意率" in page
    assert "赵*" in page and "赵敏" not in page
    assert "充电桩" not in page  # no text at all
    assert "矛盾纠纷" in page and page.count("<tr><td>#") == 1
    assert (await console.get("/public/fenghuang")).status == 404


# --- the password command ------------------------------------------------------------------------------------------


def test_set_password_reads_stdin_and_refuses_residents(tmp_path, db_url, monkeypatch, capsys):
    from argon2 import PasswordHasher

    from bot.cli import main
    from bot.config import load_config
    from bot.orgsync import sync_org
    from conftest import ROOT
    from storage.db import make_engine, session_factory

    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    cfg = tmp_path / "config.toml"
    cfg.write_text(text.replace('url = "sqlite:///gridbot.db"', f'url = "{db_url}"'), encoding="utf-8")
    assert main(["--config", str(cfg), "db", "upgrade"]) == 0
    engine = make_engine(db_url)
    with session_factory(engine)() as s:
        sync_org(s, load_config(cfg).org)
        s.commit()
    monkeypatch.setattr(sys, "stdin", io.StringIO("a-long-password\n"))
    assert main(["--config", str(cfg), "user", "set-password", "wangfang"]) == 0
    with Session(engine) as s:
        row = s.get(ConsoleUser, "wangfang")
        assert row.password_hash.startswith("$argon2") and "a-long-password" not in row.password_hash
        assert PasswordHasher().verify(row.password_hash, "a-long-password")
    monkeypatch.setattr(sys, "stdin", io.StringIO("a-long-password\n"))
    assert main(["--config", str(cfg), "user", "set-password", "zhaomin"]) == 1
    monkeypatch.setattr(sys, "stdin", io.StringIO("short\n"))
    assert main(["--config", str(cfg), "user", "set-password", "admin"]) == 1
    assert "至少" in capsys.readouterr().err
    engine.dispose()


async def test_a_password_set_on_the_command_line_logs_in(console):
    assert (await login(console, "admin", PASSWORD)).status == 303


async def test_every_post_route_refuses_a_request_without_the_csrf_token(console):
    await logged_in(console, "admin")
    posts = sorted({r.resource.canonical for sub in console.app._subapps for r in sub.router.routes()
                    if r.method == "POST"})
    assert "/console/announcements" in posts and "/console/org/import" in posts
    for path in posts:
        path = path.replace("{number}", "1").replace("{action}", "accept")
        resp = await console.post(path, data={"text": "x", "_csrf": "not-the-token"})
        assert resp.status == 403, path
        assert "CSRF" in await resp.text()


def test_a_place_key_reads_as_words():
    from handlers.texts_console import place_words

    assert place_words("b3|u2") == "3号楼2单元"
    assert place_words("b3|u2|p:车棚|r301|g:东门") == "车棚3号楼2单元301室东门"
    assert place_words("") == ""


async def test_the_console_can_be_turned_off_and_its_cookie_made_https_only(aiohttp_client, engine, db_url,
                                                                            classifier):
    from bot.app import create_app
    from conftest import example_config

    off = example_config(storage={"url": db_url}, outbox={"enabled": False}, scheduler={"enabled": False},
                         console={"enabled": False})
    client = await aiohttp_client(create_app(off, engine=engine, classifier=classifier))
    assert (await client.get("/console/login")).status == 404
    assert (await client.get("/public/quehua")).status == 404
    secure = example_config(storage={"url": db_url}, outbox={"enabled": False}, scheduler={"enabled": False},
                            console={"cookie_secure": True})
    client = await aiohttp_client(create_app(secure, engine=engine, classifier=classifier))
    resp = await client.get("/console/login")
    assert "Secure" in resp.headers["Set-Cookie"]
