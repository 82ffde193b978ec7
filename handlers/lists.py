"""The three lists of the micro-grid way of working, kept per grid and queried in chat.

``资源 药店`` / ``服务 助餐`` search the grid's resources and services (anyone in the grid's group);
``需求 …`` searches the needs list, which names residents' situations, so only staff may read it.
Staff of the grid add entries with ``添加资源 名称 联系方式 说明`` and remove them with ``删除清单 编号``;
a whole list can also be loaded with ``gridbot org import lists.csv``.
"""

from __future__ import annotations

import re

import handlers.staff  # noqa: F401  (registered first: help lists the ticket commands before the lists)
from handlers import texts
from handlers.commands import REGISTRY, Command, Invocation
from handlers.context import Context
from handlers.errors import CommandError
from handlers.messages import Reply
from handlers.permissions import LIST_KEEPER, STAFF, Rule
from storage import lists
from storage.models import Grid, ListEntry

_CONTACT = re.compile(r"^[\d+()（）\-－ ]*\d{3,}[\d+()（）\-－ ]*$")


def _grid(ctx: Context) -> Grid:
    if ctx.grid is None:
        raise CommandError("no grid for list", texts.LIST_NEEDS_GRID)
    return ctx.grid


def query(kind: str):
    def run(ctx: Context, inv: Invocation) -> Reply:
        grid = _grid(ctx)
        rows, more = lists.search(ctx.session, grid.id, kind, inv.rest, alternatives=alternatives(inv.rest))
        return Reply(texts.list_found(kind, inv.rest, [(e.id, e.name, e.contact, e.detail) for e in rows], more))

    return run


# What people call the same thing: a search for one finds entries named by another ("药店" finds "大药房").
SYNONYMS: tuple[frozenset[str], ...] = tuple(frozenset(g) for g in (
    {"药店", "药房", "大药房", "药铺", "医药"},
    {"医院", "诊所", "卫生院", "卫生站", "卫生服务站", "卫生室", "门诊"},
    {"超市", "便利店", "商店", "小卖部"},
    {"助餐", "食堂", "老年餐", "助老餐", "饭堂"},
    {"维修", "修理", "家电维修", "水电维修"},
    {"开锁", "锁匠"},
    {"快递", "驿站", "菜鸟"},
    {"理发", "美发", "理发店"},
    {"派出所", "警务室", "民警"},
    {"养老", "日间照料", "养老院", "敬老院"},
))
_SUFFIXES = ("店", "房", "铺", "馆", "站", "所", "室")


def alternatives(keyword: str) -> list[list[str]]:
    """For each word of a search: the word, its synonyms, and its stem without a shop suffix (药店 → 药)."""
    out = []
    for word in keyword.split():
        alts = {word}
        for group in SYNONYMS:
            if word in group:
                alts |= group
        if len(word) >= 2 and word.endswith(_SUFFIXES):
            alts.add(word[:-1])
        out.append(sorted(alts, key=len))
    return out


def parse_entry(rest: str) -> tuple[str, str | None, str | None]:
    """``名称 [联系方式] [说明…]``: the second word is the contact when it looks like a phone number."""
    parts = rest.split(maxsplit=2)
    name = parts[0]
    contact = detail = None
    tail = parts[1:]
    if tail and _CONTACT.match(tail[0]):
        contact = tail.pop(0)
    if tail:
        detail = " ".join(tail)
    return name, contact, detail


def add(kind: str):
    def run(ctx: Context, inv: Invocation) -> Reply:
        grid = _grid(ctx)
        LIST_KEEPER.check(ctx, grid)
        if not inv.rest:
            raise CommandError("list entry without name", texts.list_usage(kind))
        name, contact, detail = parse_entry(inv.rest)
        entry = lists.add(ctx.session, grid.id, kind, name, contact, detail)
        return Reply(texts.list_added(kind, entry.id, name))

    return run


def delete(ctx: Context, inv: Invocation) -> Reply:
    grid = _grid(ctx)
    m = re.match(r"^[\[【]?\s*(\d{1,9})\s*[\]】]?$", inv.rest)
    if m is None:
        raise CommandError("delete without number", texts.LIST_DELETE_USAGE)
    entry = ctx.session.get(ListEntry, int(m.group(1)))
    if entry is None or entry.grid_id != grid.id:
        raise CommandError("no such list entry", texts.list_missing(int(m.group(1))))
    LIST_KEEPER.check(ctx, grid)
    ctx.session.delete(entry)
    return Reply(texts.list_deleted(entry.id, entry.name))


def _register(word: str, run, allowed: Rule | None, *, summary: str = "", aliases: tuple[str, ...] = (),
              max_text: int | None = None) -> None:
    extra = {"denied_text": allowed.denied_text()} if allowed is not None else {}
    REGISTRY.add(Command(word, run, summary, aliases=aliases, allowed=allowed, text=True, max_text=max_text,
                         **extra))


_register("资源", query("resource"), None, summary=texts.HELP["资源"], aliases=("/resources",), max_text=12)
_register("服务", query("service"), None, summary=texts.HELP["服务"], aliases=("/services",), max_text=12)
_register("需求", query("need"), STAFF, summary=texts.HELP["需求"], aliases=("/needs",), max_text=12)
_register("添加资源", add("resource"), LIST_KEEPER, summary=texts.HELP["添加资源"], aliases=("/add_resource",))
_register("添加服务", add("service"), LIST_KEEPER, aliases=("/add_service",))
_register("添加需求", add("need"), LIST_KEEPER, aliases=("/add_need",))
_register("删除清单", delete, LIST_KEEPER, summary=texts.HELP["删除清单"], aliases=("/delete_entry",), max_text=12)
