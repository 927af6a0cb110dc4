#!/usr/bin/env bash
# The two commands of README.md:
#   ./dev.sh up    install everything into .venv, seed the demo organisation (first time), start the sync
#                  server, a local mail catcher and the client; print the address to open and demo logins
#   ./dev.sh test  install everything into .venv, then run every check, stopping at the first failure: ruff
#                  check, ruff format --check, mypy, the import contracts (lint-imports), then the whole test
#                  suite (pytest; extra arguments go to it) — installing Chromium first when it is missing, so
#                  the browser tests run instead of being skipped
set -euo pipefail
cd "$(dirname "$0")"

PYTHON=${PYTHON:-python3}
VENV=.venv
PY="$VENV/bin/python"
DATA=${BESMART_DATA:-.besmart}
SERVER_PORT=${BESMART_SERVER_PORT:-8000}
WEB_PORT=${BESMART_WEB_PORT:-8550}
MAIL_PORT=${BESMART_MAIL_PORT:-8025}

install() {
    if [ ! -x "$PY" ]; then
        "$PYTHON" -m venv "$VENV"
    fi
    "$PY" -m pip install --quiet --upgrade pip
    "$PY" -m pip install --quiet -e ".[server,test,dev]"
}

# Lint, formatting, types and layers: each stops the run when it fails (set -e).
checks() {
    echo "==> ruff check"
    "$VENV/bin/ruff" check .
    echo "==> ruff format --check"
    "$VENV/bin/ruff" format --check .
    echo "==> mypy (configured in pyproject.toml)"
    "$VENV/bin/mypy"
    if grep -q '^\[tool\.importlinter\]' pyproject.toml; then
        echo "==> lint-imports"
        "$VENV/bin/lint-imports"
    else
        echo "==> lint-imports: skipped, pyproject.toml has no [tool.importlinter] contracts yet"
    fi
}

up() {
    install
    mkdir -p "$DATA"
    DATA=$(cd "$DATA" && pwd)  # absolute, whether BESMART_DATA was given relative or absolute
    export BESMART_SERVER_HOME="$DATA/server" BESMART_HOME="$DATA/client"
    local db="sqlite:///$DATA/server/besmart.db"
    if [ ! -f "$DATA/server/besmart.db" ]; then
        mkdir -p "$DATA/server"
        echo "Seeding the demo organisation (first run only)…"
        "$PY" -m server demo --db "$db" | tee "$DATA/demo-logins.txt"
    fi
    pids=()
    trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT INT TERM
    # A local mail catcher: notification emails are printed to $DATA/mail.log instead of leaving the machine.
    "$PY" -m aiosmtpd -n -l "127.0.0.1:$MAIL_PORT" >"$DATA/mail.log" 2>&1 &
    pids+=($!)
    "$PY" -m server serve --db "$db" --host 127.0.0.1 --port "$SERVER_PORT" \
        --public-url "http://127.0.0.1:$WEB_PORT" --smtp-host 127.0.0.1 --smtp-port "$MAIL_PORT" \
        --smtp-tls none --smtp-from "besmart <no-reply@besmart.localhost>" >"$DATA/server.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 1 100); do
        "$PY" -c "import httpx,sys; sys.exit(httpx.get('http://127.0.0.1:$SERVER_PORT/health').status_code != 200)" \
            2>/dev/null && break
        sleep 0.2
    done
    "$PY" main.py --web --port "$WEB_PORT" --server "http://127.0.0.1:$SERVER_PORT" >"$DATA/client.log" 2>&1 &
    pids+=($!)
    cat <<MSG

besmart is running.
  Open:    http://127.0.0.1:$WEB_PORT/   (server: http://127.0.0.1:$SERVER_PORT, logs in $DATA/)
  Sign in: one of the demo logins below, then choose a passphrase for this device (12+ characters:
           this machine has no OS key store, see README).
$(sed -n '/[Ll]ogin/,$p' "$DATA/demo-logins.txt" 2>/dev/null || true)
  Emails the server sends land in $DATA/mail.log. Press Ctrl+C to stop.
MSG
    wait
}

case "${1:-}" in
    up)
        shift
        up "$@"
        ;;
    test)
        install
        shift
        checks
        # The browser tests need Debian's Chromium; they would be skipped without it.
        if [ ! -x /usr/bin/chromium ]; then
            echo "==> installing Chromium for the browser tests"
            sh tests/e2e/ensure_chromium.sh
        fi
        echo "==> pytest"
        # Two workers, one test file each at a time (module fixtures such as a server or a browser stay in
        # one worker). Files run in collection order, the longest first (tests/conftest.py).
        exec "$PY" -m pytest -n "${BESMART_TEST_WORKERS:-2}" --dist loadfile --no-loadscope-reorder "$@"
        ;;
    *)
        echo "usage: ./dev.sh up | ./dev.sh test [pytest args]" >&2
        exit 2
        ;;
esac
