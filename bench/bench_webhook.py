"""Webhook throughput and latency: bare aiohttp vs WeCom crypto only vs the full gridbot app.

    python3 bench/bench_webhook.py [--duration 10] [--concurrency 64] [--warmup 2]

One run starts three servers, each in its own subprocess on a loopback port, and drives them one after the
other from this process (an aiohttp client, ``--concurrency`` connections) with the same pre-encrypted,
signed WeCom app callbacks (unique MsgIds, texts from /work/shared/corpus/dev.jsonl, about 25 % chatter):

  bare     an aiohttp handler that reads the body and answers "success";
  crypto   ``WecomAppAdapter`` only: verify, decrypt, defused XML parse, encrypted passive reply;
  gridbot  ``bot.app.create_app`` on a fresh SQLite file (WAL, synchronous=FULL: a reply follows the commit).

Each server gets a warm-up, then a fixed duration (bounded by the request pool). Prints requests/s, p50, p99,
the ratios, the pipeline's batch statistics, and checks that every answered gridbot message is in the
database.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import logging
import os
import random
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CORPUS = ROOT.parent / "shared" / "corpus" / "dev.jsonl"
PATH = "/wecom/callback"
CHATTER_SHARE = 0.25
RESIDENTS = 200  # bench residents added to the example organisation, spread over its grids


# --- configuration shared by the servers and the driver -----------------------------------------------------


def bench_config(db_url: str, writer: str = "thread"):
    from bot.config import parse_config

    data = tomllib.loads((ROOT / "config.example.toml").read_text(encoding="utf-8"))
    data["storage"]["url"] = db_url
    data["server"]["writer"] = writer
    data["wecom"]["replay_window_seconds"] = 0
    data["wecom"]["api_base"] = "http://127.0.0.1:9"  # never the real WeCom API from a bench
    data["limits"] = {"sender_per_minute": 0, "chat_per_minute": 0}  # 200 residents send thousands a second
    for section in ("outbox", "scheduler"):  # background pushes are not the webhook path: measured elsewhere
        if section in data:
            data[section]["enabled"] = False
    grids = [g["id"] for g in data["org"]["grids"]]
    data["org"]["members"] += [
        {"userid": f"bench{i:04d}", "name": f"居民{i}", "role": "resident", "grid": grids[i % len(grids)]}
        for i in range(RESIDENTS)
    ]
    return parse_config(data, "bench-config")


# --- servers (run as ``--serve KIND``) ---------------------------------------------------------------------


def serve(kind: str, port: int, db_url: str, writer: str = "thread") -> None:
    from aiohttp import web

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s %(message)s")
    config = bench_config(db_url, writer)

    async def healthz(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    if kind == "bare":
        async def bare(request: web.Request) -> web.Response:
            await request.read()
            return web.Response(text="success")

        app = web.Application(client_max_size=config.server.max_body_bytes)
        app.router.add_post(PATH, bare)
        app.router.add_get("/healthz", healthz)
    elif kind == "crypto":
        from bot.app import errors_middleware
        from bot.channels.wecom_app import WecomAppAdapter
        from handlers.messages import Reply

        w = config.wecom
        adapter = WecomAppAdapter(token=w.token, encoding_aes_key=w.encoding_aes_key, corp_id=w.corp_id,
                                  replay_window=0)

        async def crypto_only(request: web.Request) -> web.Response:
            msg, state = await adapter.receive(request, await request.read())
            if msg is None:
                return adapter.respond(Reply.silent(), state)
            return adapter.respond(Reply(f"已收到：{msg.text[:40]}"), state)

        app = web.Application(client_max_size=config.server.max_body_bytes, middlewares=[errors_middleware])
        app.router.add_post(PATH, crypto_only)
        app.router.add_get("/healthz", healthz)
    elif kind == "gridbot":
        from bot import gctune
        from bot.app import PIPELINE, create_app

        app = create_app(config)
        app.on_startup.append(gctune.on_startup)  # as `gridbot serve` does

        async def stats(request: web.Request) -> web.Response:
            p = request.app[PIPELINE]
            return web.json_response({"batches": p.batches, "messages": p.messages})

        app.router.add_get("/_bench/stats", stats)
    else:
        raise SystemExit(f"unknown server kind {kind}")
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None, handle_signals=True)


# --- requests -----------------------------------------------------------------------------------------------


@dataclass
class Request:
    query: dict[str, str]
    body: bytes
    chatter: bool


def load_texts() -> tuple[list[str], list[str]]:
    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    chatter = [r["text"] for r in rows if r["label"] == "none"]
    requests = [r["text"] for r in rows if r["label"] != "none"]
    return requests, chatter


def make_requests(n: int, seed: int, id_base: int) -> list[Request]:
    """``n`` callbacks as WeCom would send them, encrypted and signed with the example config's app keys."""
    from bot.channels.wecom_crypto import WecomCrypto

    w = bench_config("sqlite://").wecom
    crypto = WecomCrypto(w.token, w.encoding_aes_key, w.corp_id)
    rng = random.Random(seed)
    texts, chatter = load_texts()
    now = int(time.time())
    out = []
    for i in range(n):
        is_chatter = rng.random() < CHATTER_SHARE
        text = rng.choice(chatter if is_chatter else texts)
        sender = "zhaomin" if rng.random() < 0.05 else f"bench{rng.randrange(RESIDENTS):04d}"
        inner = (f"<xml><ToUserName><![CDATA[{w.corp_id}]]></ToUserName>"
                 f"<FromUserName><![CDATA[{sender}]]></FromUserName><CreateTime>{now}</CreateTime>"
                 f"<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{text}]]></Content>"
                 f"<MsgId>{id_base + i}</MsgId><AgentID>{w.agent_id}</AgentID></xml>")
        ts, nonce = str(now), str(rng.randrange(10**9))
        enc, sig = crypto.encrypt(inner, nonce, ts)
        body = (f"<xml><ToUserName><![CDATA[{w.corp_id}]]></ToUserName><Encrypt><![CDATA[{enc}]]></Encrypt>"
                f"<AgentID><![CDATA[{w.agent_id}]]></AgentID></xml>").encode()
        out.append(Request({"msg_signature": sig, "timestamp": ts, "nonce": nonce}, body, is_chatter))
    return out


