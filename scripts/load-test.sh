#!/usr/bin/env bash
# `make load`: a bounded load test on loopback. gunicorn serves the app as production would
# (DEBUG off, collected static files) on the PostgreSQL database named by DATABASE_URL, holding the
# national data (`load_scale`, loaded here when missing); locust, from its own virtualenv
# (.venv-load, requirements-load.txt), runs LOAD_CLIENTS users (default 50) for LOAD_TIME (default
# 60s) headless. It prints each page's requests, failures, median and 95th percentile, writes them
# to var/load/, and fails when any request failed.
set -euo pipefail
cd "$(dirname "$0")/.."

: "${DATABASE_URL:?make load needs PostgreSQL: set DATABASE_URL, e.g. postgres://postgres@127.0.0.1:5432/test}"
case "$DATABASE_URL" in
  postgres*) ;;
  *) echo "make load needs PostgreSQL, not $DATABASE_URL" >&2; exit 2 ;;
esac
PORT=${LOAD_PORT:-8001}
CLIENTS=${LOAD_CLIENTS:-50}
DURATION=${LOAD_TIME:-60s}
OUT=var/load
mkdir -p "$OUT"

# Production settings on plain http over loopback: no redirect to https, cookies without "secure".
export DEBUG=false SECRET_KEY=${SECRET_KEY:-load-test-only-not-a-secret} ALLOWED_HOSTS=127.0.0.1
export SECURE_SSL_REDIRECT=false SESSION_COOKIE_SECURE=false CSRF_COOKIE_SECURE=false SECURE_HSTS_SECONDS=0
export LOG_FORMAT=${LOG_FORMAT:-json}

.venv/bin/python manage.py migrate --noinput -v0
.venv/bin/python manage.py load_scale --if-missing
.venv/bin/python manage.py collectstatic --noinput -v0
eval "$(.venv/bin/python manage.py shell -v0 -c 'from governance import scale; print(scale.load_test_env())')"

.venv/bin/gunicorn leadership.wsgi --config gunicorn.conf.py --bind "127.0.0.1:$PORT" \
  --access-logfile "$OUT/access.log" --error-logfile "$OUT/gunicorn.log" > "$OUT/app.log" 2>&1 &
GUNICORN=$!
trap 'kill $GUNICORN 2>/dev/null || true; wait $GUNICORN 2>/dev/null || true' EXIT
for _ in $(seq 60); do
  curl -fs -o /dev/null "http://127.0.0.1:$PORT/accounts/login/" && break
  sleep 0.5
done

echo "Load: $CLIENTS users for $DURATION against gunicorn on 127.0.0.1:$PORT as $LOAD_USERS at $LOAD_PLACE"
.venv-load/bin/locust -f scripts/locustfile.py --headless --users "$CLIENTS" --spawn-rate 10 \
  --run-time "$DURATION" --host "http://127.0.0.1:$PORT" --csv "$OUT/load" --only-summary \
  --exit-code-on-error 1 > "$OUT/locust.log" 2>&1 || status=$?

.venv/bin/python - "$OUT/load_stats.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
print(f"{'page':<24} {'requests':>8} {'failures':>8} {'median':>8} {'p95':>8}")
for row in rows:
    print(f"{row['Name']:<24} {row['Request Count']:>8} {row['Failure Count']:>8} "
          f"{row['50%']:>5} ms {row['95%']:>5} ms")
PY
exit "${status:-0}"
