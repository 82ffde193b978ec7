"""Queries and upserts on the organisation tree: street → community → grid → members and chats."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import bindparam, or_
from sqlmodel import Session, select

from storage.models import Community, Grid, GridChat, Member, MemberGrid, Street


def upsert_org(
    session: Session,
    *,
    streets: Iterable[Street] = (),
    communities: Iterable[Community] = (),
    grids: Iterable[Grid] = (),
    chats: Iterable[GridChat] = (),
    members: Iterable[Member] = (),
    member_grids: Iterable[MemberGrid] = (),
) -> None:
    """Insert or update rows by primary key; rows absent from the input are kept (chat bindings made in chat)."""
    for group in (streets, communities, grids, chats, members, member_grids):
        for row in group:
            session.merge(row)
        session.flush()
    forget(session)


def _memo(session: Session, key: tuple, load):
    """Organisation lookups are memoised for the life of one session (one batch of messages): the tree
    changes rarely, and a batch asks the same questions many times. ``forget`` drops it after a change."""
    cache = session.info.setdefault("org_memo", {})
    try:
        return cache[key]
    except KeyError:
        value = cache[key] = load()
        return value


def forget(session: Session) -> None:
    session.info.pop("org_memo", None)


# Prebuilt: these run for every batch of messages, and building a statement costs more than running it.
_MEMBERS = (
    select(Member, Grid, Community)
    .outerjoin(Grid, Member.grid_id == Grid.id)
    .outerjoin(Community, Grid.community_id == Community.id)
    .where(Member.userid.in_(bindparam("ids", expanding=True)))
)
_CHATS = (
    select(GridChat.chat_id, Grid, Community)
    .join(Grid, GridChat.grid_id == Grid.id)
    .outerjoin(Community, Grid.community_id == Community.id)
    .where(GridChat.chat_id.in_(bindparam("ids", expanding=True)))
)
_STAFF = (
    select(Member)
    .where(Member.role == bindparam("role"),
           or_(Member.grid_id == bindparam("grid"),
               Member.userid.in_(select(MemberGrid.userid).where(MemberGrid.grid_id == bindparam("grid")))))
    .order_by(Member.userid)
)


def preload(session: Session, userids: Iterable[str], chat_ids: Iterable[str]) -> None:
    """Fill the memo for a whole batch of messages in two queries instead of several per message: the
    senders and the chats, each with its grid and that grid's community."""
    cache = session.info.setdefault("org_memo", {})
    users = [u for u in set(userids) if ("member", u) not in cache]
    chats = [c for c in set(chat_ids) if ("chat", c) not in cache]

    def place(grid: Grid | None, community: Community | None) -> None:
        if grid is not None:
            cache.setdefault(("grid", grid.id), grid)
            cache.setdefault(("community", grid.community_id), community)

    if users:
        found = {}
        for m, grid, community in session.exec(_MEMBERS, params={"ids": users}).all():
            found[m.userid] = m
            place(grid, community)
        for u in users:
            cache[("member", u)] = found.get(u)
    if chats:
        found_chats = {}
        for chat_id, grid, community in session.exec(_CHATS, params={"ids": chats}).all():
            found_chats[chat_id] = grid
            place(grid, community)
        for c in chats:
            cache[("chat", c)] = found_chats.get(c)


def grid_for_chat(session: Session, chat_id: str) -> Grid | None:
    return _memo(session, ("chat", chat_id), lambda: session.exec(
        select(Grid).join(GridChat).where(GridChat.chat_id == chat_id)).first())


def grid(session: Session, grid_id: str) -> Grid | None:
    return _memo(session, ("grid", grid_id), lambda: session.get(Grid, grid_id))


def member(session: Session, userid: str) -> Member | None:
    return _memo(session, ("member", userid), lambda: session.get(Member, userid))


def grids_served(session: Session, m: Member) -> set[str]:
    """The grids a worker or mediator serves: their own plus any extra assignments."""
    ids = {m.grid_id} if m.grid_id else set()
    ids.update(session.exec(select(MemberGrid.grid_id).where(MemberGrid.userid == m.userid)).all())
    return ids


def staff_of_grid(session: Session, grid_id: str, role: str) -> list[Member]:
    return _memo(session, ("staff", grid_id, role), lambda: _staff_of_grid(session, grid_id, role))


def _staff_of_grid(session: Session, grid_id: str, role: str) -> list[Member]:
    return list(session.exec(_STAFF, params={"role": role, "grid": grid_id}).all())


def chats_of_grid(session: Session, grid_id: str) -> list[str]:
    return list(session.exec(select(GridChat.chat_id).where(GridChat.grid_id == grid_id)).all())


def describe(session: Session, grid: Grid) -> str:
    """"凤凰理想社区 · 第一网格" for replies."""
    community = _memo(session, ("community", grid.community_id), lambda: session.get(Community, grid.community_id))
    return f"{community.name} · {grid.name}" if community else grid.name


def street_of(session: Session, grid: Grid) -> Street | None:
    community = session.get(Community, grid.community_id)
    return session.get(Street, community.street_id) if community else None
