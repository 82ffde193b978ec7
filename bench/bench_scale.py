"""Scale: WeCom callbacks at rising rates against 1, 2 and 4 workers, on PostgreSQL and SQLite, with many
existing tickets; and the cost of the hot queries as the tickets grow tenfold, with their query plans.

    python3 bench/bench_scale.py [--sizes 10000,100000] [--workers 1,2,4] [--rates 100,200,400]
                                 [--seconds 3] [--backends postgresql,sqlite]

For each backend and size a fresh database is seeded (``storage.seed``: ``gridbot seed`` does the same) at
the same rate of reports, 100,000 a year: ten times the tickets is ten times the history.

* Cost table (in this process, no HTTP): the median time of an insert (a new report handled and committed),
  the duplicate look-up, ``tickets list`` with a status and a grid filter and with a status only, a digest
  (``compose``, community scope) and ``stats.summary``; then the ratio to the previous, 10x smaller size
  (flat is 1.0x). The EXPLAIN of each query says whether an index is used (SQLite: SEARCH ... USING INDEX;
  PostgreSQL: Index/Bitmap scans, no Seq Scan on ticket).
* Load table: after the largest size is seeded, ``gridbot serve --workers N`` (thread writer per worker) is
  driven open loop at each rate for ``--seconds`` s with pre-encrypted, signed callbacks (unique MsgIds);
  achieved req/s, p50, p99, errors; and the WeCom crypto-only server at the same rates in the same run
  (the baseline: a ratio of 100 % means gridbot keeps up with the crypto alone). Every answered message is
  checked to be in the database.

The machine this ran on has 2 cores shared with other work: keep runs short; figures vary between runs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_webhook import PATH, Result, bench_config, drive_paced, free_port, make_requests  # noqa: E402

PG_ADMIN = os.environ.get("GRIDBOT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


# --- databases ----------------------------------------------------------------------------------------------------


def make_db(backend: str, tmp: Path, tag: str) -> tuple[str, callable]:
    if backend == "sqlite":
        path = tmp / f"{tag}.db"
        return f"sqlite:///{path}", lambda: None
    import psycopg
    from sqlalchemy.engine import make_url

    name = f"gridbot_bench_{tag}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(PG_ADMIN, autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False), drop


def prepare(url: str, tickets: int):
    from sqlmodel import Session

    from bot.config import CATEGORY_CODES
    from bot.orgsync import sync_org
    from storage.db import make_engine
    from storage.migrate import upgrade
    from storage.seed import seed_tickets

    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as s:
        sync_org(s, bench_config(url).org)
        s.commit()
    t0 = time.perf_counter()
    # the same rate of reports (100,000 a year over 200+ grids): a larger size is a longer history
    seed_tickets(engine, tickets, categories=CATEGORY_CODES, grids=200, days=max(14, round(tickets * 365 / 100_000)))
    if engine.dialect.name == "sqlite":
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    return engine, time.perf_counter() - t0


# --- cost of the hot queries --------------------------------------------------------------------------------------


def _median_ms(fn, n: int) -> float:
    times = []
    for i in range(n):
        t0 = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def costs(engine, url: str, reps: int) -> dict[str, float]:
    from sqlmodel import Session

    from handlers import digest
    from handlers.context import Services
    from handlers.messages import InboundMessage
    from handlers.router import handle
    from nlp import load_classifier
    from storage import stats
    from storage.stats import Scope
    from storage.tickets import list_tickets, open_duplicates

    config = bench_config(url)
    services = Services(rules=config.ticket_rules(), classifier=load_classifier())
    now = datetime.now(UTC)
    out = {}

    def insert(i: int) -> None:
        msg = InboundMessage("bridge", f"cost-{uuid.uuid4().hex}", "zhaomin", f"{900 + i}号楼门口的路灯坏了 晚上很黑",
                             datetime.now(UTC), chat_id="bridge-quehua-1")
        with Session(engine) as s:
            handle(s, msg, services)
            s.commit()

    with Session(engine) as s:
        out["insert"] = _median_ms(insert, reps)
        keys = {("quehua-1", "streetlight", f"{k}号楼") for k in range(8)}
        out["duplicate look-up"] = _median_ms(lambda i: open_duplicates(s, keys, now - timedelta(days=7)), reps)
        out["list status+grid"] = _median_ms(lambda i: list_tickets(s, status="open", grid_id="quehua-1",
                                                                    limit=50), reps)
        out["list status"] = _median_ms(lambda i: list_tickets(s, status="resolved", limit=50), reps)
        scope = Scope("community", "quehua")
        out["digest (weekly)"] = _median_ms(
            lambda i: digest.compose(s, scope, kind="weekly", end=now, now=now), reps)
        out["stats summary"] = _median_ms(
            lambda i: stats.summary(s, scope, now - timedelta(days=7), now, now), reps)
    return out


def plans(engine) -> dict[str, tuple[bool, str]]:
    """Whether each hot query's plan uses an index on ticket (and the plan's first lines)."""
    from sqlalchemy.dialects import postgresql, sqlite
    from sqlmodel import Session, col, select

    from storage import stats
    from storage.models import Ticket
    from storage.stats import Scope
    from storage.tickets import OPEN_STATUSES

    now = datetime.now(UTC)
    scope = Scope("community", "quehua")
    queries = {
        "duplicate look-up": select(Ticket.id).where(
            Ticket.grid_id == "quehua-1", Ticket.category == "streetlight", Ticket.location == "3号楼",
            col(Ticket.created_at) >= now - timedelta(days=7), col(Ticket.status).in_(OPEN_STATUSES)),
        "list status+grid": select(Ticket).where(Ticket.status == "open", Ticket.grid_id == "quehua-1")
        .order_by(col(Ticket.id).desc()).limit(50),
        "list status": select(Ticket).where(Ticket.status == "resolved").order_by(col(Ticket.id).desc()).limit(50),
        "stats: reported": select(Ticket.id).where(col(Ticket.grid_id).in_(stats.grid_ids(scope)),
                                                   col(Ticket.created_at) >= now - timedelta(days=7)),
        "stats: resolved": select(Ticket.id).where(col(Ticket.grid_id).in_(stats.grid_ids(scope)),
                                                   col(Ticket.resolved_at) >= now - timedelta(days=7)),
        "stats: open now": select(Ticket.id).where(col(Ticket.grid_id).in_(stats.grid_ids(scope)),
                                                   col(Ticket.status).in_(OPEN_STATUSES)),
    }
    out = {}
    pg = engine.dialect.name == "postgresql"
    with Session(engine) as s:
        for name, q in queries.items():
            sql = str(q.compile(dialect=postgresql.dialect() if pg else sqlite.dialect(),
                                compile_kwargs={"literal_binds": True}))
            rows = s.connection().exec_driver_sql(("EXPLAIN " if pg else "EXPLAIN QUERY PLAN ") + sql).all()
            text = " | ".join(str(r[0] if pg else r[-1]) for r in rows)
            if pg:
                ok = "Seq Scan on ticket" not in text and ("Index" in text or "Bitmap" in text)
            else:
                ok = "SCAN ticket" not in text.replace("SCAN ticket USING", "")
            out[name] = (ok, text[:160])
    return out


# --- load ---------------------------------------------------------------------------------------------------------


def serve_workers(url: str, port: int, n: int) -> None:
    import logging

    from bot.workers import serve

    logging.basicConfig(level=logging.WARNING)
    config = bench_config(url, "thread")
    config = config.model_copy(update={"limits": config.limits.model_copy(
        update={"sender_per_minute": 0, "chat_per_minute": 0})})  # the bench's residents send a lot
    sys.exit(serve(config, "127.0.0.1", port, n))


async def wait_ready(port: int, proc, n: int, timeout: float = 240) -> None:
    import aiohttp

    pids: set[int] = set()
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as http:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise SystemExit(f"server exited with {proc.returncode}")
            try:
                async with http.get(f"http://127.0.0.1:{port}/readyz") as r:
                    if r.status == 200:
                        pids.add((await r.json()).get("pid", 0))
                    if len(pids) >= n:
                        return
            except (aiohttp.ClientError, ValueError):
                pass
            await asyncio.sleep(0.2)
    raise SystemExit(f"{n} workers not ready after {timeout} s")


async def wait_healthz(port: int, proc, timeout: float = 60) -> None:
    import aiohttp

    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            try:
                async with http.get(f"http://127.0.0.1:{port}/healthz") as r:
                    if r.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise SystemExit("crypto server not ready")


def stop(proc) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


async def load(kind: str, url: str, n: int, rates: list[float], seconds: float, pools) -> list[Result]:
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    if kind == "crypto":
        cmd = [sys.executable, str(ROOT / "bench" / "bench_webhook.py"), "--serve", "crypto", "--port", str(port),
               "--db", "sqlite://"]
    else:
        cmd = [sys.executable, __file__, "--serve-workers", str(n), "--port", str(port), "--db", url]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
    results = []
    try:
        if kind == "crypto":
            await wait_healthz(port, proc)
        else:
            await wait_ready(port, proc, n)
        for rate, pool in zip(rates, pools, strict=True):
            r = Result(f"{kind}-{n}@{rate:g}")
            await drive_paced(f"http://127.0.0.1:{port}{PATH}", pool, rate, seconds, r)
            results.append(r)
    finally:
        stop(proc)
    return results


def stored(url: str) -> int:
    from sqlalchemy import text

    from storage.db import make_engine

    e = make_engine(url)
    with e.connect() as c:
        n = c.execute(text("SELECT count(*) FROM inbound WHERE channel = 'wecom_app'")).scalar()
    e.dispose()
    return n


# --- main ---------------------------------------------------------------------------------------------------------


async def main(args) -> int:
    sizes = [int(x) for x in args.sizes.split(",")]
    workers = [int(x) for x in args.workers.split(",")]
    rates = [float(x) for x in args.rates.split(",")]
    backends = args.backends.split(",")
    print(f"# bench_scale: sizes {sizes}, workers {workers}, rates {rates} req/s x {args.seconds:g} s, "
          f"backends {backends}; {os.cpu_count()} cores", flush=True)
    with tempfile.TemporaryDirectory(prefix="gridbot-scale-") as tmp:
        for backend in backends:
            print(f"\n== {backend} ==", flush=True)
            table: dict[int, dict[str, float]] = {}
            last_url, drops = None, []
            for size in sizes:
                url, drop = make_db(backend, Path(tmp), f"{backend}{size}")
                drops.append(drop)
                engine, seeded = prepare(url, size)
                print(f"seeded {size:,} tickets in {seeded:.1f} s", flush=True)
                table[size] = costs(engine, url, args.reps)
                for name, (ok, plan) in plans(engine).items():
                    print(f"  plan {name:<18} {'index' if ok else 'NO INDEX':<9} {plan}", flush=True)
                engine.dispose()
                last_url = url
            print(f"\ncost per operation, median of {args.reps} (ms), and growth per 10x tickets:")
            names = list(next(iter(table.values())))
            print(f"{'operation':<20}" + "".join(f"{s:>12,}" for s in sizes) + "   growth")
            for name in names:
                vals = [table[s][name] for s in sizes]
                growth = "  ".join(f"{b / a:.2f}x" for a, b in zip(vals, vals[1:], strict=False)) or "-"
                print(f"{name:<20}" + "".join(f"{v:>12.2f}" for v in vals) + f"   {growth}")
            if not args.no_load:
                print(f"\nload on {sizes[-1]:,} tickets, open loop, {args.seconds:g} s per rate:", flush=True)
                base = 4 * 10**15 + (0 if backend == "sqlite" else 10**14)
                rows = {}
                crypto_pools = [make_requests(int(r * args.seconds) + 10, seed=9, id_base=base) for r in rates]
                rows["crypto"] = await load("crypto", "", 1, rates, args.seconds, crypto_pools)
                answered = 0
                for k, n in enumerate(workers):
                    pools = [make_requests(int(r * args.seconds) + 10, seed=10 + k * 10 + j,
                                           id_base=base + (k * 10 + j + 1) * 10**9) for j, r in enumerate(rates)]
                    rows[f"gridbot x{n}"] = await load("gridbot", last_url, n, rates, args.seconds, pools)
                    answered += sum(len(r.latencies) for r in rows[f"gridbot x{n}"])
                print(f"{'server':<14}" + "".join(f"{f'@{r:g}/s: req/s p50 p99 ms':>30}" for r in rates))
                for name, results in rows.items():
                    cells = "".join(f"{r.rps:>12.0f}{r.pct(50):>9.1f}{r.pct(99):>9.1f}" + (
                        f"!{sum(r.errors.values())}" if r.errors else "") for r in results)
                    print(f"{name:<14}{cells}")
                for name, results in rows.items():
                    if name == "crypto":
                        continue
                    ratio = "  ".join(f"{g.rps / c.rps:6.1%}" for g, c in zip(results, rows["crypto"], strict=True))
                    print(f"{name:<14} throughput / crypto-only at the same rates: {ratio}")
                n_stored = stored(last_url)
                print(f"durability: {n_stored} callbacks stored, {answered} answered 200 "
                      f"-> {'every answered message is stored' if n_stored >= answered else 'MISSING ROWS'}")
            for drop in drops:
                drop()
    return 0


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--workers", default="1,2,4")
    ap.add_argument("--rates", default="100,200,400")
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--backends", default="postgresql,sqlite")
    ap.add_argument("--no-load", action="store_true", help="the cost table only")
    ap.add_argument("--serve-workers", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--db", help=argparse.SUPPRESS)
    return ap.parse_args(argv)


if __name__ == "__main__":
    a = parse_args()
    if a.serve_workers:
        serve_workers(a.db, a.port, a.serve_workers)
    else:
        sys.exit(asyncio.run(main(a)))
