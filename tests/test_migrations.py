"""The Alembic migrations build exactly the schema the models describe, on both backends, and go both ways."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import storage.models  # noqa: F401
from storage.migrate import current, upgrade


def test_migrated_schema_matches_the_models(engine):
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    # the scheduler's job table belongs to APScheduler, not to our models
    assert [d for d in diff if "apscheduler_jobs" not in str(d)] == []


def test_upgrade_is_idempotent_and_downgrade_works(engine):
    head = current(engine)
    upgrade(engine)
    assert current(engine) == head
    from alembic import command

    from storage.migrate import alembic_config

    command.downgrade(alembic_config(engine), "base")
    assert current(engine) is None
    upgrade(engine)
    assert current(engine) == head
