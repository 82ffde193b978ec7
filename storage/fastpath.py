"""Driver-level SQL for the webhook's hot statements.

Every webhook message passes through a handful of statements (store the message, look up duplicates, add
followers, history, notices, record the reply). Through SQLAlchemy Core each execution pays for statement
construction, cache-key generation and a type processor per column per row; measured with
bench/bench_handler.py that was about a third of the writer thread's time. Here the SQL text is fixed (or
built from a count) and values are converted once, the way the column types would convert them, so rows
written here read back through the ORM exactly like rows written through it:

- timestamps: aware UTC only (as ``storage.types.UTCDateTime``); SQLite gets SQLAlchemy's naive-UTC text
  ``YYYY-MM-DD HH:MM:SS.ffffff``, PostgreSQL the aware datetime;
- JSON: ``json.dumps`` text, as SQLAlchemy's default serializer writes it (PostgreSQL casts it on insert);
- booleans, ints, text: as the driver adapts them.

Only plain SQL that both SQLite (≥ 3.35) and PostgreSQL accept; ``?`` is the placeholder in the templates
and becomes the driver's own.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection

_SQLITE_TS = "%04d-%02d-%02d %02d:%02d:%02d.%06d"
MAX_PARAMS = 30000  # per statement: under SQLite's 32766 and PostgreSQL's 65535


class Writer:
    """SQL and value conversion for one connection's dialect."""

    __slots__ = ("conn", "sqlite")

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.sqlite = conn.dialect.name == "sqlite"

    def sql(self, template: str) -> str:
        return template if self.sqlite else template.replace("?", "%s")

    def ts(self, value: datetime | None) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: store aware UTC")
        value = value.astimezone(UTC)
        if not self.sqlite:
            return value
        return _SQLITE_TS % (value.year, value.month, value.day, value.hour, value.minute, value.second,
                             value.microsecond)

    @staticmethod
    def json(value: Any) -> str:
        return json.dumps(value)

    def many(self, template: str, rows: Sequence[tuple]) -> None:
        """One executemany (no rows: nothing)."""
        if rows:
            self.conn.exec_driver_sql(self.sql(template), list(rows))

    def values(self, head: str, tail: str, rows: Sequence[tuple]) -> list[tuple]:
        """``head VALUES (?, …), (?, …) tail`` for all rows, in as few statements as the limits allow;
        the rows the statements return (RETURNING in ``tail``)."""
        if not rows:
            return []
        width = len(rows[0])
        group = "(" + ", ".join("?" * width) + ")"
        step = max(1, MAX_PARAMS // width)
        out: list[tuple] = []
        for i in range(0, len(rows), step):
            chunk = rows[i:i + step]
            sql = f"{head} VALUES {', '.join([group] * len(chunk))} {tail}"
            out.extend(self.conn.exec_driver_sql(self.sql(sql), tuple(_flat(chunk))).all())
        return out

    def query(self, template: str, params: Sequence[Any]) -> list[tuple]:
        return list(self.conn.exec_driver_sql(self.sql(template), tuple(params)).all())


def _flat(rows: Iterable[tuple]) -> Iterable[Any]:
    for row in rows:
        yield from row


def any_of(condition: str, n: int) -> str:
    """``(c) OR (c) OR …``, ``n`` times: SQLite searches an index once per term, where it would scan for a
    row-value IN list."""
    return " OR ".join([f"({condition})"] * n)
