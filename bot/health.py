"""Liveness and readiness, as load balancers and systemd ask for them.

``GET /healthz`` (liveness): the process answers; 200 as long as the event loop runs. A supervisor restarts a
worker that stops answering it.

``GET /readyz`` (readiness): this worker can take messages now: the database answers a query within
``READY_DB_TIMEOUT`` seconds, the pipeline's writer is running, and the outbox is not lagging (its oldest due
push waits less than ``[server] ready_outbox_lag_seconds``; 0 leaves the outbox out). 200 with the figures,
else 503 naming what is wrong. A load balancer takes a 503 worker out of rotation until it is ready again.
With the AI bot in websocket mode the report also says whether this worker holds its long connection
(``aibot``: connected / connecting / standby, and the failed attempts in a row). That is reported only: the
gateway being down must not take a worker's HTTP intake out of rotation.
"""

from __future__ import annotations

import asyncio
import logging
import os
from datetime import datetime

from aiohttp import web
from sqlalchemy import Engine, func, select

from storage.models import Outbox
from storage.types import utcnow

log = logging.getLogger("gridbot.health")

READY_DB_TIMEOUT = 3.0


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


def outbox_lag(engine: Engine, now: datetime) -> float:
    """Seconds the oldest due pending push has been waiting (0 when none is due)."""
    with engine.connect() as conn:
        oldest = conn.execute(select(func.min(Outbox.next_attempt_at)).where(
            Outbox.status == "pending", Outbox.next_attempt_at <= now)).scalar()
    if oldest is None:
        return 0.0
    if oldest.tzinfo is None:  # SQLite through Core without the column type's processing
        from datetime import UTC

        oldest = oldest.replace(tzinfo=UTC)
    return max(0.0, (now - oldest).total_seconds())


def readiness_handler(engine_key, pipeline_key, config_key, aibot_key=None):
    async def readyz(request: web.Request) -> web.Response:
        app = request.app
        config = app[config_key]
        problems: list[str] = []
        report: dict = {"pid": os.getpid()}  # which worker answered (several share the port)
        try:
            lag = await asyncio.wait_for(asyncio.to_thread(outbox_lag, app[engine_key], utcnow()),
                                         READY_DB_TIMEOUT)
            report["database"] = "ok"
            report["outbox_lag_seconds"] = round(lag, 1)
            limit = config.server.ready_outbox_lag_seconds
            if limit and lag > limit:
                problems.append(f"outbox lags {lag:.0f}s (over {limit:.0f}s)")
        except TimeoutError:
            report["database"] = "timeout"
            problems.append(f"database did not answer within {READY_DB_TIMEOUT:.0f}s")
        except Exception as e:  # noqa: BLE001 - any failure to reach the database means not ready
            from bot.pipeline import safe_reason

            report["database"] = "down"
            problems.append(f"database: {safe_reason(e)}")
        pipeline = app.get(pipeline_key)
        report["pipeline"] = "running" if pipeline is not None and pipeline.running else "stopped"
        if report["pipeline"] != "running":
            problems.append("pipeline stopped")
        sock = app.get(aibot_key) if aibot_key is not None else None
        if sock is not None:
            report["aibot"] = sock.state
            report["aibot_failures"] = sock.failures
        report["ok"] = not problems
        if problems:
            report["problems"] = problems
            log.warning("readyz.not_ready problems=%s", "; ".join(problems))
        return web.json_response(report, status=200 if not problems else 503)

    return readyz
