"""Queries and upserts on the organisation tree: street → community → grid → members and chats."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import or_
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


def grid_for_chat(session: Session, chat_id: str) -> Grid | None:
    return session.exec(select(Grid).join(GridChat).where(GridChat.chat_id == chat_id)).first()


def member(session: Session, userid: str) -> Member | None:
    return session.get(Member, userid)


def grids_served(session: Session, m: Member) -> set[str]:
    """The grids a worker or mediator serves: their own plus any extra assignments."""
    ids = {m.grid_id} if m.grid_id else set()
    ids.update(session.exec(select(MemberGrid.grid_id).where(MemberGrid.userid == m.userid)).all())
    return ids


def staff_of_grid(session: Session, grid_id: str, role: str) -> list[Member]:
    extra = select(MemberGrid.userid).where(MemberGrid.grid_id == grid_id)
    stmt = (
        select(Member)
        .where(Member.role == role, or_(Member.grid_id == grid_id, Member.userid.in_(extra)))
        .order_by(Member.userid)
    )
    return list(session.exec(stmt).all())


def chats_of_grid(session: Session, grid_id: str) -> list[str]:
    return list(session.exec(select(GridChat.chat_id).where(GridChat.grid_id == grid_id)).all())


def describe(session: Session, grid: Grid) -> str:
    """"凤凰理想社区 · 第一网格" for replies."""
    community = session.get(Community, grid.community_id)
    return f"{community.name} · {grid.name}" if community else grid.name


def street_of(session: Session, grid: Grid) -> Street | None:
    community = session.get(Community, grid.community_id)
    return session.get(Street, community.street_id) if community else None
