"""The gridbot command line: db upgrade, classify, tickets list/show."""

from __future__ import annotations

import io
import json
import sys

import pytest

from bot.cli import main
from conftest import ROOT


@pytest.fixture
def cfg_file(tmp_path, db_url):
    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    text = text.replace('url = "sqlite:///gridbot.db"', f'url = "{db_url}"')
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_db_upgrade_then_tickets_from_the_bridge(cfg_file, capsys, db_url):
    assert main(["--config", str(cfg_file), "db", "upgrade"]) == 0
    assert "schema at revision" in capsys.readouterr().out
    # a ticket opened through the handlers, as the server would
    from datetime import UTC, datetime

    from bot.config import load_config
    from bot.orgsync import sync_org
    from bot.pipeline import handle_one
    from handlers.context import Services
    from handlers.messages import InboundMessage
    from nlp import load_classifier
    from storage.db import make_engine, session_factory

    config = load_config(cfg_file)
    engine = make_engine(db_url)
    with session_factory(engine)() as s:
        sync_org(s, config.org)
        s.commit()
        reply = handle_one(s, InboundMessage("bridge", "m1", "zhaomin", "3号楼2单元门口的充电桩坏了三天了",
                                             datetime.now(UTC), "bridge-quehua-1"), Services(
            rules=config.ticket_rules(), classifier=load_classifier()))
    engine.dispose()
    assert reply.ticket == 1

    assert main(["--config", str(cfg_file), "tickets", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 1
    assert {"number", "category", "urgent", "status", "grid", "created_at"} <= set(rows[0])
    assert (rows[0]["number"], rows[0]["category"], rows[0]["status"]) == (1, "charging", "open")

    assert main(["--config", str(cfg_file), "tickets", "show", "#1", "--json"]) == 0
    one = json.loads(capsys.readouterr().out)
    assert one["number"] == 1 and [e["kind"] for e in one["events"]] == ["opened"]

    assert main(["--config", str(cfg_file), "tickets", "show", "1"]) == 0
    assert "工单 #1" in capsys.readouterr().out
    assert main(["--config", str(cfg_file), "tickets", "show", "99"]) == 1
    assert "没有工单 #99" in capsys.readouterr().err
    assert main(["--config", str(cfg_file), "tickets", "history", "3000000000"]) == 1
    assert "没有工单 #3000000000" in capsys.readouterr().err


def test_classify_reads_lines_and_writes_json_lines(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO("3号楼2单元门口的充电桩坏了三天了\n\n收到\n"))
    assert main(["--config", str(ROOT / "config.example.toml"), "classify"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert len(lines) == 2
    assert {"text", "category", "urgent", "keywords", "location"} <= set(lines[0])
    assert lines[0]["category"] == "charging" and lines[0]["location"]["building"] == 3
    assert lines[1]["category"] == "none"


def test_eval_prints_the_report(tmp_path, capsys):
    data = tmp_path / "set.jsonl"
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in [
        {"text": "充电桩坏了", "label": "charging", "urgent": False},
        {"text": "谢谢", "label": "none", "urgent": False},
    ]), encoding="utf-8")
    assert main(["--config", str(ROOT / "config.example.toml"), "eval", str(data)]) == 0
    out = capsys.readouterr().out
    assert "charging" in out


async def test_rules_suggest_mines_recategorisations(group, cfg_file, capsys):
    texts = ["3号楼门口的树上挂了个大马蜂窝 孩子们不敢过 麻烦社区来处理一下",
             "5号楼楼顶有个马蜂窝 马蜂往屋里飞 有没有人管管", "车棚顶上一个马蜂窝越来越大了 请网格员帮忙摘掉"]
    for i, text in enumerate(texts):
        opened = await group.say(text, sender=f"r{i}")
        if opened.ticket is None:  # asked a question instead: answer it
            opened = await group.say("是", sender=f"r{i}")
        assert opened.ticket is not None
        fixed = await group.say(f"改类 {opened.ticket} 环境卫生", sender="zhangwei")
        assert fixed.status == 200 and "环境卫生与噪音" in fixed.reply, fixed.reply
    assert main(["--config", str(cfg_file), "rules", "suggest", "--min-support", "2"]) == 0
    out = capsys.readouterr().out
    assert "3 条人工改类记录" in out
    assert "[environment]" in out and "马蜂" in out  # a rule line for a person to paste; nothing changed silently


def _one_ticket(cfg_file, db_url, text: str) -> None:
    from datetime import UTC, datetime

    from bot.config import load_config
    from bot.orgsync import sync_org
    from bot.pipeline import handle_one
    from handlers.context import Services
    from handlers.messages import InboundMessage
    from nlp import load_classifier
    from storage.db import make_engine, session_factory

    assert main(["--config", str(cfg_file), "db", "upgrade"]) == 0
    config = load_config(cfg_file)
    engine = make_engine(db_url)
    with session_factory(engine)() as s:
        sync_org(s, config.org)
        s.commit()
        handle_one(s, InboundMessage("wecom_app", "m1", "zhaomin", text, datetime.now(UTC)),
                   Services(rules=config.ticket_rules(), classifier=load_classifier()))
    engine.dispose()


def test_cli_options_are_validated_with_a_clear_message(cfg_file, capsys, db_url):
    assert main(["--config", str(cfg_file), "db", "upgrade"]) == 0
    with pytest.raises(SystemExit):
        main(["--config", str(cfg_file), "tickets", "list", "--status", "nonsense"])
    assert "没有「nonsense」这个状态" in capsys.readouterr().err
    assert main(["--config", str(cfg_file), "digest", "--scope", "nonsense", "--print"]) == 2
    assert main(["--config", str(cfg_file), "digest", "--scope", "community:nope", "--print"]) == 2
    assert "没有「community:nope」这个范围" in capsys.readouterr().err
    assert main(["--config", str(cfg_file), "tickets", "list", "--grid", "nope"]) == 2


def test_tickets_are_shown_in_chinese_with_names_aligned_and_numbers_masked(cfg_file, capsys, db_url):
    from bot.cli_format import width

    _one_ticket(cfg_file, db_url, "3号楼充电桩坏了，电话13812345678")
    capsys.readouterr()
    assert main(["--config", str(cfg_file), "tickets", "list", "--status", "待受理"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:3] == ["工单", "类别", "状态"] and "138****5678" in lines[1]
    col = lines[0].index("状态")
    assert width(lines[0][:col]) == width(lines[1][:lines[1].index("待受理")])  # aligned by display width
    assert "张伟（zhangwei）" in lines[1]
    assert main(["--config", str(cfg_file), "tickets", "show", "1"]) == 0
    out = capsys.readouterr().out
    assert "反映人：赵敏（zhaomin）" in out and "承办：张伟（zhangwei）" in out and "反映" in out
    assert "13812345678" not in out and "opened" not in out
    assert main(["--config", str(cfg_file), "tickets", "show", "1", "--reveal"]) == 0
    assert "13812345678" in capsys.readouterr().out
