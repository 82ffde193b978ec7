"""scheduler jobs table (APScheduler's SQLAlchemyJobStore layout)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 19:40:00

The job store is given this table and never creates it itself (``bot.scheduler.MigratedJobStore``).
The columns are exactly those APScheduler 3's SQLAlchemyJobStore declares.
"""

from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('apscheduler_jobs',
    sa.Column('id', sa.Unicode(191), nullable=False),
    sa.Column('next_run_time', sa.Float(25), nullable=True),
    sa.Column('job_state', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_apscheduler_jobs_next_run_time', 'apscheduler_jobs', ['next_run_time'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_apscheduler_jobs_next_run_time', table_name='apscheduler_jobs')
    op.drop_table('apscheduler_jobs')
