"""The ``gridbot`` command line."""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import sys
from pathlib import Path

from bot import logs
from bot.config import Config, ConfigError, load_config

log = logging.getLogger("gridbot")

def _engine(config: Config):
    from storage.db import make_engine

    return make_engine(config.storage.url)


def _session(config: Config):
    from storage.db import session_factory

    return session_factory(_engine(config))()


# --- serve / db ----------------------------------------------------------------------------------------------


def cmd_serve(args: argparse.Namespace, config: Config) -> int:
    from aiohttp import web

    from bot import gctune
    from bot.app import create_app
    from bot.calendar_check import calendar_ok

    calendar_ok(config)  # logs an unknown or ending calendar; never stops the bot
    host = args.host or config.server.host
    port = args.port or config.server.port
    workers = args.workers or config.server.workers
    if workers > 1:
        from bot.workers import serve

        return serve(config, host, port, workers, verbose=bool(args.verbose))
    from bot.workers import sd_notify

    app = create_app(config)
    app.on_startup.append(gctune.on_startup)

    async def ready(app) -> None:
        sd_notify("READY=1")

    app.on_startup.append(ready)
    web.run_app(app, host=host, port=port, print=lambda s: log.info("%s", s.strip()))
    return 0


def cmd_db_upgrade(args: argparse.Namespace, config: Config) -> int:
    from storage.migrate import current, upgrade

    engine = _engine(config)
    upgrade(engine, args.revision)
    print(f"schema at revision {current(engine)}")
    return 0


# --- classifier ----------------------------------------------------------------------------------------------


def _classifier(config: Config):
    from nlp import load_classifier

    return load_classifier(config.nlp.rules, config.nlp.userdict)


def cmd_classify(args: argparse.Namespace, config: Config) -> int:
    clf = _classifier(config)
    out = sys.stdout
    for line in sys.stdin:
        text = line.rstrip("\r\n")
        if not text.strip():
            continue
        out.write(json.dumps(clf.classify(text).as_dict(text), ensure_ascii=False) + "\n")
    out.flush()
    return 0


def cmd_eval(args: argparse.Namespace, config: Config) -> int:
    from nlp.evaluate import evaluate

    records = []
    with open(args.file, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError as e:
                    print(f"{args.file}:{n}: not JSON: {e}", file=sys.stderr)
                    return 2
    report = evaluate(records, _classifier(config))
    print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2) if args.json else report.format())
    return 0


def cmd_rules_suggest(args: argparse.Namespace, config: Config) -> int:
    from sqlmodel import select

    from nlp.suggest import suggest
    from storage.models import Correction

    with _session(config) as s:
        rows = [(c.text, c.old_category, c.new_category) for c in s.exec(select(Correction)).all()]
    suggestions = suggest(rows, _classifier(config), min_support=args.min_support)
    if not suggestions:
        print(f"没有可建议的新关键词（共 {len(rows)} 条人工改类记录）。")
        return 0
    from nlp import CATEGORIES

    print(f"# 根据 {len(rows)} 条人工改类记录建议补充的关键词；确认后手工加入规则文件对应的段落，不会自动生效。")
    section = None
    for sug in sorted(suggestions, key=lambda x: list(CATEGORIES).index(x.category)):
        if sug.category != section:
            section = sug.category
            print(f"\n[{section}]    # {CATEGORIES[section]}")
        print(sug.rule_line())
        for ex in sug.examples[:2]:
            print(f"#   例：{ex}")
    return 0


# --- tickets -------------------------------------------------------------------------------------------------


def _ticket_dict(t) -> dict:
    return {
        "number": t.id, "category": t.category, "urgent": t.urgent, "status": t.status, "grid": t.grid_id,
        "level": t.level, "assignee": t.assignee, "department": t.department, "reporter": t.reporter_id,
        "text": t.text, "location": t.location, "duplicate_of": t.duplicate_of, "rating": t.rating,
        "created_at": t.created_at.isoformat(), "due_at": t.due_at.isoformat(),
        "updated_at": t.updated_at.isoformat(),
        "resolved_at": t.resolved_at.isoformat() if t.resolved_at else None,
        **_loop_fields(t),
    }


def _loop_fields(t) -> dict:
    """The closed loop's fields (handlers/loop.py): the response clock, pause, supervision, rating window."""
    def iso(v):
        return v.isoformat() if v else None

    return {"respond_due_at": iso(t.respond_due_at), "responded_at": iso(t.responded_at),
            "paused_at": iso(t.paused_at), "supervised": t.supervised, "reopen_count": t.reopen_count,
            "rating_score": t.rating_score, "rating_due_at": iso(t.rating_due_at)}


