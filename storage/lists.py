"""The micro-grid's three lists (需求清单, 资源清单, 服务清单): per grid, searched by keyword."""

from __future__ import annotations

from sqlalchemy import or_
from sqlmodel import Session, col, func, select

from storage.models import ListEntry

KINDS = ("need", "resource", "service")


def search(session: Session, grid_id: str, kind: str, keyword: str = "", limit: int = 10, *,
           alternatives: list[list[str]] | None = None) -> tuple[list[ListEntry], int]:
    """Entries of one grid and kind whose name, detail or contact contain every word of ``keyword`` — or,
    with ``alternatives``, one of each group of words (a word and its synonyms)."""
    where = [ListEntry.grid_id == grid_id, ListEntry.kind == kind]
    groups = alternatives if alternatives is not None else [[w] for w in keyword.split()]
    for words in groups:
        where.append(or_(*(c.like(f"%{w}%") for w in words
                           for c in (col(ListEntry.name), col(ListEntry.detail), col(ListEntry.contact)))))
    rows = list(session.exec(select(ListEntry).where(*where).order_by(col(ListEntry.id)).limit(limit)).all())
    total = session.exec(select(func.count()).select_from(ListEntry).where(*where)).one()
    return rows, max(0, total - len(rows))


def add(session: Session, grid_id: str, kind: str, name: str, contact: str | None = None,
        detail: str | None = None) -> ListEntry:
    entry = ListEntry(grid_id=grid_id, kind=kind, name=name, contact=contact, detail=detail)
    session.add(entry)
    session.flush()
    return entry


def of_grid(session: Session, grid_id: str | None = None) -> list[ListEntry]:
    stmt = select(ListEntry)
    if grid_id:
        stmt = stmt.where(ListEntry.grid_id == grid_id)
    return list(session.exec(stmt.order_by(col(ListEntry.grid_id), col(ListEntry.kind), col(ListEntry.id))).all())
