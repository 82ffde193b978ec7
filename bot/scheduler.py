"""Scheduled pushes: digests, recurring events, deadline reminders and timed announcements.

APScheduler (3.x) keeps its jobs in the ``apscheduler_jobs`` table of gridbot's own database (made by the
migrations, never by the job store), so jobs survive restarts; a job missed while gridbot was down runs once
when it is back (coalesced), unless it was missed by more than ``[scheduler] misfire_grace_seconds``.

With several gridbot processes on one database only the holder of the ``scheduler`` lease runs it; the lease
is renewed every third of its length and taken over by another process when it lapses. A job that fires
twice anyway (a takeover at the wrong moment) pushes once: every row it enqueues carries a dedup key.

The scheduler runs in its own thread (APScheduler's job store is synchronous), jobs in a small thread pool:
the event loop never waits on the database. Every job is the one function ``fire(kind, key)``; the process's
``Runtime`` and the firing time reach it through a context variable set by ``FiringExecutor``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import logging
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED, JobEvent
from apscheduler.executors.pool import ThreadPoolExecutor as ApsThreadPool
from apscheduler.jobstores.base import BaseJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine, inspect
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from bot.config import Config
from handlers import announce, digest, reminders
from handlers.settings import TZ
from storage import leases
from storage.db import session_factory
from storage.stats import Scope
from storage.types import utcnow

log = logging.getLogger(__name__)

LEASE = "scheduler"
JOBS_TABLE = "apscheduler_jobs"
CONFIG_PREFIXES = ("digest:", "event:", "reminders", "retention", "loop")


@dataclass(slots=True)
class Runtime:
    """What a job needs from the process that runs it."""

    engine: Engine
    config: Config
    clock: Callable[[], datetime] = utcnow
    wake: Callable[[], None] = lambda: None  # nudge the outbox worker (thread-safe)

    def transact(self, fn: Callable[..., int], *args) -> int:
        with session_factory(self.engine)() as s:
            from handlers import notify

            notify.configure(s, self.config.ticket_rules())  # which push channels deliver, the bridge's chats
            n = fn(s, *args)
            s.commit()
        return n


@dataclass(frozen=True, slots=True)
class Firing:
    runtime: Runtime
    run_time: datetime


FIRING: contextvars.ContextVar[Firing] = contextvars.ContextVar("gridbot_firing")


# --- the jobs -----------------------------------------------------------------------------------------------------


def _digest(s: Session, rt: Runtime, key: str, run_time: datetime) -> int:
    d = rt.config.digest
    scopes = [Scope.parse(x) for x in d.scopes] or digest.default_scopes(s)
    return digest.run(s, scopes, kind=key, end=run_time, now=rt.clock(), to_secretaries=d.to_secretaries,
                      to_groups=d.to_groups, chart=d.chart and key == "weekly", font_path=d.chart_font,
                      oldest=d.oldest)


def _event(s: Session, rt: Runtime, key: str, run_time: datetime) -> int:
    for ev in rt.config.events:
        if ev.name == key:
            return announce.fire_event(s, name=ev.name, targets=ev.targets, place=ev.place, text=ev.text,
                                       fire_time=run_time)
    log.warning("scheduler.unknown_event name=%s", key)
    return 0


def _reminders(s: Session, rt: Runtime, key: str, run_time: datetime) -> int:
    r = rt.config.reminders
    return reminders.check(s, rt.clock(), before=timedelta(hours=r.before_deadline_hours),
                           escalate_after=timedelta(hours=r.escalate_after_hours))


def _loop(s: Session, rt: Runtime, key: str, run_time: datetime) -> int:
    from handlers import sla_jobs
    from handlers.context import Services

    return sla_jobs.check(s, Services(rules=rt.config.ticket_rules(), classifier=None, clock=rt.clock), rt.clock())


def _announce(s: Session, rt: Runtime, key: str, run_time: datetime) -> int:
    return announce.fire(s, int(key), run_time)


def _retention(s: Session, rt: Runtime, key: str, run_time: datetime) -> int:
    from storage import retention

    r = rt.config.retention
    out = retention.run(rt.engine, rt.clock(), inbound_days=r.inbound_days,
                        anonymise_closed_days=r.anonymise_closed_days)  # chunked, each its own transaction
    log.info("retention.done inbound_deleted=%d tickets_anonymised=%d", out.inbound_deleted, out.tickets_anonymised)
    return 0


JOBS: dict[str, Callable[[Session, Runtime, str, datetime], int]] = {
    "digest": _digest, "event": _event, "reminders": _reminders, "announce": _announce,
    "retention": _retention, "loop": _loop,
}


def fire(kind: str, key: str) -> int:
    """The one job function APScheduler stores (by reference): push what ``kind``/``key`` stands for."""
    f = FIRING.get()
    n = f.runtime.transact(lambda s: JOBS[kind](s, f.runtime, key, f.run_time))
    log.info("scheduler.fired kind=%s key=%s run_time=%s enqueued=%d", kind, key,
             f.run_time.isoformat(timespec="minutes"), n)
    if n:
        f.runtime.wake()
    return n


# --- APScheduler parts ---------------------------------------------------------------------------------------------


class MigratedJobStore(SQLAlchemyJobStore):
    """The SQLAlchemy job store on gridbot's engine and migrated table: it neither creates nor disposes."""

    def start(self, scheduler, alias):
        BaseJobStore.start(self, scheduler, alias)
        if not inspect(self.engine).has_table(JOBS_TABLE):
            raise RuntimeError(f"table {JOBS_TABLE} missing: run `gridbot db upgrade`")

    def shutdown(self):
        pass  # the engine belongs to the app

    # APScheduler's main loop does not guard these: a database blip would end its thread for good. A failure
    # is logged and retried instead (a job then due again runs again; its dedup keys keep the pushes single).

    def get_next_run_time(self):
        try:
            return super().get_next_run_time()
        except DBAPIError as e:
            log.warning("scheduler.store_unavailable op=next_run_time reason=%s", type(e.orig).__name__)
            return datetime.now(TZ) + timedelta(seconds=10)

    def update_job(self, job):
        try:
            super().update_job(job)
        except DBAPIError as e:
            log.warning("scheduler.store_unavailable op=update id=%s reason=%s", job.id, type(e.orig).__name__)

    def remove_job(self, job_id):
        try:
            super().remove_job(job_id)
        except DBAPIError as e:
            log.warning("scheduler.store_unavailable op=remove id=%s reason=%s", job_id, type(e.orig).__name__)


