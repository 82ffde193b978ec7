"""``gridbot announce``, ``gridbot digest`` and ``gridbot outbox``: pushes from the command line.

They write outbox rows (and announcements) in one transaction; the running ``serve`` process sends them.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime
from pathlib import Path

from bot.config import Config


def _session(config: Config):
    from storage.db import make_engine, session_factory

    return session_factory(make_engine(config.storage.url))()


def _local_time(text: str) -> datetime:
    from handlers.settings import TZ

    try:
        return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=TZ)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected \"YYYY-MM-DD HH:MM\" (Asia/Shanghai)") from None


def _target(text: str) -> str:
    from handlers.announce import check_target

    try:
        return check_target(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _cron(text: str) -> str:
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger.from_crontab(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"{text!r}: not 'm h dom mon dow': {e}") from None
    return text


# --- announce ----------------------------------------------------------------------------------------------------


def cmd_announce(args: argparse.Namespace, config: Config) -> int:
    from handlers import announce, notify
    from handlers.errors import CommandError
    from handlers.texts import when
    from storage.types import utcnow

    action = args.action or []
    with _session(config) as s:
        notify.configure(s, config.ticket_rules())
        if action[:1] == ["list"]:
            from bot.cli_format import clip, table

            rows = announce.listing(s, include_done=args.all)
            if not rows:
                print("没有待发送的通知。")
                return 0
            body = []
            for a in rows:
                plan = a.cron and f"cron {a.cron}" or (when(a.at) if a.at else "立即")
                body.append([f"#{a.id}", announce.status_text(s, a), plan, ",".join(a.targets), clip(a.text, 40)])
            print(table(["通知", "状态", "时间", "对象", "内容"], body))
            return 0
        if action[:1] == ["cancel"] and len(action) == 2 and action[1].lstrip("#").isdigit():
            ann = announce.cancel(s, int(action[1].lstrip("#")))
            s.commit()
            if ann is None:
                print(f"没有通知 #{action[1]}", file=sys.stderr)
                return 1
            print(f"通知 #{ann.id}：{announce.status_text(s, ann)}")
            return 0 if ann.status == "cancelled" else 1
        if action[:1] == ["recall"] and len(action) == 2 and action[1].lstrip("#").isdigit():
            from handlers import recall
            from handlers.texts_cards import recall_report

            try:
                lines = recall.recall(s, int(action[1].lstrip("#")), utcnow())
            except CommandError as e:
                print(e.user_text, file=sys.stderr)
                return 1
            s.commit()
            print(recall_report(int(action[1].lstrip("#")), lines))
            return 0
        if action:
            print("usage: gridbot announce [list [--all] | cancel ID | recall ID | --to T ... (--text TEXT | "
                  "--file F.md)]",
                  file=sys.stderr)
            return 2
        if not args.to or (args.text is None) == (args.file is None):
            print("gridbot announce: give --to (one or more) and either --text or --file", file=sys.stderr)
            return 2
        text = args.text if args.text is not None else Path(args.file).read_text(encoding="utf-8").strip()
        try:
            ann, n = announce.create(s, targets=args.to, text=text, created_by="cli", now=utcnow(), at=args.at,
                                     cron=args.cron)
            status = announce.status_lines(s, args.to)
        except CommandError as e:
            print(e.user_text, file=sys.stderr)
            return 1
        s.commit()
    if args.at or args.cron:
        print(f"通知 #{ann.id} 已安排：{when(args.at) if args.at else 'cron ' + args.cron}")
    else:
        print(f"通知 #{ann.id} 已写入发送队列：{n} 条消息")
        for line in status:
            print(line)
    return 0


# --- digest ------------------------------------------------------------------------------------------------------


def cmd_digest(args: argparse.Namespace, config: Config) -> int:
    from handlers import digest
    from storage.stats import Scope
    from storage.types import utcnow

    try:
        scopes = [Scope.parse(x) for x in args.scope]
    except ValueError as e:
        print(f"gridbot digest: {e}", file=sys.stderr)
        return 2
    with _session(config) as s:
        for scope in scopes:
            try:
                digest.scope_name(s, scope)
            except LookupError:
                print(f"gridbot digest: 没有「{scope}」这个范围（网格、社区或街道编号不存在）", file=sys.stderr)
                return 2
    now = utcnow()
    d = config.digest
    with _session(config) as s:
        scopes = scopes or digest.default_scopes(s)
        if args.print or not args.now:
            if not args.now and not args.print:
                print("gridbot digest: --now to send it now, --print to show it only", file=sys.stderr)
                return 2
            for scope in scopes:
                print(digest.compose(s, scope, kind=args.kind, end=now, now=now, oldest=d.oldest).text, end="\n\n")
            return 0
        extra = [("user", t.partition(":")[2]) for t in args.to]
        n = digest.run(s, scopes, kind=args.kind, end=now, now=now, to_secretaries=not args.to,
                       to_groups=False, chart=d.chart and args.kind == "weekly", font_path=d.chart_font,
                       oldest=d.oldest, extra=extra)
        s.commit()
    print(f"简报已写入发送队列：{n} 条消息（{', '.join(map(str, scopes))}）")
    return 0


# --- outbox ------------------------------------------------------------------------------------------------------


def cmd_outbox(args: argparse.Namespace, config: Config) -> int:
    from storage import delivery
    from storage.types import utcnow

    if args.outbox_command == "status":
        with _session(config) as s:
            counts = delivery.counts(s)
        print("  ".join(f"{k}: {counts.get(k, 0)}" for k in ("pending", "sent", "dead")))
        return 0
    if args.outbox_command == "failed":
        return _failed(args, config)
    if args.outbox_command == "retry":
        with _session(config) as s:
            n = delivery.requeue(s, args.ids or None, utcnow())
            s.commit()
        print(f"{n} 条消息重新排队")
        return 0
    return asyncio.run(_send_now(config))


def _failed(args: argparse.Namespace, config: Config) -> int:
    import json

    from handlers.texts import when
    from storage import delivery

    with _session(config) as s:
        rows = delivery.failed(s, args.limit)
    from storage.outbox import shown_target

    shown = [{"id": r.id, "target": shown_target(r), "msgtype": r.msgtype, "attempts": r.attempts,
              "created_at": r.created_at.isoformat(), "reason": r.last_error} for r in rows]  # no credential
    if args.json:
        print(json.dumps(shown, ensure_ascii=False, indent=2))
        return 0
    for r, d in zip(rows, shown, strict=True):
        print(f"#{d['id']:<6} {when(r.created_at)}  {d['target']:<30} {d['attempts']:>3}次  {d['reason']}")
    if not rows:
        print("没有发送失败的消息。")
    return 0


async def _send_now(config: Config) -> int:
    import aiohttp

    from bot.outbox_worker import build_worker
    from storage.db import make_engine

    engine = make_engine(config.storage.url)
    async with aiohttp.ClientSession() as http:
        worker = build_worker(config, engine, http, name="cli")
        await worker.run_once()
    engine.dispose()
    print(f"sent {worker.sent}, failed {worker.failed}")
    return 0 if worker.failed == 0 else 1


def register(sub: argparse._SubParsersAction) -> None:
    a = sub.add_parser("announce", help="announcements: send now, at a time, on a cron; list; cancel",
                       description="gridbot announce --to grid:ID|community:ID|street:ID|role:ROLE ... "
                                   "--text TEXT | --file F.md [--at 'YYYY-MM-DD HH:MM' | --cron 'm h dom mon dow']"
                                   " ; gridbot announce list ; gridbot announce cancel ID ; gridbot announce recall ID")
    a.add_argument("action", nargs="*", help="list | cancel ID | recall ID (nothing: make an announcement)")
    a.add_argument("--to", action="append", type=_target, default=[], help="grid:ID, community:ID, street:ID, "
                                                                            "role:ROLE or user:USERID; repeatable")
    a.add_argument("--text")
    a.add_argument("--file", help="a Markdown or text file with the announcement")
    when = a.add_mutually_exclusive_group()
    when.add_argument("--at", type=_local_time, help='"YYYY-MM-DD HH:MM", Asia/Shanghai')
    when.add_argument("--cron", type=_cron, help='"m h dom mon dow", Asia/Shanghai')
    a.add_argument("--all", action="store_true", help="list: also sent and cancelled ones")
    a.set_defaults(func=cmd_announce)

    d = sub.add_parser("digest", help="a secretaries' digest on demand")
    d.add_argument("--scope", action="append", default=[], help="grid:ID, community:ID or street:ID; repeatable "
                                                                "(default: every community and street with a "
                                                                "secretary)")
    d.add_argument("--kind", choices=("daily", "weekly"), default="weekly", help="the period (default weekly)")
    d.add_argument("--now", action="store_true", help="send it now to the scope's secretaries")
    d.add_argument("--to", action="append", type=_target, default=[], help="user:USERID instead of the "
                                                                           "secretaries; repeatable")
    d.add_argument("--print", action="store_true", help="print it, send nothing")
    d.set_defaults(func=cmd_digest)

    o = sub.add_parser("outbox", help="the outbox of pushes").add_subparsers(dest="outbox_command", required=True)
    o.add_parser("status", help="how many messages are pending, sent, dead").set_defaults(func=cmd_outbox)
    o.add_parser("send", help="send what is due now, once (serve does this continuously)").set_defaults(
        func=cmd_outbox)
    f = o.add_parser("failed", help="messages given up (dead), newest first, with the reason")
    f.add_argument("--limit", type=int, default=100)
    f.add_argument("--json", action="store_true")
    f.set_defaults(func=cmd_outbox)
    r = o.add_parser("retry", help="put dead messages back in the queue (after fixing their cause)")
    r.add_argument("ids", nargs="*", type=int)
    r.set_defaults(func=cmd_outbox)
