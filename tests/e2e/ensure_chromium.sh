#!/bin/sh
# Make sure Debian's Chromium is at /usr/bin/chromium for the end-to-end UI tests.
# Idempotent and quiet: does nothing when it is already installed. Never uses `playwright install`.
set -eu
if [ -x /usr/bin/chromium ]; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq chromium >/dev/null
[ -x /usr/bin/chromium ] || { echo "ensure_chromium: /usr/bin/chromium still missing" >&2; exit 1; }
