#!/usr/bin/env bash
# The two commands of README.md:
#   ./dev.sh up    install everything into .venv, then start the product
#   ./dev.sh test  install everything into .venv, then run the whole test suite
set -euo pipefail
cd "$(dirname "$0")"

PYTHON=${PYTHON:-python3}
VENV=.venv

install() {
    if [ ! -x "$VENV/bin/python" ]; then
        "$PYTHON" -m venv "$VENV"
    fi
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet -e ".[server,test,dev]"
}

case "${1:-}" in
    up)
        install
        shift
        exec "$VENV/bin/python" -m server up "$@"
        ;;
    test)
        install
        shift
        exec "$VENV/bin/python" -m pytest "$@"
        ;;
    *)
        echo "usage: ./dev.sh up | ./dev.sh test [pytest args]" >&2
        exit 2
        ;;
esac
