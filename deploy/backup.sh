#!/usr/bin/env bash
# Nightly backup (cron: 15 2 * * * gridbot /opt/gridbot/deploy/backup.sh): every row as JSON lines, compressed,
# the last 14 kept. Restore into an empty database: gridbot --config C import FILE (after gunzip).
# On PostgreSQL keep pg_dump (or WAL archiving) beside it for point-in-time recovery; this file is the
# backend-independent copy (it goes from PostgreSQL to SQLite and back).
set -euo pipefail
CONFIG=${GRIDBOT_CONFIG:-/etc/gridbot/config.toml}
DIR=${GRIDBOT_BACKUP_DIR:-/var/backups/gridbot}
KEEP=${GRIDBOT_BACKUP_KEEP:-14}
GRIDBOT=${GRIDBOT:-/opt/gridbot/.venv/bin/gridbot}
mkdir -p "$DIR"
out="$DIR/gridbot-$(date -u +%Y%m%dT%H%M%SZ).jsonl"
"$GRIDBOT" --config "$CONFIG" export --out "$out.part"
mv "$out.part" "$out"
gzip -9 "$out"
ls -1t "$DIR"/gridbot-*.jsonl.gz | tail -n +"$((KEEP + 1))" | xargs -r rm --
echo "backup: $out.gz"
