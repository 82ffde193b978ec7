"""The console's board on 100,000 tickets: the queries one page view runs (count + one page), per filter.

    python3 bench/bench_board.py [--tickets 100000] [--db sqlite|postgresql://...] [--repeat 5]

Tickets are spread over 40 grids, 13 categories and 60 days, with texts from a small Chinese vocabulary.
Each line is the median time of a page view (count + 50 rows) and its ratio to the baseline measured in the
same run: the unfiltered first page of an admin (newest first). SQLite and PostgreSQL each make their own
throw-away database.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PLACES = ["3号楼", "5号楼", "东门", "西门", "地下车库", "中心广场", "8号楼北面", "小区花园", "2单元", "菜市场"]
THINGS = ["充电桩坏了", "垃圾桶满了", "楼道灯不亮", "乱停车堵了消防通道", "水管漏水", "电梯停了", "噪音扰民",
          "路面塌陷", "井盖松动", "树枝挡路", "广场舞太吵", "外墙脱落", "供暖不热"]
CATS = ["charging", "waste", "property", "parking", "utilities", "property", "environment", "roads", "safety",
        "environment", "environment", "safety", "utilities"]


def seed(engine, n: int) -> None:
    from sqlmodel import Session

    from storage.models import Community, Grid, Street
    from storage.tickets import insert_tickets

    rng = random.Random(12)
    now = datetime.now(UTC)
    with Session(engine) as s:
        s.add(Street(id="s1", name="大桥街道"))
        s.flush()
        for c in range(8):
            s.add(Community(id=f"c{c}", name=f"社区{c}", street_id="s1"))
        s.flush()
        for g in range(40):
            s.add(Grid(id=f"g{g}", name=f"第{g}网格", community_id=f"c{g % 8}"))
        s.commit()
        statuses = ["open", "accepted", "in_progress", "resolved", "closed", "closed", "closed"]
        for start in range(0, n, 5000):
            rows = []
            for _ in range(min(5000, n - start)):
                k = rng.randrange(len(THINGS))
                created = now - timedelta(minutes=rng.randrange(60 * 24 * 60))
                st = rng.choice(statuses)
                rows.append({
                    "grid_id": f"g{rng.randrange(40)}", "category": CATS[k], "urgent": rng.random() < 0.03,
                    "status": st, "level": "grid", "text": f"{rng.choice(PLACES)}{THINGS[k]}，好几天了没人管",
                    "location": rng.choice(PLACES), "keywords": [], "confidence": 0.9,
                    "reporter_id": f"r{rng.randrange(5000)}", "reporter_name": None, "channel": "bridge",
                    "chat_id": None, "assignee": f"w{rng.randrange(80)}" if st != "open" else None,
                    "department": None, "duplicate_of": None, "rating": None, "version": 1,
                    "due_at": created + timedelta(hours=72), "created_at": created, "updated_at": created,
                    "resolved_at": created + timedelta(hours=30) if st in ("resolved", "closed") else None,
                    "closed_at": None})
            insert_tickets(s, rows)
            s.commit()


def run(url: str, n: int, repeat: int) -> None:
    from sqlmodel import Session

    from storage import board
    from storage.db import make_engine
    from storage.migrate import upgrade

    engine = make_engine(url)
    upgrade(engine)
    t0 = time.perf_counter()
    seed(engine, n)
    print(f"  seeded {n} tickets in {time.perf_counter() - t0:.1f} s")
    now = datetime.now(UTC)
    admin = board.Access(None)
    worker = board.Access(frozenset({"g3"}), None, "w3")
    secretary = board.Access(frozenset(f"g{i}" for i in range(40) if i % 8 == 2))
    cases = [
        ("baseline: admin, first page, newest first", board.BoardFilter(), admin, 1),
        ("admin, page 1000", board.BoardFilter(), admin, 1000),
        ("admin, search 充电桩", board.BoardFilter(q="充电桩"), admin, 1),
        ("admin, search 3号楼 漏水 (two terms)", board.BoardFilter(q="3号楼 漏水"), admin, 1),
        ("admin, open + overdue, by deadline", board.BoardFilter(status="active", overdue=True, sort="due",
                                                                 desc=False), admin, 1),
        ("admin, category + date range", board.BoardFilter(category="waste", date_from=now - timedelta(days=7)),
         admin, 1),
        ("secretary (5 grids), search 电梯", board.BoardFilter(q="电梯"), secretary, 1),
        ("worker (1 grid), active", board.BoardFilter(status="active"), worker, 1),
    ]
    base = None
    for label, f, access, page in cases:
        times = []
        with Session(engine) as s:
            for _ in range(repeat):
                t = time.perf_counter()
                rows, total = board.page(s, f, access, now=now, number=page, size=50)
                times.append(time.perf_counter() - t)
        med = statistics.median(times)
        base = base or med
        print(f"  {label:<44} {med * 1000:8.1f} ms  x{med / base:5.2f}  ({total} match)")
    engine.dispose()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--tickets", type=int, default=100_000)
    p.add_argument("--db", default="sqlite")
    p.add_argument("--repeat", type=int, default=5)
    a = p.parse_args()
    if a.db == "sqlite":
        with tempfile.TemporaryDirectory() as d:
            print(f"SQLite, {a.tickets} tickets")
            run(f"sqlite:///{d}/bench.db", a.tickets, a.repeat)
        return
    import psycopg
    from sqlalchemy.engine import make_url

    name = f"gridbot_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(a.db, autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    try:
        print(f"PostgreSQL, {a.tickets} tickets")
        run(make_url(a.db).set(database=name).render_as_string(hide_password=False), a.tickets, a.repeat)
    finally:
        with psycopg.connect(a.db, autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
