"""``gridbot user set-password USERID``: a staff member's console password, read from standard input."""

from __future__ import annotations

import argparse
import getpass
import sys

from bot.config import Config


def cmd_set_password(args: argparse.Namespace, config: Config) -> int:
    from bot.console.security import PasswordRefused, set_password
    from storage.db import make_engine, session_factory

    if sys.stdin.isatty():
        password = getpass.getpass("新密码：")
        if getpass.getpass("再输入一次：") != password:
            print("两次输入的密码不一致，未修改。", file=sys.stderr)
            return 1
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    with session_factory(make_engine(config.storage.url))() as s:
        try:
            set_password(s, args.userid, password)
        except PasswordRefused as e:
            print(f"gridbot user set-password: {e}", file=sys.stderr)
            return 1
        s.commit()
    print(f"已为 {args.userid} 设置工作台密码。")
    return 0


def register(sub) -> None:
    user = sub.add_parser("user", help="console users").add_subparsers(dest="user_command", required=True)
    sp = user.add_parser("set-password", help="set a staff member's console password (read from stdin)")
    sp.add_argument("userid")
    sp.set_defaults(func=cmd_set_password)
