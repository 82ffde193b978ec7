"""``gridbot serve --workers N``: N server processes on one port, watched by a master.

Each worker is a whole gridbot server (its pipeline and writer, outbox worker and standby scheduler) on the
same host and port with ``SO_REUSEPORT``: the kernel spreads connections over them. Several workers are
correct on one database because the database decides every race: a message is stored once
(``ON CONFLICT DO NOTHING`` on its platform id), outbox rows are claimed ``FOR UPDATE SKIP LOCKED``, and the
scheduler runs only in the holder of the ``scheduler`` lease, taken over when its holder dies.

The master migrates the schema once, starts the workers (``spawn``: nothing shared but the configuration),
tells systemd it is ready (``READY=1`` on ``$NOTIFY_SOCKET``) once every worker has started, restarts a worker
that dies (a second apart at most once a second, so a crash loop does not spin), and on SIGTERM or SIGINT
stops them all gracefully (aiohttp finishes the requests in flight). A worker whose master is gone stops too.
A request in flight in a worker that is killed is never answered, so it was never acknowledged: nothing of it
was committed, or all of it was and the platform's retry gets the stored answer.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import time
from multiprocessing.process import BaseProcess

from bot.config import Config

log = logging.getLogger("gridbot.workers")

STOP_TIMEOUT = 30.0


def sd_notify(state: str) -> bool:
    """Send ``state`` (e.g. "READY=1") to systemd when it asked for notifications; False when it did not."""
    path = os.environ.get("NOTIFY_SOCKET")
    if not path:
        return False
    addr = "\0" + path[1:] if path.startswith("@") else path
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        try:
            s.connect(addr)
            s.sendall(state.encode())
        except OSError as e:
            log.warning("systemd.notify_failed state=%s reason=%s", state, e)
            return False
    return True


def _worker_main(config: Config, host: str, port: int, index: int, ready, parent: int, verbose: bool) -> None:
    """One worker process: the app on the shared port; tells the master when it has started."""
    import asyncio

    from aiohttp import web

    from bot import gctune, logs
    from bot.app import create_app

    logs.configure(verbose, prefix=f"worker{index} ")  # the same lines as a single process: no access log at INFO
    app = create_app(config)
    app.on_startup.append(gctune.on_startup)

    tasks: list[asyncio.Task] = []  # keeps the orphan check referenced

    async def started(app: web.Application) -> None:
        ready.put(os.getpid())

        async def orphan_check() -> None:  # the master died (SIGKILL): stop rather than run unsupervised
            while os.getppid() == parent:
                await asyncio.sleep(1.0)
            log.error("workers.orphaned index=%d: the master is gone, stopping", index)
            os.kill(os.getpid(), signal.SIGTERM)

        tasks.append(asyncio.get_running_loop().create_task(orphan_check()))

    app.on_startup.append(started)
    web.run_app(app, host=host, port=port, reuse_port=True, print=None, handle_signals=True)


class Master:
    def __init__(self, config: Config, host: str, port: int, n: int, *, verbose: bool = False) -> None:
        self.config = _without_migration(config)
        self.verbose = verbose
        self.host, self.port, self.n = host, port, n
        self._ctx = multiprocessing.get_context("spawn")
        self._ready = self._ctx.Queue()
        self._procs: list[BaseProcess | None] = [None] * n
        self._started_at = [0.0] * n
        self._stopping = False

    def _start(self, i: int) -> None:
        p = self._ctx.Process(target=_worker_main, name=f"gridbot-worker{i}", daemon=False,
                              args=(self.config, self.host, self.port, i, self._ready, os.getpid(), self.verbose))
        p.start()
        self._procs[i] = p
        self._started_at[i] = time.monotonic()
        log.info("workers.started index=%d pid=%s", i, p.pid)

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        for i in range(self.n):
            self._start(i)
        up: set[int] = set()
        notified = False
        while not self._stopping:
            try:
                up.add(self._ready.get(timeout=0.5))
            except Exception:  # noqa: BLE001 - queue.Empty: nothing new
                pass
            live = {p.pid for p in self._procs if p is not None and p.is_alive()}
            if not notified and len(up & live) >= self.n:
                notified = True
                log.info("workers.ready n=%d url=http://%s:%d", self.n, self.host, self.port)
                sd_notify(f"READY=1\nSTATUS={self.n} workers")
            for i, p in enumerate(self._procs):
                if p is not None and not p.is_alive() and not self._stopping:
                    log.error("workers.died index=%d pid=%s exitcode=%s: restarting", i, p.pid, p.exitcode)
                    p.close()
                    if time.monotonic() - self._started_at[i] < 1.0:
                        time.sleep(1.0)
                    self._start(i)
        return self._stop()

    def _on_signal(self, signum, _frame) -> None:
        self._stopping = True

    def _stop(self) -> int:
        sd_notify("STOPPING=1")
        procs = [p for p in self._procs if p is not None]
        for p in procs:
            if p.is_alive():
                os.kill(p.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        for p in procs:
            p.join(max(0.0, deadline - time.monotonic()))
            if p.is_alive():
                log.error("workers.kill index pid=%s: did not stop within %.0fs", p.pid, STOP_TIMEOUT)
                p.kill()
                p.join()
        log.info("workers.stopped n=%d", len(procs))
        return 0


def _without_migration(config: Config) -> Config:
    return config.model_copy(update={"storage": config.storage.model_copy(update={"auto_migrate": False})})


def serve(config: Config, host: str, port: int, n: int, *, verbose: bool = False) -> int:
    from storage.db import is_sqlite, make_engine
    from storage.migrate import upgrade

    if config.storage.auto_migrate:  # once, here, rather than N workers racing to do it
        engine = make_engine(config.storage.url)
        upgrade(engine)
        engine.dispose()
    if is_sqlite(config.storage.url):
        log.warning("workers.sqlite n=%d: the workers' writes take turns on the file lock; "
                    "PostgreSQL is the store for several workers", n)
    return Master(config, host, port, n, verbose=verbose).run()