# --- driver -------------------------------------------------------------------------------------------------


@dataclass
class Result:
    name: str
    latencies: list[float] = field(default_factory=list)
    errors: dict[int, int] = field(default_factory=dict)
    elapsed: float = 0.0
    replied: int = 0  # answers with a body (an encrypted passive reply or "success")

    @property
    def answered(self) -> int:
        return len(self.latencies)

    @property
    def rps(self) -> float:
        return self.answered / self.elapsed if self.elapsed else 0.0

    def pct(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        s = sorted(self.latencies)
        return s[min(len(s) - 1, int(p / 100 * len(s)))] * 1000


async def drive(url: str, pool: list[Request], concurrency: int, duration: float, result: Result | None,
                *, cycle: bool = False) -> int:
    """Send requests from ``pool`` with ``concurrency`` workers for ``duration`` s, or until the pool is
    used up (``cycle``: reuse it, for servers that keep no state)."""
    import aiohttp

    it = itertools.cycle(pool) if cycle else iter(pool)
    sent = 0
    deadline = time.perf_counter() + duration
    conn = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    async with aiohttp.ClientSession(connector=conn, timeout=aiohttp.ClientTimeout(total=30)) as session:
        async def worker() -> None:
            nonlocal sent
            while time.perf_counter() < deadline:
                req = next(it, None)
                if req is None:
                    return
                t0 = time.perf_counter()
                async with session.post(url, params=req.query, data=req.body) as resp:
                    body = await resp.read()
                    status = resp.status
                dt = time.perf_counter() - t0
                sent += 1
                if result is None:
                    continue
                if status == 200:
                    result.latencies.append(dt)
                    result.replied += bool(body)
                else:
                    result.errors[status] = result.errors.get(status, 0) + 1

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        if result is not None:
            result.elapsed = time.perf_counter() - t0
    return sent


async def drive_paced(url: str, pool: list[Request], rate: float, duration: float, result: Result) -> None:
    """Open loop: start one request every 1/``rate`` s whatever the answers do, for ``duration`` s.

    At saturation (``drive``) latency is set by the queue (Little's law: 64 in flight / throughput); this is
    the latency a resident sees at a given load below it."""
    import aiohttp

    it = iter(pool)
    conn = aiohttp.TCPConnector(limit=1024)
    async with aiohttp.ClientSession(connector=conn, timeout=aiohttp.ClientTimeout(total=30)) as session:
        async def one(req: Request) -> None:
            t0 = time.perf_counter()
            async with session.post(url, params=req.query, data=req.body) as resp:
                await resp.read()
                status = resp.status
            if status == 200:
                result.latencies.append(time.perf_counter() - t0)
            else:
                result.errors[status] = result.errors.get(status, 0) + 1

        tasks = []
        start = time.perf_counter()
        n = int(rate * duration)
        for i in range(n):
            req = next(it, None)
            if req is None:
                break
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(req)))
        await asyncio.gather(*tasks)
        result.elapsed = time.perf_counter() - start


