"""Where the gridbot server's time goes under the webhook bench load (py-spy, all threads, one run).

    python3 bench/bench_webhook_profile.py [--duration 8] [--concurrency 64]

Starts the gridbot bench server (see bench_webhook.py), drives it with the same requests, samples it with
``py-spy record --threads --format raw`` and prints inclusive sample shares per function for the event-loop
thread and the pipeline writer thread.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_webhook as bw  # noqa: E402


async def main(args) -> None:
    pool = bw.make_requests(args.pool, seed=7, id_base=7 * 10**15)
    warm = bw.make_requests(2000, seed=8, id_base=8 * 10**15)
    with tempfile.TemporaryDirectory(prefix="gridbot-prof-") as tmp:
        port = bw.free_port()
        env = dict(os.environ, PYTHONPATH=str(bw.ROOT))
        proc = subprocess.Popen([sys.executable, bw.__file__, "--serve", "gridbot", "--writer", args.writer,
                                 "--port", str(port),
                                 "--db", f"sqlite:///{tmp}/p.db"], cwd=bw.ROOT, env=env)
        try:
            await bw.wait_ready(port, proc)
            url = f"http://127.0.0.1:{port}{bw.PATH}"
            await bw.drive(url, warm, args.concurrency, 2, None)
            raw = Path(tmp) / "spy.txt"
            spy = subprocess.Popen(["py-spy", "record", "--pid", str(proc.pid), "--threads",
                                    "--format", "raw", "--rate", "200",
                                    "--duration", str(int(args.duration)), "-o", str(raw)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            result = bw.Result("gridbot")
            await bw.drive(url, pool, args.concurrency, args.duration, result)
            spy.wait(timeout=60)
            print(f"gridbot under profile: {result.rps:.0f} req/s, p50 {result.pct(50):.1f} ms, "
                  f"p99 {result.pct(99):.1f} ms")
            summarize(raw.read_text(), args.top)
        finally:
            proc.terminate()
            proc.wait(timeout=15)


def summarize(raw: str, top: int) -> None:
    per_thread: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    totals: collections.Counter = collections.Counter()
    for line in raw.splitlines():
        stack, _, n = line.rpartition(" ")
        if not stack:
            continue
        frames = stack.split(";")
        thread = "writer" if "gridbot-writer" in frames[0] or "_commit_batch" in stack else "loop/other"
        count = int(n)
        totals[thread] += count
        seen = set()
        for f in frames[1:]:
            name = f.split(" (")[0] + " (" + f.split(" (")[-1].split(":")[0].rsplit("/", 2)[-1] + ")" \
                if " (" in f else f
            if name not in seen:
                per_thread[thread][name] += count
                seen.add(name)
    grand = sum(totals.values())
    for thread, c in per_thread.items():
        print(f"\n== {thread}: {totals[thread]} samples ({totals[thread] / grand:.0%} of all) ==")
        for name, n in c.most_common(top):
            print(f"{n / totals[thread]:6.1%}  {name}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=float, default=8)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--pool", type=int, default=40000)
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("--writer", choices=["thread", "process"], default="thread")
    asyncio.run(main(ap.parse_args()))
