"""Backups as JSON lines: every row of every gridbot table, and back into an empty database.

``export`` writes a header line ``{"gridbot_export": 1, "revision": ..., "tables": {name: rows}}`` and then one
line per row, ``{"t": table, "r": {column: value}}``, tables in foreign-key order, rows by primary key;
timestamps as ISO 8601 UTC, JSON columns as JSON. Left out: APScheduler's job table (rebuilt from the
configuration and the announcements at start) and the leases (who runs the scheduler right now).

``load`` takes such a file into a database migrated to the same revision that holds no gridbot data yet
(refused otherwise, with the reason), in one transaction: a broken file leaves the database empty. On
PostgreSQL the id sequences are moved past the imported ids. The same file goes from SQLite to PostgreSQL
and back.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import IO, Any

from sqlalchemy import Engine, Integer, Table, func, insert, select, text
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (the tables)
from storage.migrate import current
from storage.types import UTCDateTime

FORMAT = 1
SKIPPED = {"lease", "apscheduler_jobs"}
CHUNK = 1000


class BackupError(Exception):
    """The file cannot be imported here; the message says why."""


def tables() -> list[Table]:
    return [t for t in SQLModel.metadata.sorted_tables if t.name not in SKIPPED]


def _out(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return value


def export(engine: Engine, out: IO[str]) -> dict[str, int]:
    """Write every table to ``out``; returns the rows per table."""
    ts = tables()
    with engine.connect() as conn:
        counts = {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one() for t in ts}
        header = {"gridbot_export": FORMAT, "revision": current(engine), "at": datetime.now(UTC).isoformat(),
                  "tables": counts}
        out.write(json.dumps(header, ensure_ascii=False) + "\n")
        for t in ts:
            cols = list(t.columns)
            result = conn.execution_options(stream_results=True, yield_per=CHUNK).execute(
                select(t).order_by(*t.primary_key.columns))
            for row in result:
                out.write(json.dumps({"t": t.name, "r": {c.name: _out(v) for c, v in zip(cols, row, strict=True)}},
                                     ensure_ascii=False) + "\n")
    return counts


def _lines(src: IO[str]) -> Iterator[tuple[int, dict]]:
    for n, line in enumerate(src, 1):
        if not line.strip():
            continue
        try:
            yield n, json.loads(line)
        except json.JSONDecodeError as e:
            raise BackupError(f"line {n}: not JSON: {e}") from None


def load(engine: Engine, src: IO[str]) -> dict[str, int]:
    """Import a file written by ``export``; returns the rows per table."""
    lines = _lines(src)
    try:
        _, header = next(lines)
    except StopIteration:
        raise BackupError("empty file") from None
    if not isinstance(header, dict) or header.get("gridbot_export") != FORMAT:
        raise BackupError("line 1: not a gridbot export (format 1)")
    here = current(engine)
    if header.get("revision") != here:
        raise BackupError(f"the file is at schema revision {header.get('revision')}, this database at {here}: "
                          f"bring both to the same revision (gridbot db upgrade) first")
    by_name = {t.name: t for t in tables()}
    times = {name: {c.name for c in t.columns if isinstance(c.type, UTCDateTime)} for name, t in by_name.items()}
    counts = dict.fromkeys(by_name, 0)
    with engine.begin() as conn:
        busy = [t.name for t in by_name.values() if conn.execute(select(func.count()).select_from(t)).scalar_one()]
        if busy:
            raise BackupError(f"the database already holds data ({', '.join(busy)}): import into an empty one")
        pending: list[dict] = []
        table: str | None = None

        def flush() -> None:
            if pending:
                conn.execute(insert(by_name[table]), pending)
                pending.clear()

        for n, rec in lines:
            name, row = (rec.get("t"), rec.get("r")) if isinstance(rec, dict) else (None, None)
            if name not in by_name or not isinstance(row, dict):
                raise BackupError(f"line {n}: not a row of a gridbot table")
            if name != table:
                flush()
                table = name
            try:
                for c in times[name]:
                    if row.get(c) is not None:
                        row[c] = datetime.fromisoformat(row[c])
            except (TypeError, ValueError) as e:
                raise BackupError(f"line {n}: bad timestamp: {e}") from None
            pending.append(row)
            counts[name] += 1
            if len(pending) >= CHUNK:
                flush()
        flush()
        expected = header.get("tables") or {}
        short = [f"{k} {counts.get(k, 0)} of {v}" for k, v in expected.items() if k in counts and counts[k] != v]
        if short:  # a truncated file: the transaction rolls back, nothing is imported
            raise BackupError(f"the file ends early: {', '.join(short)} rows")
        if engine.dialect.name == "postgresql":
            for t in by_name.values():
                if "id" in t.columns and isinstance(t.columns["id"].type, Integer) and counts[t.name]:
                    conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{t.name}', 'id'), "
                                      f"(SELECT max(id) FROM {t.name}))"))
    return counts
