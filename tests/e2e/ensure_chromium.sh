#!/bin/sh
# Make sure Debian's Chromium is at /usr/bin/chromium for the end-to-end UI tests (`./dev.sh test` runs this
# when it is missing). Idempotent and quiet: does nothing when it is already installed. Installs with apt-get,
# directly as root (a container, CI) or through sudo otherwise. Never uses `playwright install`.
set -eu
if [ -x /usr/bin/chromium ]; then
    exit 0
fi
fail() {
    echo "ensure_chromium: $1; install Debian's chromium package (apt-get install chromium) and run again" >&2
    exit 1
}
command -v apt-get >/dev/null 2>&1 || fail "no apt-get on this machine"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || fail "not root and no sudo"
    SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq chromium >/dev/null
[ -x /usr/bin/chromium ] || fail "/usr/bin/chromium still missing after apt-get install chromium"