WRK_SCRIPT = r"""
local reqs, n = {}, 0
init = function(args)
  local f = assert(io.open(args[1], "rb")); local data = f:read("*a"); f:close()
  for path, body in string.gmatch(data, "([^\1\2]*)\2([^\1]*)\1") do
    reqs[#reqs + 1] = wrk.format("POST", path, {["Content-Type"] = "text/xml"}, body)
  end
end
request = function()
  n = n + 1
  if n > #reqs then n = 1 end  -- a stateful server then sees retries: the pool is sized so this does not happen
  return reqs[n]
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK %d %d %d %d %d %d %d %d\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), latency.max, e.status, e.connect + e.read + e.write,
    e.timeout))
end
"""


class WrkResult(Result):
    """Figures as wrk reports them (its latency histogram), for the saturation phase."""

    def __init__(self, name: str, requests: int, seconds: float, p50_us: int, p99_us: int, max_us: int,
                 errors: dict) -> None:
        super().__init__(name, errors=errors, elapsed=seconds)
        self._count, self._p = requests, {50: p50_us / 1000, 99: p99_us / 1000, 100: max_us / 1000}

    @property
    def answered(self) -> int:
        return self._count

    def pct(self, p: float) -> float:
        return self._p[int(p)]


async def drive_wrk(base: str, pool: list[Request], concurrency: int, duration: float, name: str,
                    tmp: str) -> WrkResult:
    """Saturate with wrk (C, one thread, ``concurrency`` connections): a load generator that leaves the
    second core to the server, as in the brief's reference figures."""
    from urllib.parse import urlencode

    data = Path(tmp) / f"{name}.reqs"
    with data.open("wb") as f:
        for r in pool:
            f.write(f"{PATH}?{urlencode(r.query)}".encode() + b"\x02" + r.body + b"\x01")
    script = Path(tmp) / "bench.lua"
    script.write_text(WRK_SCRIPT)
    proc = await asyncio.create_subprocess_exec(
        "wrk", "-t1", f"-c{concurrency}", f"-d{duration:g}s", "--latency", "-s", str(script), base, "--",
        str(data), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await proc.communicate()
    line = next((x for x in out.decode().splitlines() if x.startswith("WRK ")), None)
    if line is None:
        raise SystemExit(f"wrk failed:\n{out.decode()}")
    n, dur_us, p50, p99, mx, status, sock, timeout = map(int, line.split()[1:])
    errors = {k: v for k, v in {"non-2xx": status, "socket": sock, "timeout": timeout}.items() if v}
    return WrkResult(name, n, dur_us / 1e6, p50, p99, mx, errors)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def wait_ready(port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    import aiohttp

    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise SystemExit(f"server on port {port} exited with {proc.returncode}")
            try:
                async with session.get(f"http://127.0.0.1:{port}/healthz") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit(f"server on port {port} not ready after {timeout} s")


async def stats(port: int) -> dict | None:
    import aiohttp

    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{port}/_bench/stats") as resp:
                return await resp.json() if resp.status == 200 else None
    except aiohttp.ClientError:
        return None


async def run_one(kind: str, args, pool: list[Request], warm: list[Request],
                  db_url: str) -> tuple[Result, dict]:
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, __file__, "--serve", kind, "--port", str(port), "--db", db_url,
                             "--writer", args.writer], cwd=ROOT, env=env)
    extra: dict = {}
    try:
        await wait_ready(port, proc)
        url = f"http://127.0.0.1:{port}{PATH}"
        stateless = kind != "gridbot"
        extra["warmup"] = await drive(url, warm, args.concurrency, args.warmup, None, cycle=stateless)
        before = await stats(port)
        if args.client == "wrk":
            with tempfile.TemporaryDirectory(prefix="gridbot-wrk-") as tmp:
                result = await drive_wrk(f"http://127.0.0.1:{port}", pool, args.concurrency, args.duration, kind,
                                         tmp)
            used = result.answered
        else:
            result = Result(kind)
            await drive(url, pool, args.concurrency, args.duration, result, cycle=stateless)
            used = len(result.latencies) + sum(result.errors.values())
        if not stateless and used >= len(pool):
            print(f"  note: the pool of {len(pool)} requests ran out before {args.duration:g} s", flush=True)
        if args.rate:
            paced = Result(kind)
            rest = pool[used + args.concurrency:] if not stateless else pool
            await drive_paced(url, rest, args.rate, args.paced_duration, paced)
            extra["paced"] = paced
        after = await stats(port)
        if before and after:
            b, m = after["batches"] - before["batches"], after["messages"] - before["messages"]
            extra["batches"] = {"batches": b, "messages": m, "mean_batch": m / b if b else 0.0}
        return result, extra
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def durable_rows(db_path: Path) -> int:
    with sqlite3.connect(db_path) as db:
        return db.execute("SELECT count(*) FROM inbound WHERE channel = 'wecom_app'").fetchone()[0]