class _ContextPool(concurrent.futures.ThreadPoolExecutor):
    def submit(self, fn, /, *args, **kwargs):
        return super().submit(contextvars.copy_context().run, fn, *args, **kwargs)


class FiringExecutor(ApsThreadPool):
    """APScheduler's thread pool, with the runtime and the firing time handed to the job."""

    def __init__(self, runtime: Runtime, max_workers: int = 4) -> None:
        super().__init__(max_workers)
        self._pool.shutdown(wait=False)
        self._pool = _ContextPool(max_workers, thread_name_prefix="gridbot-job")
        self.runtime = runtime

    def _do_submit_job(self, job, run_times):
        token = FIRING.set(Firing(self.runtime, run_times[-1]))
        try:
            super()._do_submit_job(job, run_times)
        finally:
            FIRING.reset(token)


def _hm(text: str) -> tuple[int, int]:
    h, m = text.split(":")
    return int(h), int(m)


def config_jobs(config: Config) -> dict[str, tuple[object, tuple[str, str]]]:
    """The jobs the configuration asks for: id → (trigger, (kind, key))."""
    jobs: dict[str, tuple[object, tuple[str, str]]] = {}
    d = config.digest
    if d.daily:
        h, m = _hm(d.daily)
        jobs["digest:daily"] = (CronTrigger(hour=h, minute=m, timezone=TZ), ("digest", "daily"))
    if d.weekly:
        h, m = _hm(d.weekly)
        jobs["digest:weekly"] = (CronTrigger(day_of_week=d.weekly_day, hour=h, minute=m, timezone=TZ),
                                 ("digest", "weekly"))
    for ev in config.events:
        jobs[f"event:{ev.name}"] = (CronTrigger.from_crontab(ev.crontab(), timezone=TZ), ("event", ev.name))
    r = config.retention
    if r.inbound_days or r.anonymise_closed_days:
        h, m = _hm(r.time)
        jobs["retention"] = (CronTrigger(hour=h, minute=m, timezone=TZ), ("retention", "daily"))
    if config.reminders.enabled:
        jobs["reminders"] = (IntervalTrigger(minutes=config.reminders.check_minutes, timezone=TZ),
                             ("reminders", "check"))
        # the closed loop: SLA warnings and escalations, auto-close after the rating window (handlers/sla_jobs.py)
        jobs["loop"] = (IntervalTrigger(minutes=config.reminders.check_minutes, timezone=TZ), ("loop", "check"))
    return jobs


def announcement_trigger(at: datetime | None, cron: str | None):
    if cron:
        return CronTrigger.from_crontab(cron, timezone=TZ)
    return DateTrigger(run_date=at, timezone=TZ)


# --- leadership -----------------------------------------------------------------------------------------------------


