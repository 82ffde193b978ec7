"""The pipeline writer's work alone: ``handle_batch`` + commit, no HTTP, no crypto, no event loop.

    python3 bench/bench_handler.py [--messages 6000] [--batch 30] [--db sqlite|postgresql://...]
                                   [--no-classify] [--profile]

Same organisation and messages as bench_webhook.py (example config + 200 residents, dev corpus texts, 25 %
chatter, 1:1 app messages). In the webhook server this work shares the GIL with the event loop, so its
microseconds per message bound the server's throughput. ``--no-classify`` memoises the classifier (each
text classified once, before timing) to show the handler and database share alone; ``--profile`` prints a
cProfile of the timed part.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import pstats
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_webhook as bw  # noqa: E402


class _Memo:
    """A classifier that remembers its answers (filled before timing; a clarification's combined text may
    still miss once)."""

    def __init__(self, inner, texts) -> None:
        self._inner = inner
        self._table = {t: inner.classify(t) for t in texts}

    def classify(self, text: str):
        c = self._table.get(text)
        if c is None:
            c = self._table[text] = self._inner.classify(text)
        return c


def make_messages(n: int, seed: int):
    from handlers.messages import InboundMessage

    rng = random.Random(seed)
    texts, chatter = bw.load_texts()
    now = datetime.now(UTC)
    out = []
    for i in range(n):
        text = rng.choice(chatter if rng.random() < bw.CHATTER_SHARE else texts)
        sender = "zhaomin" if rng.random() < 0.05 else f"bench{rng.randrange(bw.RESIDENTS):04d}"
        out.append(InboundMessage("wecom_app", f"h{seed}-{i}", sender, text, now))
    return out


@contextlib.contextmanager
def scratch_database(db: str, tmp: str):
    """A fresh database for one run: a SQLite file in ``tmp``, or on a PostgreSQL server (``db`` names the
    server's admin database) a database of its own that is dropped afterwards."""
    if db == "sqlite":
        yield f"sqlite:///{tmp}/h.db"
        return
    import uuid

    import psycopg
    from sqlalchemy.engine import make_url

    name = f"gridbot_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(db).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(db, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main(args) -> None:
    from bot.orgsync import sync_org
    from handlers.context import Services
    from handlers.messages import MENTIONS
    from handlers.router import handle_batch
    from nlp import load_classifier
    from storage.db import make_engine, session_factory
    from storage.migrate import upgrade

    with tempfile.TemporaryDirectory(prefix="gridbot-hb-") as tmp, scratch_database(args.db, tmp) as url:
        config = bw.bench_config(url)
        engine = make_engine(url)
        upgrade(engine)
        sessions = session_factory(engine)
        with sessions() as s:
            sync_org(s, config.org)
            s.commit()
        warm, msgs = make_messages(600, seed=1), make_messages(args.messages, seed=args.seed)
        classifier = load_classifier(config.nlp.rules, config.nlp.userdict)
        if args.no_classify:
            classifier = _Memo(classifier, {MENTIONS.sub("", m.text).strip() for m in warm + msgs})
        rules = config.ticket_rules()
        if args.no_attachments:  # the attach rules off: what they cost text messages
            import dataclasses

            rules = dataclasses.replace(rules, attachments=False)
        services = Services(rules=rules, classifier=classifier)

        def run(batch_msgs) -> None:
            for i in range(0, len(batch_msgs), args.batch):
                with sessions() as session:
                    handle_batch(session, batch_msgs[i:i + args.batch], services)
                    session.commit()

        run(warm)
        prof = cProfile.Profile() if args.profile else None
        t0, c0 = time.perf_counter(), time.process_time()
        if prof:
            prof.enable()
        run(msgs)
        if prof:
            prof.disable()
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        with engine.connect() as conn:  # what the messages did, to compare runs: not only fast, also the same
            counts = conn.exec_driver_sql(
                "SELECT (SELECT count(*) FROM ticket), (SELECT count(*) FROM inbound WHERE reply IS NOT NULL),"
                " (SELECT count(*) FROM outbox)").one()
            if args.dump:
                rows = conn.exec_driver_sql("SELECT msg_id, ticket_id, reply FROM inbound ORDER BY id").all()
                Path(args.dump).write_text("".join(f"{m}\t{t}\t{r!r}\n" for m, t, r in rows), encoding="utf-8")
        engine.dispose()
    n = len(msgs)
    print(f"{n} messages in batches of {args.batch} on {args.db.split(':')[0]}"
          f"{' (classifier memoised)' if args.no_classify else ''}: {n / wall:,.0f} msgs/s, "
          f"{wall / n * 1e6:.0f} µs/msg wall, {cpu / n * 1e6:.0f} µs/msg CPU")
    print(f"  (warm-up included) tickets {counts[0]}, replies {counts[1]}, notices {counts[2]}")
    if prof:
        pstats.Stats(prof).sort_stats(args.sort).print_stats(args.top)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=6000)
    ap.add_argument("--batch", type=int, default=30)
    ap.add_argument("--db", default="sqlite")
    ap.add_argument("--seed", type=int, default=2)
    ap.add_argument("--dump", help="write every message's ticket and reply to this file (to diff two versions)")
    ap.add_argument("--no-classify", action="store_true")
    ap.add_argument("--no-attachments", action="store_true", help="attach rules off ([attachments] enabled=false)")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--sort", default="tottime")
    ap.add_argument("--top", type=int, default=40)
    main(ap.parse_args())