def _names(session) -> dict[str, str]:
    from sqlmodel import select

    from storage.models import Member

    return {m.userid: m.name for m in session.exec(select(Member)).all()}


def _status_code(value: str) -> str:
    """A status by its code or Chinese name (待受理, 办理中 ...)."""
    from handlers.texts import STATUS_NAMES
    from handlers.transitions import STATUSES

    if value in STATUSES:
        return value
    for code, name in STATUS_NAMES.items():
        if value in (name, name.split("，")[0]):
            return code
    names = "、".join(f"{c}（{STATUS_NAMES[c].split('，')[0]}）" for c in STATUSES)
    raise argparse.ArgumentTypeError(f"没有「{value}」这个状态。可选：{names}")


def _positive(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"「{value}」不是正整数")
    return int(value)


def cmd_tickets_list(args: argparse.Namespace, config: Config) -> int:
    from sqlmodel import select

    from bot.cli_format import clip, named, table
    from handlers.privacy import mask
    from handlers.texts import CATEGORY_NAMES, STATUS_NAMES, when
    from storage.models import Grid
    from storage.tickets import list_tickets

    with _session(config) as s:
        if args.grid and s.get(Grid, args.grid) is None:
            print(f"gridbot tickets list: 没有网格「{args.grid}」", file=sys.stderr)
            return 2
        rows = list_tickets(s, status=args.status, grid_id=args.grid, limit=args.limit)
        names = _names(s)
        grids = {g.id: g.name for g in s.exec(select(Grid)).all()}
    if args.json:
        print(json.dumps([_ticket_dict(t) for t in rows], ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print("没有工单。")
        return 0
    body = [[f"#{t.id}", ("紧急 " if t.urgent else "") + CATEGORY_NAMES.get(t.category, t.category),
             STATUS_NAMES.get(t.status, t.status).split("，")[0], grids.get(t.grid_id, t.grid_id),
             named(t.assignee, names) if not t.department else t.department, when(t.created_at),
             clip(mask(t.text.replace("\n", " ")), 40)] for t in rows]
    print(table(["工单", "类别", "状态", "网格", "承办", "反映时间", "内容"], body))
    return 0


def _ticket(session, number: int):
    """Ticket ``number``, or None after saying on stderr that there is none (numbers past int32 included)."""
    from storage.models import Ticket

    t = session.get(Ticket, number) if number <= 2**31 - 1 else None
    if t is None:
        print(f"没有工单 #{number}", file=sys.stderr)
    return t


def cmd_tickets_show(args: argparse.Namespace, config: Config) -> int:
    from bot.cli_format import named, table
    from bot.cli_media import attachment_dicts, print_attachments
    from handlers.privacy import mask
    from handlers.texts import CATEGORY_NAMES, EVENT_NAMES, LEVEL_NAMES, STATUS_NAMES, when
    from storage.attachments import for_ticket
    from storage.models import Grid
    from storage.org import describe
    from storage.tickets import events

    with _session(config) as s:
        t = _ticket(s, args.number)
        if t is None:
            return 1
        evs = events(s, t.id)
        names = _names(s)
        grid = s.get(Grid, t.grid_id)
        where = describe(s, grid) if grid else t.grid_id
        atts = for_ticket(s, t.id)
    if args.json:
        d = _ticket_dict(t)
        d["events"] = [
            {"at": e.at.isoformat(), "actor": e.actor, "kind": e.kind, "old_status": e.old_status,
             "new_status": e.new_status, "text": e.text, "public": e.public, "changes": e.changes or {}}
            for e in evs
        ]
        d["place"] = ({"label": t.place_label, "lat": t.latitude, "lng": t.longitude}
                      if t.latitude is not None else None)
        d["attachments"] = attachment_dicts(atts)
        print(json.dumps(d, ensure_ascii=False, indent=2))
        return 0
    show = (lambda x: x) if args.reveal else mask
    reporter = names.get(t.reporter_id) or t.reporter_name
    print(f"工单 #{t.id}  {CATEGORY_NAMES.get(t.category, t.category)}  {STATUS_NAMES.get(t.status, t.status)}"
          f"{'  紧急' if t.urgent else ''}")
    print(f"网格：{where}（{t.grid_id}）  层级：{LEVEL_NAMES.get(t.level, t.level)}")
    print(f"反映人：{f'{reporter}（{t.reporter_id}）' if reporter else t.reporter_id}  "
          f"承办：{t.department or named(t.assignee, names)}  时限：{when(t.due_at)}")
    print(f"内容：{show(t.text)}")
    rows = []
    for e in evs:
        change = (f"{STATUS_NAMES.get(e.old_status or '', e.old_status or '').split('，')[0]}→"
                  f"{STATUS_NAMES.get(e.new_status or '', e.new_status or '').split('，')[0]}"
                  if e.old_status != e.new_status else "")
        rows.append([when(e.at), named(e.actor, names), EVENT_NAMES.get(e.kind, e.kind), change.lstrip("→"),
                     show(e.text or "")])
    print(table(["时间", "操作人", "事项", "状态", "说明"], rows))
    if not args.reveal:
        print("（电话、身份证号已打码；有权限的工作人员可加 --reveal 查看）")
    print_attachments(t, atts)
    return 0


# --- parser --------------------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="gridbot", description="网格通 gridbot")
    p.add_argument("--config", default=None,
                   help="configuration file (default: config.toml, else config.example.toml)")
    p.add_argument("-v", "--verbose", action="store_true")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("serve", help="run the web server")
    s.add_argument("--host")
    s.add_argument("--port", type=int)
    s.add_argument("--workers", type=int, help="server processes on the port (default [server] workers)")
    s.set_defaults(func=cmd_serve)

    db = sub.add_parser("db", help="database schema").add_subparsers(dest="db_command", required=True)
    up = db.add_parser("upgrade", help="migrate the schema to the newest revision")
    up.add_argument("revision", nargs="?", default="head")
    up.set_defaults(func=cmd_db_upgrade)

    sub.add_parser("classify", help="classify messages: one per line on stdin, JSON lines out").set_defaults(
        func=cmd_classify)
    e = sub.add_parser("eval", help="evaluate the classifier on a labelled JSONL file")
    e.add_argument("file")
    e.add_argument("--json", action="store_true")
    e.set_defaults(func=cmd_eval)

    rules = sub.add_parser("rules", help="classifier rules").add_subparsers(dest="rules_command", required=True)
    sg = rules.add_parser("suggest", help="propose keywords mined from people's recategorisations")
    sg.add_argument("--min-support", type=int, default=2)
    sg.set_defaults(func=cmd_rules_suggest)

    t = sub.add_parser("tickets", help="tickets").add_subparsers(dest="tickets_command", required=True)
    tl = t.add_parser("list", help="list tickets, newest first")
    tl.add_argument("--json", action="store_true")
    tl.add_argument("--status", type=_status_code, help="a status code or its Chinese name (待受理, 办理中 ...)")
    tl.add_argument("--grid")
    tl.add_argument("--limit", type=_positive, default=200)
    tl.set_defaults(func=cmd_tickets_list)
    ts = t.add_parser("show", help="one ticket with its history")
    ts.add_argument("number", type=lambda v: _positive(v.lstrip("#＃")))
    ts.add_argument("--json", action="store_true")
    ts.add_argument("--reveal", action="store_true", help="show phone and ID-card numbers in full")
    ts.set_defaults(func=cmd_tickets_show)
    ta = t.add_parser("attachment", help="write one attachment of a ticket to a file")
    ta.add_argument("number", type=lambda v: _positive(v.lstrip("#＃")))
    ta.add_argument("k", type=int, help="its place in `tickets show N` (1, 2, ...)")
    ta.add_argument("--out", required=True, help="the file to write ('-': standard output)")
    ta.set_defaults(func=lambda a, c: importlib.import_module("bot.cli_media").cmd_tickets_attachment(a, c))

    for name in EXTENSION_MODULES:
        importlib.import_module(name).register(sub)
    return p


# Modules that add their own subcommands with ``register(subparsers)`` (org, announce, digest ...).
EXTENSION_MODULES: tuple[str, ...] = ("bot.cli_org", "bot.cli_push", "bot.cli_ops", "bot.cli_loop", "bot.cli_console",
                                       "bot.cli_nlp", "bot.cli_media")


def _default_config() -> Path:
    for name in ("config.toml", "config.example.toml"):
        if Path(name).exists():
            return Path(name)
    return Path("config.toml")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logs.configure(bool(args.verbose))
    try:
        config = load_config(args.config or _default_config())
    except ConfigError as e:
        print(f"gridbot: configuration error:\n{e}", file=sys.stderr)
        return 2
    try:
        return args.func(args, config)
    except BrokenPipeError:  # `gridbot ... | head` closed the pipe: stop quietly, as other Unix tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error when Python flushes
        return 0


if __name__ == "__main__":
    sys.exit(main())