class PushScheduler:
    """Runs APScheduler while this process holds the scheduler lease; stands by otherwise."""

    def __init__(self, engine: Engine, config: Config, *, clock: Callable[[], datetime] = utcnow,
                 wake: Callable[[], None] = lambda: None, holder: str | None = None,
                 on_job: Callable[[JobEvent], None] | None = None) -> None:
        self._engine = engine
        self._config = config
        self._clock = clock
        self.runtime = Runtime(engine, config, clock, wake)
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._lease = leases.Keeper(engine, LEASE, self.holder,
                                    lambda: timedelta(seconds=self._config.scheduler.lease_seconds), clock)
        self._aps: BackgroundScheduler | None = None
        self._on_job = on_job  # called (from the scheduler's threads) after each run, miss or failure
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()
        self.became_leader = asyncio.Event()  # for tests and logs: set each time this process takes the lead

    @property
    def leading(self) -> bool:
        return self._aps is not None

    @property
    def aps(self) -> BackgroundScheduler | None:
        return self._aps

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="gridbot-scheduler")

    async def stop(self, *, release: bool = True) -> None:
        """Stop; ``release=False`` leaves the lease to lapse, as a process that died would."""
        self._stop.set()
        if self._task is not None:
            await self._task
            self._task = None
        try:
            await asyncio.to_thread(self._step_down)
            if release:
                await asyncio.to_thread(self._release)
        except Exception:  # the database may be gone already; the lease then simply lapses
            log.exception("scheduler.stop_failed holder=%s", self.holder)

    async def _run(self) -> None:
        c = self._config.scheduler
        tick = min(c.lease_seconds / 3, c.sync_seconds)
        while not self._stop.is_set():
            try:
                await self.tick()
            except Exception:
                log.exception("scheduler.tick_failed holder=%s", self.holder)
            try:
                await asyncio.wait_for(self._stop.wait(), timeout=tick)
            except TimeoutError:
                pass

    async def tick(self) -> None:
        """Renew or take the lease; lead or stand by accordingly; bring announcements' jobs up to date."""
        held = await asyncio.to_thread(self._acquire)
        if held and not self.leading:
            await asyncio.to_thread(self._lead)
            self.became_leader.set()
        elif not held and self.leading:
            log.warning("scheduler.lease_lost holder=%s", self.holder)
            await asyncio.to_thread(self._step_down)
        elif held:
            await asyncio.to_thread(self.sync_announcements)

    # --- blocking parts, run in a thread ------------------------------------------------------------------------

    def _acquire(self) -> bool:
        return self._lease.acquire()

    def _release(self) -> None:
        self._lease.release()

    def _lead(self) -> None:
        c = self._config.scheduler
        aps = BackgroundScheduler(
            timezone=TZ,
            jobstores={"default": MigratedJobStore(engine=self._engine)},
            executors={"default": FiringExecutor(self.runtime)},
            job_defaults={"coalesce": True, "misfire_grace_time": c.misfire_grace_seconds, "max_instances": 1},
        )
        aps.start(paused=True)
        aps.add_listener(self._job_event, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED)
        self._aps = aps
        try:
            self.sync_config_jobs()
            self.sync_announcements()
        except BaseException:
            self._step_down()
            raise
        aps.resume()
        log.info("scheduler.leading holder=%s jobs=%d", self.holder, len(aps.get_jobs()))

    def _job_event(self, event: JobEvent) -> None:
        if event.code == EVENT_JOB_MISSED:
            log.warning("scheduler.missed id=%s run_time=%s (past the grace time)", event.job_id,
                        event.scheduled_run_time)
        elif event.code == EVENT_JOB_ERROR:
            log.error("scheduler.job_failed id=%s reason=%r", event.job_id, event.exception)
        if self._on_job is not None:
            self._on_job(event)

    def _step_down(self) -> None:
        if self._aps is not None:
            self._aps.shutdown(wait=True)
            self._aps = None
            log.info("scheduler.standing_by holder=%s", self.holder)

    def _ensure(self, job_id: str, trigger, args: tuple[str, str]) -> None:
        """Add the job, or replace it if its trigger changed; an unchanged job keeps its next run time, so a
        run missed while gridbot was down still happens once."""
        aps = self._aps
        existing = aps.get_job(job_id)
        if existing is not None and str(existing.trigger) == str(trigger) and tuple(existing.args) == args:
            return
        aps.add_job(fire, trigger, args=args, id=job_id, name=job_id, replace_existing=True)
        log.info("scheduler.job_set id=%s trigger=%s", job_id, trigger)

    def sync_config_jobs(self) -> None:
        wanted = config_jobs(self._config)
        for job_id, (trigger, args) in wanted.items():
            self._ensure(job_id, trigger, args)
        for job in self._aps.get_jobs():
            if job.id.startswith(CONFIG_PREFIXES) and job.id not in wanted:
                job.remove()
                log.info("scheduler.job_removed id=%s", job.id)

    def sync_announcements(self) -> None:
        """Timed announcements become jobs; cancelled or finished ones lose theirs."""
        if self._aps is None:
            return
        with session_factory(self._engine)() as s:
            scheduled = [(a.id, a.at, a.cron) for a in announce.listing(s) if a.at is not None or a.cron]
        wanted = {f"announce:{i}" for i, _, _ in scheduled}
        for ann_id, at, cron in scheduled:
            job_id = f"announce:{ann_id}"
            if self._aps.get_job(job_id) is None:
                self._aps.add_job(fire, announcement_trigger(at, cron), args=("announce", str(ann_id)), id=job_id,
                                  name=job_id, replace_existing=True)
                log.info("scheduler.job_set id=%s at=%s cron=%s", job_id, at, cron)
        for job in self._aps.get_jobs():
            if job.id.startswith("announce:") and job.id not in wanted:
                job.remove()
                log.info("scheduler.job_removed id=%s", job.id)
