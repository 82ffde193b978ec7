"""``gridbot org import FILE`` and ``gridbot org show``: manage the organisation without editing TOML by hand."""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

from bot.config import Config


def _session(config: Config):
    from storage.db import make_engine, session_factory
    from storage.migrate import upgrade

    engine = make_engine(config.storage.url)
    if config.storage.auto_migrate:
        upgrade(engine)
    return session_factory(engine)()


def cmd_org_import(args: argparse.Namespace, config: Config) -> int:
    from bot.orgimport import OrgFileError, apply_plan, load_plan

    with _session(config) as s:
        try:
            plan = load_plan(s, Path(args.file))
        except OrgFileError as e:
            print(f"没有导入任何内容，{len(e.problems)} 处问题：", file=sys.stderr)
            for p in e.problems:
                print(f"  {p}", file=sys.stderr)
            return 1
        if args.dry_run:
            print(f"检查通过（未写入）：{plan.summary()}")
            return 0
        apply_plan(s, plan)
        s.commit()
    print(f"已导入：{plan.summary()}")
    return 0


def _mask(phone: str | None) -> str:
    if not phone:
        return ""
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 8 else "****"


def org_tree(session) -> list[dict]:
    """street → community → grid → members and chats, as plain data."""
    from sqlmodel import select

    from storage.models import Community, Grid, GridChat, Member, MemberGrid, Street

    members = list(session.exec(select(Member).order_by(Member.userid)).all())
    extra: dict[str, set[str]] = defaultdict(set)
    for mg in session.exec(select(MemberGrid)).all():
        extra[mg.grid_id].add(mg.userid)
    chats: dict[str, list[str]] = defaultdict(list)
    for c in session.exec(select(GridChat).order_by(GridChat.chat_id)).all():
        chats[c.grid_id].append(c.chat_id)

    def person(m: Member) -> dict:
        d = {"userid": m.userid, "name": m.name, "role": m.role}
        if m.department:
            d["department"] = m.department
        if m.phone:
            d["phone"] = _mask(m.phone)
        return d

    tree = []
    for st in session.exec(select(Street).order_by(Street.id)).all():
        s_node = {"id": st.id, "name": st.name, "communities": [],
                  "staff": [person(m) for m in members if m.street_id == st.id and not m.community_id
                            and not m.grid_id and m.role != "department"],
                  "departments": [person(m) for m in members if m.street_id == st.id and m.role == "department"]}
        for co in session.exec(select(Community).where(Community.street_id == st.id).order_by(Community.id)).all():
            c_node = {"id": co.id, "name": co.name, "grids": [],
                      "staff": [person(m) for m in members if m.community_id == co.id and not m.grid_id]}
            for g in session.exec(select(Grid).where(Grid.community_id == co.id).order_by(Grid.id)).all():
                serving = [m for m in members if m.grid_id == g.id or m.userid in extra[g.id]]
                c_node["grids"].append({
                    "id": g.id, "name": g.name, "chats": chats[g.id], "robot": bool(g.robot_key),
                    "staff": [person(m) for m in serving if m.role != "resident"],
                    "residents": sum(1 for m in serving if m.role == "resident"),
                })
            s_node["communities"].append(c_node)
        tree.append(s_node)
    return tree


def cmd_org_show(args: argparse.Namespace, config: Config) -> int:
    from handlers.texts import ROLE_NAMES

    with _session(config) as s:
        tree = org_tree(s)
    if args.json:
        print(json.dumps(tree, ensure_ascii=False, indent=2))
        return 0
    if not tree:
        print("还没有组织架构。用 `gridbot org import 文件` 导入，或在配置文件 [org] 中填写后启动。")
        return 0

    def people(rows: list[dict]) -> str:
        return "，".join(f"{ROLE_NAMES.get(p['role'], p['role'])} {p['name']}（{p['userid']}"
                        + (f"，{p['department']}" if p.get("department") else "")
                        + (f"，{p['phone']}" if p.get("phone") else "") + "）" for p in rows)

    for st in tree:
        print(f"{st['name']}（{st['id']}）" + (f"  {people(st['staff'])}" if st["staff"] else ""))
        if st["departments"]:
            print(f"  部门：{people(st['departments'])}")
        for co in st["communities"]:
            print(f"  {co['name']}（{co['id']}）" + (f"  {people(co['staff'])}" if co["staff"] else ""))
            for g in co["grids"]:
                print(f"    {g['name']}（{g['id']}）")
                robot = "  群机器人：已配置" if g["robot"] else ""
                print(f"      群：{'、'.join(g['chats']) or '（未绑定）'}{robot}")
                if g["staff"]:
                    print(f"      {people(g['staff'])}")
                if g["residents"]:
                    print(f"      登记居民 {g['residents']} 人")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    org = sub.add_parser("org", help="the organisation: streets, communities, grids, members")
    org_sub = org.add_subparsers(dest="org_command", required=True)
    imp = org_sub.add_parser("import", help="import members (CSV), lists (CSV) or an [org] TOML file")
    imp.add_argument("file")
    imp.add_argument("--dry-run", action="store_true", help="check the file, write nothing")
    imp.set_defaults(func=cmd_org_import)
    show = org_sub.add_parser("show", help="the tree street → community → grid → members, chats")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=cmd_org_show)
