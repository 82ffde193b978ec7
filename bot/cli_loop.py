"""``gridbot stats`` (the three rates) and ``gridbot tickets history N`` (the audit trail)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, datetime, time, timedelta

from bot.config import Config


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected YYYY-MM-DD") from None


def _scope(text: str):
    from storage.stats import Scope

    try:
        return Scope.parse(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def period(start: date | None, end: date | None, today: date) -> tuple[datetime, datetime]:
    """[from 00:00, to + 1 day 00:00) Asia/Shanghai as aware UTC; default: the last 30 days to today."""
    from handlers.settings import TZ

    end = end or today
    start = start or end - timedelta(days=29)
    return (datetime.combine(start, time(0), TZ), datetime.combine(end + timedelta(days=1), time(0), TZ))


def cmd_stats(args: argparse.Namespace, config: Config) -> int:
    from bot.cli import _session
    from handlers import texts_loop as tl
    from handlers.digest import scope_name
    from handlers.settings import TZ
    from storage.rates import rates
    from storage.types import utcnow

    now = utcnow()
    start, end = period(args.start, args.end, now.astimezone(TZ).date())
    if end <= start:
        print("gridbot stats: --from must not be after --to", file=sys.stderr)
        return 2
    with _session(config) as s:
        try:
            name = scope_name(s, args.scope)
        except LookupError as e:
            print(f"gridbot stats: {e}", file=sys.stderr)
            return 1
        whole = rates(s, args.scope, start, end, now)[0]
        groups = rates(s, args.scope, start, end, now, by=args.by) if args.by else []
    if args.json:
        out = {"scope": str(args.scope), "name": name, "from": start.isoformat(), "to": end.isoformat(),
               **whole.as_dict()}
        out.pop("key")
        if args.by:
            out["by"] = args.by
            out["groups"] = [g.as_dict() for g in groups]
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return 0
    last = (end - timedelta(days=1)).astimezone(TZ).date()
    print(f"{name}（{args.scope}）{start.astimezone(TZ).date()} 至 {last}：共 {whole.reported} 件")
    for line in tl.rates_lines(whole):
        print(line)
    for g in groups:
        print(f"\n[{args.by} {g.key or '（无承办人）'}] 共 {g.reported} 件")
        for line in tl.rates_lines(g):
            print(line)
    return 0


def cmd_history(args: argparse.Namespace, config: Config) -> int:
    from bot.cli import _names, _session, _ticket
    from bot.cli_format import named
    from handlers import texts_loop as tl
    from handlers.privacy import mask
    from handlers.texts import EVENT_NAMES
    from storage.tickets import events

    with _session(config) as s:
        t = _ticket(s, args.number)
        if t is None:
            return 1
        evs = events(s, t.id)
        names = _names(s)
    if args.json:
        print(json.dumps([{"at": e.at.isoformat(), "actor": e.actor, "kind": e.kind, "old_status": e.old_status,
                           "new_status": e.new_status, "reason": e.text, "public": e.public,
                           "changes": e.changes or {}} for e in evs], ensure_ascii=False, indent=2))
        return 0
    show = (lambda x: x) if args.reveal else mask
    print(f"工单 #{t.id} 的全部记录（{len(evs)} 条，只增不改）：")
    for e in evs:
        change = f"{e.old_status or ''}→{e.new_status}" if e.old_status != e.new_status else ""
        kind = f"{EVENT_NAMES[e.kind]}（{e.kind}）" if e.kind in EVENT_NAMES else e.kind
        print(tl.history_line(e.at, named(e.actor, names), kind, change, show(e.text) if e.text else None))
        for field, (old, new) in sorted((e.changes or {}).items()):
            if field != "status":
                print(f"{'':>20}{field}: {old} → {new}")
    if not args.reveal:
        print("（电话、身份证号已打码；有权限的工作人员可加 --reveal 查看）")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    st = sub.add_parser("stats", help="response, resolution and satisfaction rates of a grid, community or street",
                        description="gridbot stats --scope grid:ID|community:ID|street:ID [--from D --to D] "
                                    "[--by grid|community|street|worker] [--json]")
    st.add_argument("--scope", required=True, type=_scope)
    st.add_argument("--from", dest="start", type=_day, help="first day, YYYY-MM-DD (default: 30 days to --to)")
    st.add_argument("--to", dest="end", type=_day, help="last day, YYYY-MM-DD, included (default: today)")
    st.add_argument("--by", choices=("grid", "community", "street", "worker"), help="also one row per ...")
    st.add_argument("--json", action="store_true")
    st.set_defaults(func=cmd_stats)

    tickets = sub.choices["tickets"]
    tsub = next(a for a in tickets._actions if isinstance(a, argparse._SubParsersAction))
    h = tsub.add_parser("history", help="one ticket's audit trail: every change with actor, time and reason")
    from bot.cli import _positive

    h.add_argument("number", type=lambda v: _positive(v.lstrip("#＃")))
    h.add_argument("--json", action="store_true")
    h.add_argument("--reveal", action="store_true", help="show phone and ID numbers unmasked")
    h.set_defaults(func=cmd_history)