async def main(args) -> int:
    print(f"building {args.pool} pre-encrypted requests per server ...", flush=True)
    t0 = time.perf_counter()
    shared = make_requests(args.pool, seed=1, id_base=10**15)  # bare and crypto keep no state: reused
    unique = make_requests(args.pool, seed=2, id_base=2 * 10**15)
    pools = {"bare": shared, "crypto": shared, "gridbot": unique}
    gridbot_warm = make_requests(max(args.concurrency * 40, 1000), seed=3, id_base=3 * 10**15)
    warm = {"bare": shared, "crypto": shared, "gridbot": gridbot_warm}
    chatter = sum(r.chatter for r in pools["gridbot"]) / len(pools["gridbot"])
    print(f"  done in {time.perf_counter() - t0:.1f} s; chatter share {chatter:.0%}", flush=True)

    results: dict[str, Result] = {}
    extras: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="gridbot-bench-") as tmp:
        db_path = Path(tmp) / "bench.db"
        db_url = f"sqlite:///{db_path}"
        for kind in ("bare", "crypto", "gridbot"):
            print(f"{kind}: warm-up {args.warmup:g} s, then {args.duration:g} s "
                  f"at {args.concurrency} connections",
                  flush=True)
            results[kind], extras[kind] = await run_one(kind, args, pools[kind], warm[kind], db_url)
        stored = durable_rows(db_path)

    print()
    print(f"{'server':<9}{'requests':>10}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}"
          f"{'replies':>9}  errors")
    for kind, r in results.items():
        mx = r.pct(100) if r.answered else float("nan")
        replied = "-" if isinstance(r, WrkResult) else r.replied
        print(f"{kind:<9}{r.answered:>10}{r.rps:>10.0f}{r.pct(50):>9.2f}{r.pct(99):>9.2f}{mx:>9.1f}"
              f"{replied:>9}  {r.errors or '-'}")
    if args.rate:
        print()
        print(f"paced at {args.rate:g} req/s for {args.paced_duration:g} s (open loop):")
        for kind in results:
            pr = extras[kind]["paced"]
            print(f"  {kind:<9}{len(pr.latencies):>8} answered  p50 {pr.pct(50):7.2f} ms  p99 {pr.pct(99):7.2f} ms"
                  f"  {pr.errors or ''}")
    bare, crypto, grid = results["bare"], results["crypto"], results["gridbot"]
    print()
    print(f"crypto / bare     throughput {crypto.rps / bare.rps:6.1%}")
    ratio = grid.rps / crypto.rps
    verdict = "met" if ratio >= 0.5 else "NOT met"
    print(f"gridbot / crypto  throughput {ratio:6.1%}   (target >= 50 %: {verdict}; writer: {args.writer})")
    p99 = grid.pct(99)
    print(f"gridbot p99 {p99:.1f} ms on SQLite at saturation ({args.concurrency} connections)")
    if args.rate:
        pp99 = extras["gridbot"]["paced"].pct(99)
        print(f"gridbot p99 {pp99:.1f} ms on SQLite paced at {args.rate:g} req/s "
              f"(target < 50 ms: {'met' if pp99 < 50 else 'NOT met'})")
    b = extras["gridbot"].get("batches")
    if b:
        print(f"pipeline: {b['messages']} messages in {b['batches']} commits, "
              f"mean batch {b['mean_batch']:.1f}")
    answered = grid.answered + extras["gridbot"].get("warmup", 0)
    if args.rate:
        answered += len(extras["gridbot"]["paced"].latencies)
    print(f"durability: {stored} inbound rows in SQLite after {answered} gridbot requests (warm-up included)"
          f" -> {'every answered message is stored' if stored >= answered else 'MISSING ROWS'}")
    if args.json:
        figures = {k: {"requests": r.answered, "rps": r.rps, "p50_ms": r.pct(50), "p99_ms": r.pct(99),
                       "errors": r.errors} for k, r in results.items()}
        print(json.dumps(figures | {"pipeline": b}))
    return 0


def parse_args(argv: list[str] | None = None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=float, default=10.0, help="measured seconds per server")
    ap.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds per server")
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--pool", type=int, default=60000,
                    help="unique pre-encrypted requests (bounds the gridbot run)")
    ap.add_argument("--rate", type=float, default=500.0,
                    help="then an open-loop phase at this many req/s (0: skip) for the latency a resident sees")
    ap.add_argument("--paced-duration", type=float, default=5.0)
    ap.add_argument("--json", action="store_true", help="also print the figures as one JSON line")
    ap.add_argument("--client", choices=["aiohttp", "wrk"], default="aiohttp",
                    help="load generator for the saturation phase (wrk: apt-get install wrk)")
    ap.add_argument("--writer", choices=["thread", "process"], default="thread",
                    help="gridbot's [server] writer: handling on a thread of the server, or in a child process")
    ap.add_argument("--serve", choices=["bare", "crypto", "gridbot"], help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--db", help=argparse.SUPPRESS)
    return ap.parse_args(argv)


if __name__ == "__main__":
    a = parse_args()
    if a.serve:
        serve(a.serve, a.port, a.db, a.writer)
    else:
        sys.exit(asyncio.run(main(a)))
