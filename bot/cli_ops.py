"""``gridbot export`` / ``gridbot import`` (backups as JSON lines), ``gridbot retention run`` and
``gridbot seed`` (synthetic tickets for load tests)."""

from __future__ import annotations

import argparse
import sys

from bot.config import Config


def _engine(config: Config):
    from storage.db import make_engine

    return make_engine(config.storage.url)


def cmd_export(args: argparse.Namespace, config: Config) -> int:
    from storage import backup

    engine = _engine(config)
    if args.out == "-":
        counts = backup.export(engine, sys.stdout)
    else:
        with open(args.out, "w", encoding="utf-8") as f:
            counts = backup.export(engine, f)
    print(f"exported {sum(counts.values())} rows: " + ", ".join(f"{k} {v}" for k, v in counts.items() if v),
          file=sys.stderr)
    return 0


def cmd_import(args: argparse.Namespace, config: Config) -> int:
    from storage import backup
    from storage.migrate import upgrade

    engine = _engine(config)
    upgrade(engine)
    try:
        with open(args.file, encoding="utf-8") as f:
            counts = backup.load(engine, f)
    except FileNotFoundError:
        print(f"gridbot import: {args.file}: file not found", file=sys.stderr)
        return 2
    except backup.BackupError as e:
        print(f"gridbot import: {args.file}: {e}; nothing imported", file=sys.stderr)
        return 1
    print(f"imported {sum(counts.values())} rows: " + ", ".join(f"{k} {v}" for k, v in counts.items() if v))
    return 0


def cmd_retention(args: argparse.Namespace, config: Config) -> int:
    from storage import retention
    from storage.types import utcnow

    r = config.retention
    out = retention.run(_engine(config), utcnow(), inbound_days=r.inbound_days,
                        anonymise_closed_days=r.anonymise_closed_days)
    print(f"删除原始消息 {out.inbound_deleted} 条；匿名化已关闭工单 {out.tickets_anonymised} 件")
    return 0


def cmd_seed(args: argparse.Namespace, config: Config) -> int:
    from storage.migrate import upgrade
    from storage.seed import seed_tickets

    engine = _engine(config)
    upgrade(engine)
    from bot.config import CATEGORY_CODES

    n = seed_tickets(engine, args.tickets, categories=CATEGORY_CODES, grids=args.grids, days=args.days,
                     seed=args.seed)
    print(f"seeded {n} tickets over {args.grids} grids and {args.days} days")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    e = sub.add_parser("export", help="write every row as JSON lines (a backup)")
    e.add_argument("--out", required=True, help="the file to write ('-': standard output)")
    e.set_defaults(func=cmd_export)
    i = sub.add_parser("import", help="load a file written by 'gridbot export' into an empty database")
    i.add_argument("file")
    i.set_defaults(func=cmd_import)
    r = sub.add_parser("retention", help="retention of personal data").add_subparsers(dest="retention_command",
                                                                                      required=True)
    r.add_parser("run", help="delete old inbound messages and anonymise old closed tickets now "
                             "(the scheduler does it daily)").set_defaults(func=cmd_retention)
    s = sub.add_parser("seed", help="add synthetic tickets (load tests; never on a real database)")
    s.add_argument("--tickets", type=int, required=True)
    s.add_argument("--grids", type=int, default=200)
    s.add_argument("--days", type=int, default=365)
    s.add_argument("--seed", type=int, default=1)
    s.set_defaults(func=cmd_seed)
