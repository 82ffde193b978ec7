"""Benchmark the closed loop's queries against the digest's existing summary, on the same seeded database.

Run from the repository root: ``python3 bench/bench_rates.py [N] [--url URL]`` (default 20000 tickets in a
temporary SQLite file). Prints the time of ``storage.stats.summary`` (the baseline, one aggregate query), of
``storage.rates.total`` (the three rates, overdue counts, medians), of ``rates`` per worker, and of one run of the
scheduler's loop check (``handlers.sla_jobs.check``) over the open tickets, each as a ratio to the baseline.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def best(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("n", nargs="?", type=int, default=20000)
    p.add_argument("--url")
    args = p.parse_args()

    from sqlmodel import Session

    from bot.orgsync import sync_org
    from handlers import sla_jobs
    from handlers.context import Services
    from storage import rates, stats
    from storage.db import make_engine
    from storage.migrate import upgrade
    from storage.stats import Scope
    from tests.conftest import example_config

    url = args.url or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    config = example_config(storage={"url": url})
    engine = make_engine(url)
    upgrade(engine)
    rng = random.Random(11)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    with Session(engine) as s:
        sync_org(s, config.org)
        s.commit()
        from storage.tickets import insert_tickets

        rows = []
        for i in range(args.n):
            created = now - timedelta(days=rng.uniform(0, 60))
            resp = created + timedelta(hours=rng.uniform(0, 48)) if rng.random() < 0.9 else None
            res = created + timedelta(days=rng.uniform(0, 10)) if rng.random() < 0.7 else None
            status = ("closed" if res and rng.random() < 0.7 else "resolved") if res else rng.choice(
                ["open", "accepted", "in_progress", "paused"])
            rows.append({
                "grid_id": rng.choice(["quehua-1", "fenghuang-3"]), "category": "charging", "urgent": False,
                "status": status, "level": "grid", "text": f"t{i}", "location": "", "keywords": [], "confidence": 1.0,
                "reporter_id": "zhaomin", "reporter_name": None, "channel": "bridge", "chat_id": None,
                "assignee": rng.choice(["zhangwei", "liuqiang", None]), "department": None, "duplicate_of": None,
                "rating": rng.choice([None, "satisfied", "fair", "unsatisfied"]) if status == "closed" else None,
                "version": 1, "due_at": created + timedelta(days=3), "created_at": created, "updated_at": created,
                "resolved_at": res, "closed_at": None, "respond_due_at": created + timedelta(hours=24),
                "responded_at": resp, "respond_working": False, "resolve_working": False, "paused_at": None,
                "supervised": False, "reopen_count": 0, "rating_score": None,
                "rating_due_at": res + timedelta(days=3) if res else None,
            })
        insert_tickets(s, rows)
        s.commit()
    scope = Scope("street", "daqiao")
    start, end = now - timedelta(days=30), now
    services = Services(rules=config.ticket_rules(), classifier=None)
    with Session(engine) as s:
        base = best(lambda: stats.summary(s, scope, start, end, now))
        total = best(lambda: rates.total(s, scope, start, end, now))
        by_worker = best(lambda: rates.rates(s, scope, start, end, now, by="worker"))
        first = time.perf_counter()
        sla_jobs.check(s, services, now)  # the first run enqueues what is due
        first = time.perf_counter() - first
        again = best(lambda: sla_jobs.check(s, services, now), repeat=3)  # later runs: everything already sent
        s.rollback()
    print(f"{args.n} tickets on {engine.dialect.name}")
    print(f"stats.summary (baseline)     {base * 1000:8.1f} ms  1.00x")
    print(f"rates.total                  {total * 1000:8.1f} ms  {total / base:.2f}x")
    print(f"rates per worker             {by_worker * 1000:8.1f} ms  {by_worker / base:.2f}x")
    print(f"loop check, first run        {first * 1000:8.1f} ms  {first / base:.2f}x")
    print(f"loop check, nothing new      {again * 1000:8.1f} ms  {again / base:.2f}x")
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
