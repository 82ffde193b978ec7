#!/usr/bin/env bash
# Starts `gridbot serve --workers 2` on a fresh PostgreSQL database behind nginx (deploy/nginx.conf with a
# self-signed certificate, in a scratch directory, on free ports) and checks what the deployment promises:
# TLS, readiness through the proxy, a signed message stored and answered, the body limit (413 from nginx),
# plain HTTP redirected, and the real client address in gridbot's logs. Cleans up after itself.
# CI runs it through tests/reliability/test_deploy_nginx.py; by hand: bash deploy/try-behind-nginx.sh
# Needs: nginx, openssl, curl, a PostgreSQL server (GRIDBOT_TEST_PG, default postgresql://postgres@127.0.0.1:5432/test).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
[ -x "$PY" ] || PY=python3
PG=${GRIDBOT_TEST_PG:-postgresql://postgres@127.0.0.1:5432/test}
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
WORK=$(mktemp -d)
DB="gridbot_nginx_$$"
SECRET="nginx-test-secret"
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
APP_PORT=$(free_port); TLS_PORT=$(free_port); HTTP_PORT=$(free_port)
GRIDBOT_PID=""; NGINX_PID=""
fail() { echo "FAIL: $*" >&2; echo "--- gridbot log (tail)" >&2; tail -n 40 "$WORK/gridbot.log" >&2 || true; exit 1; }
cleanup() {
  [ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null || true
  if [ -n "$GRIDBOT_PID" ]; then kill -TERM "$GRIDBOT_PID" 2>/dev/null || true; wait "$GRIDBOT_PID" 2>/dev/null || true; fi
  "$PY" - "$PG" "$DB" <<'PYEOF' || true
import sys, psycopg
with psycopg.connect(sys.argv[1], autocommit=True) as c:
    c.execute(f'DROP DATABASE IF EXISTS "{sys.argv[2]}" WITH (FORCE)')
PYEOF
  rm -rf "$WORK"
}
trap cleanup EXIT

DB_URL=$("$PY" - "$PG" "$DB" <<'PYEOF'
import sys, psycopg
from sqlalchemy.engine import make_url
with psycopg.connect(sys.argv[1], autocommit=True) as c:
    c.execute(f'CREATE DATABASE "{sys.argv[2]}"')
print(make_url(sys.argv[1]).set(database=sys.argv[2]).render_as_string(hide_password=False))
PYEOF
)

# gridbot: the example configuration on that database, two workers, nginx trusted for X-Forwarded-For
sed -e "s|url = \"sqlite:///gridbot.db\"|url = \"$DB_URL\"|" \
    -e "s|secret = \"change-me-bridge-secret\"|secret = \"$SECRET\"|" \
    -e "s|writer = \"process\"|writer = \"thread\"|" \
    -e "s|trusted_proxies = \[\]|trusted_proxies = [\"127.0.0.1\"]|" \
    -e "s|^enabled = true                   # \`serve\` runs the outbox worker|enabled = false|" \
    config.example.toml > "$WORK/config.toml"
"$PY" -m bot.cli --config "$WORK/config.toml" serve --workers 2 --host 127.0.0.1 --port "$APP_PORT" \
  > "$WORK/gridbot.log" 2>&1 &
GRIDBOT_PID=$!

# nginx: deploy/nginx.conf with this run's ports, certificate and scratch paths
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=localhost" \
  -keyout "$WORK/tls.key" -out "$WORK/tls.crt" 2>/dev/null
mkdir -p "$WORK/nginx/logs"
{
  echo "worker_processes 1; pid $WORK/nginx.pid; error_log $WORK/nginx/logs/error.log warn;"
  echo "events { worker_connections 256; }"
  echo "http { access_log $WORK/nginx/logs/access.log; client_body_temp_path $WORK/nginx/body;"
  echo "proxy_temp_path $WORK/nginx/proxy; fastcgi_temp_path $WORK/nginx/fcgi; uwsgi_temp_path $WORK/nginx/uwsgi;"
  echo "scgi_temp_path $WORK/nginx/scgi;"
  sed -e "s|127.0.0.1:8080|127.0.0.1:$APP_PORT|" -e "/10.0.0.12:8080/d" \
      -e "s|listen 80;|listen $HTTP_PORT;|" -e "s|listen 443 ssl http2;|listen $TLS_PORT ssl http2;|" \
      -e "s|/etc/nginx/tls/grid.example.cn.crt|$WORK/tls.crt|" -e "s|/etc/nginx/tls/grid.example.cn.key|$WORK/tls.key|" \
      -e "s|https://\$host\$request_uri|https://\$host:$TLS_PORT\$request_uri|" \
      -e "s|allow 10.0.0.0/8;|allow all;|" \
      deploy/nginx.conf
  echo "}"
} > "$WORK/nginx.conf"
"$NGINX" -t -q -p "$WORK/nginx" -c "$WORK/nginx.conf" || fail "nginx refuses deploy/nginx.conf"
"$NGINX" -p "$WORK/nginx" -c "$WORK/nginx.conf" -g "daemon off;" &
NGINX_PID=$!

CURL=(curl -sS --cacert "$WORK/tls.crt" --resolve "localhost:$TLS_PORT:127.0.0.1" --max-time 10)
BASE="https://localhost:$TLS_PORT"

# 1. ready through the proxy, from both workers (each answer names its worker)
pids=""
for _ in $(seq 1 240); do
  body=$("${CURL[@]}" -H "Connection: close" "$BASE/readyz" 2>/dev/null || true)
  pid=$(echo "$body" | "$PY" -c 'import json,sys
try: d=json.load(sys.stdin); print(d["pid"] if d.get("ok") else "")
except Exception: print("")')
  [ -n "$pid" ] && case " $pids " in *" $pid "*) ;; *) pids="$pids $pid";; esac
  [ "$(echo $pids | wc -w)" -ge 2 ] && break
  sleep 0.5
done
[ "$(echo $pids | wc -w)" -ge 2 ] || fail "two workers never became ready behind nginx (saw:$pids)"
echo "ok: TLS, /readyz from workers$pids"

# 2. a signed report through TLS and nginx: stored and answered with a ticket
MSG='{"msg_id":"nginx-1","chat_id":"bridge-quehua-1","sender_id":"zhaomin","sender_name":"赵敏","text":"3号楼2单元门口的充电桩坏了三天了"}'
TS=$(date +%s)
SIG=$(printf '%s.%s' "$TS" "$MSG" | "$PY" -c "import sys,hmac,hashlib; print('sha256='+hmac.new(b'$SECRET', sys.stdin.buffer.read(), hashlib.sha256).hexdigest())")
reply=$("${CURL[@]}" -X POST "$BASE/bridge/message" -H "X-Gridbot-Timestamp: $TS" -H "X-Gridbot-Signature: $SIG" --data-binary "$MSG")
echo "$reply" | grep -q '"ticket": 1' || fail "no ticket for the report: $reply"
echo "ok: signed report answered: ticket 1"

# 3. the body limit: nginx refuses 300 KB with 413 before gridbot sees it
code=$(head -c 300000 /dev/zero | tr '\0' 'x' | "${CURL[@]}" -o /dev/null -w '%{http_code}' -X POST \
  "$BASE/bridge/message" --data-binary @-)
[ "$code" = "413" ] || fail "a 300 KB body got $code, not 413"
echo "ok: 300 KB body refused with 413"

# 4. plain HTTP is redirected to HTTPS
code=$(curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT/healthz")
[ "$code" = "301" ] || fail "plain HTTP got $code, not 301"
echo "ok: HTTP redirected to HTTPS"

# 5. the real client address: a request to nginx from a non-loopback address shows that address in gridbot's log
IP=$(hostname -I 2>/dev/null | tr ' ' '\n' | grep -E '^[0-9]+\.' | grep -v '^127\.' | head -n1 || true)
if [ -n "$IP" ]; then
  curl -sS -k -o /dev/null --max-time 10 -X POST "https://$IP:$TLS_PORT/bridge/message" --data-binary '{}' || true
  for _ in $(seq 1 20); do grep -q "remote=$IP" "$WORK/gridbot.log" && break; sleep 0.2; done
  grep -q "remote=$IP" "$WORK/gridbot.log" || fail "gridbot did not log the client address $IP"
  echo "ok: gridbot logs the real client address ($IP, not nginx's 127.0.0.1)"
else
  echo "skip: no non-loopback address to test the real client address from"
fi
echo "PASS: gridbot behind nginx"
