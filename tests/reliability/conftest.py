"""The push fixtures (fake WeCom, clock, workers) for the outbox's reliability tests."""

from tests.push.conftest import clock, fake, http, make_worker, org_engine, pconfig, worker  # noqa: F401
