#!/usr/bin/env bash
# Generate the API clients from the schema and prove they work:
# 1. the OpenAPI schema, validated (warnings fail);
# 2. a Python client (openapi-python-client, pinned in the `clients` extra) and TypeScript types
#    (openapi-typescript, pinned in clients/package-lock.json), into build/clients/ (git-ignored);
# 3. `tsc --noEmit` over the types and clients/usage.ts;
# 4. tests/test_api_client.py: the generated Python client against a live server with the dataset loaded.
# Needs: python3 with the project's .venv (or PYTHON_VENV), Node.js >= 18 with npm, PyPI and npm registry access.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
VENV=${PYTHON_VENV:-$ROOT/.venv}
BUILD=$ROOT/build/clients
export SECRET_KEY=${SECRET_KEY:-ci-only-secret-key}
# The generator formats its output with ruff from the same virtualenv.
export PATH="$VENV/bin:$PATH"

step() { printf '\n=== %s\n' "$*"; }

[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q -e '.[dev,clients]'

rm -rf "$BUILD"
mkdir -p "$BUILD"

step "OpenAPI schema"
"$VENV/bin/python" manage.py spectacular --validate --fail-on-warn --file "$BUILD/schema.yaml"
grep -c "operationId:" "$BUILD/schema.yaml" | xargs echo "operations:"

step "Python client (openapi-python-client)"
"$VENV/bin/openapi-python-client" generate --path "$BUILD/schema.yaml" \
  --output-path "$BUILD/python/treaty_api_client" --meta none --overwrite --fail-on-warning

step "TypeScript types (openapi-typescript) and tsc --noEmit"
(
  cd clients
  npm ci --no-audit --no-fund --loglevel=error
  npx --no-install openapi-typescript "$BUILD/schema.yaml" --output "$BUILD/typescript/schema.d.ts"
  npx --no-install tsc --project tsconfig.json
)

step "Python client against a live server"
TREATYAPI_PYTHON_CLIENT="$BUILD/python" TREATYAPI_REQUIRE_CLIENT=1 \
  "$VENV/bin/pytest" -m clients -n 0 -p no:cacheprovider tests/test_api_client.py

step "clients passed"
