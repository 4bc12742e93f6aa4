#!/usr/bin/env bash
# Bring up compose.yaml (PostgreSQL, Redis, migrate, two app servers, the nginx front, the
# scheduler), check /healthz and a public page through the front, check that both app servers
# answered and the scheduler is running, then take it all down again (KEEP=1 leaves it up).
# Needs Docker with the compose plugin; without it, checks the files only (tests/test_compose.py)
# and exits 3. README "Deploy", docs/adr/0024.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-.venv/bin/python}"
if ! command -v docker >/dev/null 2>&1 || ! docker compose version >/dev/null 2>&1; then
  echo "docker compose is not available here: checking the files only."
  "$PYTHON" -m pytest -q tests/test_compose.py
  exit 3
fi

export HTTP_PORT="${HTTP_PORT:-8080}"
export COMPOSE_PROJECT_NAME="${COMPOSE_PROJECT_NAME:-directory-smoke}"
# Throwaway values for a local run; a real deployment sets its own (README "Deploy").
export SECRET_KEY="${SECRET_KEY:-$(head -c 48 /dev/urandom | base64)}"
export POSTGRES_PASSWORD="${POSTGRES_PASSWORD:-$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')}"
export SITE_URL="${SITE_URL:-https://directory.example.org}"
export ALLOWED_HOSTS="${ALLOWED_HOSTS:-directory.example.org}"
export DEFAULT_FROM_EMAIL="${DEFAULT_FROM_EMAIL:-directory@directory.example.org}"
export EMAIL_BACKEND="${EMAIL_BACKEND:-django.core.mail.backends.console.EmailBackend}"
export RELEASE_ID="${RELEASE_ID:-$(git rev-parse --short=12 HEAD 2>/dev/null || true)}"

cleanup() {
  if [ "${KEEP:-0}" != "1" ]; then docker compose down -v --remove-orphans >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

echo "=== Building and starting (release ${RELEASE_ID:-digest of the code}) ==="
docker compose up -d --build --wait --wait-timeout 300

base="http://127.0.0.1:${HTTP_PORT}"
host="Host: ${ALLOWED_HOSTS%%,*}"
fail() { echo "FAIL: $*"; docker compose ps; docker compose logs --tail 50; exit 1; }

echo "=== /healthz through the front, 10 times ==="
for i in $(seq 1 10); do
  # The query marks these requests in the app servers' logs (their own health checks have none).
  body=$(curl -fsS -H "$host" "$base/healthz?smoke=$i") || fail "/healthz did not answer 200"
  case "$body" in *'"status": "ok"'*) ;; *) fail "/healthz said $body" ;; esac
done
echo "ok"

echo "=== A public page through the front, as over https ==="
code=$(curl -s -o /dev/null -w '%{http_code}' -H "$host" -H "X-Forwarded-Proto: https" "$base/search/")
[ "$code" = "200" ] || fail "/search/ answered $code"
echo "ok"

echo "=== Both app servers answered ==="
for server in web1 web2; do
  docker compose logs "$server" | grep -q '/healthz?smoke=' || fail "$server never answered /healthz through the front"
done
echo "ok"

echo "=== The scheduler runs, and knows its jobs ==="
[ "$(docker compose ps --status running -q scheduler)" != "" ] || fail "the scheduler is not running"
docker compose exec -T scheduler python manage.py runschedule --list

echo "=== One app server down: the front still answers ==="
docker compose stop web1 >/dev/null
for _ in $(seq 1 5); do
  curl -fsS -H "$host" "$base/healthz" >/dev/null || fail "/healthz failed with web1 stopped"
done
docker compose start web1 >/dev/null
echo "ok"

echo "compose smoke test: passed"
