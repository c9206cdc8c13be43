#!/usr/bin/env bash
# Fuzz every operation of the OpenAPI schema with Schemathesis against a live gunicorn on the database DATABASE_URL
# names (a new SQLite file when unset): reads anonymously, then every operation (writes included, and the stateful
# phase) with the token of a user holding every add/change/delete permission of the dataset (so deletes are fuzzed
# too, whatever the curators role grants). Settings (seed, examples, checks) are in .ci/schemathesis.toml.
# Usage: bash .ci/fuzz.sh [label]    Writes its reports to build/fuzz/<label>/.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PY=$ROOT/.venv/bin/python
LABEL=${1:-sqlite}
OUT=$ROOT/build/fuzz/$LABEL
rm -rf "$OUT" && mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/treatyapi-fuzz.XXXXXX)

export SECRET_KEY=${SECRET_KEY:-fuzz-only-secret-key}
export DATABASE_URL=${DATABASE_URL:-sqlite:///$WORK/fuzz.sqlite3}
export ALLOWED_HOSTS=127.0.0.1
# Plain HTTP on loopback; limits high enough that the fuzzer measures the API, not the throttle (tested elsewhere).
export SECURE_SSL_REDIRECT=0 SECURE_COOKIES=0 THROTTLE_ANON=100000/min THROTTLE_USER=100000/min
export CACHE_URL=file://$WORK/cache

if [[ "$DATABASE_URL" == postgres* ]]; then
  # A database of its own, so the fuzzer's writes never touch another run's data.
  "$PY" - <<'PY'
import os, psycopg
url = os.environ["DATABASE_URL"]
with psycopg.connect(url, autocommit=True) as conn:
    conn.execute("DROP DATABASE IF EXISTS treatyapi_fuzz")
    conn.execute("CREATE DATABASE treatyapi_fuzz")
PY
  export DATABASE_URL=${DATABASE_URL%/*}/treatyapi_fuzz
fi

"$PY" manage.py load_dataset >"$OUT/load.log" 2>&1
TOKEN=$("$PY" manage.py shell -c "
from django.contrib.auth.models import Group, Permission, User
from rest_framework.authtoken.models import Token
models = ['source', 'state', 'treaty', 'membership', 'event', 'statement']
group, _ = Group.objects.get_or_create(name='api-fuzz-writers')
group.permissions.add(*Permission.objects.filter(codename__in=[f'{a}_{m}' for a in ('add', 'change', 'delete') for m in models]))
user, _ = User.objects.get_or_create(username='fuzz-curator')
user.groups.add(group)
print(Token.objects.get_or_create(user=user)[0].key)
" | tail -n 1 | tr -d '[:space:]')

PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
.venv/bin/gunicorn -c gunicorn.conf.py treatyapi.wsgi --bind "127.0.0.1:$PORT" --workers 2 --access-logfile "$OUT/access.log" \
  --error-logfile "$OUT/server.log" 2>>"$OUT/server.log" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$PORT/api/" >/dev/null && break
  sleep 0.2
done

# Schemathesis closes with a pytest-like banner ("=== 2 warnings in 40.93s ===") that log readers take for a test run
# of no tests; its banners are reworded so that the only such closing lines in CI's log are pytest's own.
banners() { sed -E 's/^=+ (.*[^ =]) =+$/--- schemathesis: \1 ---/'; }
ST=(.venv/bin/schemathesis --config-file .ci/schemathesis.toml run "http://127.0.0.1:$PORT/api/schema/"
    --checks all --report junit --no-color)
status=0
echo "--- anonymous reads: every GET operation, no credentials"
"${ST[@]}" --include-method GET --phases examples,coverage,fuzzing --report-dir "$OUT/anonymous" \
  | banners | tee "$OUT/anonymous.txt" || status=1
echo "--- curator: every operation with a token, including the stateful phase"
"${ST[@]}" -H "Authorization: Token $TOKEN" --report-dir "$OUT/curator" | banners | tee "$OUT/curator.txt" \
  || status=1
if grep -q "Traceback" "$OUT/server.log"; then
  echo "the server logged a traceback: see $OUT/server.log" >&2
  status=1
fi
exit $status
