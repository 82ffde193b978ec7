"""Synthetic tickets for load tests: ``gridbot seed --tickets 1000000`` (never on a real database).

Tickets spread over ``grids`` synthetic grids (in communities of ten, in one street "seed") and over the grids
already in the database (a twentieth of them each at most, so the grids a load test talks to hold many
tickets too), over the past ``days`` days; what is older than a fortnight is closed (or resolved, awaiting a rating),
the last fortnight's tickets are partly still open, as a district's history looks. Each ticket gets its
"opened" event. Rows go in with one executemany per chunk.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import Engine, select
from sqlmodel import Session

from storage.fastpath import Writer
from storage.models import Grid
from storage.types import utcnow

CHUNK = 5000
_T_COLS = ("grid_id", "category", "urgent", "status", "level", "text", "location", "keywords", "confidence",
           "reporter_id", "reporter_name", "channel", "chat_id", "assignee", "department", "duplicate_of", "rating",
           "version", "due_at", "created_at", "updated_at", "resolved_at", "closed_at")
STATUSES = (("closed", 0.78), ("resolved", 0.06), ("open", 0.08), ("accepted", 0.05), ("in_progress", 0.03))


def _grids(engine: Engine, n: int) -> list[str]:
    with Session(engine) as s:
        existing = list(s.scalars(select(Grid.id).where(Grid.id.not_like("seed-%"))))
        w = Writer(s.connection())
        w.many("INSERT INTO street (id, name) VALUES (?, ?) ON CONFLICT DO NOTHING", [("seed", "压测街道")])
        w.many("INSERT INTO community (id, name, street_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
               [(f"seed-c{c}", f"压测社区{c}", "seed") for c in range((n + 9) // 10)])
        w.many("INSERT INTO grid (id, name, community_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
               [(f"seed-g{g}", f"压测网格{g}", f"seed-c{g // 10}") for g in range(n)])
        s.commit()
    return existing + [f"seed-g{g}" for g in range(n)]


def seed_tickets(engine: Engine, n: int, *, categories: Sequence[str], grids: int = 200, days: int = 365,
                 seed: int = 1) -> int:
    rnd = random.Random(seed)
    ids = _grids(engine, grids)
    existing = [g for g in ids if not g.startswith("seed-")]
    share = 1 / 20 if existing else 0  # each real grid gets a twentieth, the rest spread over synthetic ones
    now = utcnow()
    statuses, weights = zip(*STATUSES, strict=True)
    done = 0
    while done < n:
        size = min(CHUNK, n - done)
        rows, events = [], []
        for _ in range(size):
            r = rnd.random()
            grid = existing[int(r / share)] if r < share * len(existing) else ids[rnd.randrange(len(ids))]
            created = now - timedelta(seconds=rnd.uniform(0, days * 86400))
            # open work is recent: what was reported more than a fortnight ago has been handled since
            status = rnd.choices(statuses, weights)[0] if created > now - timedelta(days=14) else (
                "closed" if rnd.random() < 0.93 else "resolved")
            resolved = created + timedelta(hours=rnd.uniform(1, 96)) if status in ("resolved", "closed") else None
            closed = resolved + timedelta(hours=rnd.uniform(1, 72)) if status == "closed" else None
            cat = categories[rnd.randrange(len(categories))]
            rows.append((grid, cat, rnd.random() < 0.03, status, "grid", f"压测工单 {cat}", f"{rnd.randrange(400)}号楼",
                         '["压测"]', 0.9, f"seed-r{rnd.randrange(50000)}", None, "bridge", None, None, None, None,
                         rnd.choice((None, "satisfied", "fair")) if status == "closed" else None, 1,
                         created + timedelta(hours=72), created, closed or resolved or created, resolved, closed))
        with Session(engine) as s:
            w = Writer(s.connection())
            conv = [(*r[:18], w.ts(r[18]), w.ts(r[19]), w.ts(r[20]), w.ts(r[21]), w.ts(r[22])) for r in rows]
            first = s.connection().exec_driver_sql("SELECT coalesce(max(id), 0) FROM ticket").scalar()
            w.many(f"INSERT INTO ticket ({', '.join(_T_COLS)}) VALUES ({', '.join('?' * len(_T_COLS))})", conv)
            numbers = [i for (i,) in w.query("SELECT id FROM ticket WHERE id > ? ORDER BY id", [first])]
            for number, r in zip(numbers, conv, strict=True):
                events.append((number, r[19], r[9], "opened", None, "open", None, True))
            w.many("INSERT INTO ticket_event (ticket_id, at, actor, kind, old_status, new_status, text, public)"
                   " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", events)
            s.commit()
        done += size
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE ticket")
            conn.exec_driver_sql("ANALYZE ticket_event")
    return done
