"""``gridbot tickets attachment N K --out FILE``, the attachments part of ``tickets show``, and
``gridbot attachments purge``."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from bot.config import Config
from handlers import texts_media as tm
from handlers.texts import when

if TYPE_CHECKING:  # the models cost ~0.3 s to import: not at every CLI start (gridbot classify)
    from storage.models import Attachment, Ticket


def attachment_dicts(atts: list[Attachment]) -> list[dict]:
    out = []
    for k, a in enumerate(atts, 1):
        d = {"k": k, "id": a.id, "type": a.kind, "role": a.role, "status": a.status, "size": a.size,
             "content_type": a.content_type, "name": a.name, "sha256": a.sha256, "sender": a.sender_id,
             "channel": a.channel, "at": a.created_at.isoformat(), "reason": a.reason}
        if a.kind == "location":
            d["location"] = {"lat": a.latitude, "lng": a.longitude, "label": a.label,
                             "map": tm.map_link(a.latitude, a.longitude, a.label)}
        if a.kind == "link":
            d["url"] = a.ref
        out.append(d)
    return out


def print_attachments(t: Ticket, atts: list[Attachment]) -> None:
    if t.latitude is not None:
        print(f"位置：{t.place_label or ''} {tm.map_link(t.latitude, t.longitude, t.place_label)}")
    if not atts:
        return
    print("附件：")
    for d, a in zip(attachment_dicts(atts), atts, strict=True):
        what = tm.KIND_NAMES.get(a.kind, a.kind) + ("（办结照片）" if a.role == "result" else "")
        extra = {"pending": "正在保存", "refused": f"未保存：{a.reason}", "failed": f"未能取回：{a.reason}",
                 "purged": "已按保存期限删除"}.get(a.status, "")
        detail = d.get("location", {}).get("map") or d.get("url") or a.content_type or ""
        print(f"  {d['k']}. {what:<8} {tm.size(a.size):>8}  {a.sender_id:<12} {when(a.created_at)}  {detail} {extra}"
              .rstrip())


def _blobs(config: Config):
    from bot.fetcher import make_blob_store

    return make_blob_store(config.attachments)


def cmd_tickets_attachment(args: argparse.Namespace, config: Config) -> int:
    from storage.attachments import for_ticket
    from storage.blobs import BlobNotFound
    from storage.db import make_engine, session_factory
    from storage.models import Ticket

    with session_factory(make_engine(config.storage.url))() as s:
        if s.get(Ticket, args.number) is None:
            print(f"没有工单 #{args.number}", file=sys.stderr)
            return 1
        atts = for_ticket(s, args.number)
    if not 1 <= args.k <= len(atts):
        print(f"工单 #{args.number} 没有第 {args.k} 个附件（共 {len(atts)} 个）", file=sys.stderr)
        return 1
    a = atts[args.k - 1]
    if a.status != "stored" or not a.sha256:
        why = "位置和链接没有文件" if a.kind in ("location", "link") else f"状态 {a.status}"
        print(f"工单 #{args.number} 的第 {args.k} 个附件没有可写出的文件（{why}）", file=sys.stderr)
        return 1
    try:
        data = _blobs(config).get(a.sha256)
    except BlobNotFound:
        print(f"附件文件 {a.sha256} 不在存储中（已删除？）", file=sys.stderr)
        return 1
    if args.out == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        with open(args.out, "wb") as f:
            f.write(data)
        print(f"已写出 {args.out}（{tm.size(len(data))}，{a.content_type}）", file=sys.stderr)
    return 0


def cmd_attachments_purge(args: argparse.Namespace, config: Config) -> int:
    from bot.fetcher import purge
    from storage.db import make_engine
    from storage.types import utcnow

    days = args.days if args.days is not None else config.attachments.retention_days
    if not days:
        print("保存期限为 0（永久保存）：没有删除任何附件。用 --days N 指定。")
        return 0
    n = purge(make_engine(config.storage.url), _blobs(config), utcnow(), days)
    print(f"已删除 {n} 个已关闭超过 {days:g} 天的工单的附件文件。")
    return 0


def register(sub) -> None:
    p = sub.add_parser("attachments", help="attachment files").add_subparsers(dest="attachments_command",
                                                                            required=True)
    pg = p.add_parser("purge", help="delete files of tickets closed longer ago than retention_days")
    pg.add_argument("--days", type=float, help="instead of [attachments] retention_days")
    pg.set_defaults(func=cmd_attachments_purge)
