#!/bin/sh
# Debian's Chromium for the browser tests (tests/browser/), installed once when missing. Called by `make test`.
#
# Idempotent: does nothing when $CHROMIUM (default /usr/bin/chromium) is there. As root with apt-get it installs the
# `chromium` package quietly. Anywhere else it only warns: the browser tests then fail with the same instructions
# (they never skip). `playwright install` is never used: its browser download does not work on these machines.
set -u
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
HINT="install it with: sudo apt-get install chromium (or set CHROMIUM to a Chromium binary)"

[ -x "$CHROMIUM" ] && exit 0

if [ "$CHROMIUM" != /usr/bin/chromium ]; then
    echo "warning: CHROMIUM=$CHROMIUM is not an executable file: the browser tests will fail; $HINT" >&2
    exit 0
fi
if [ "$(id -u 2>/dev/null)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "warning: /usr/bin/chromium is missing and only root with apt-get can install it here:" \
        "the browser tests will fail; $HINT" >&2
    exit 0
fi

echo "Installing Debian's chromium for the browser tests (apt-get install chromium, once)..."
log="$(mktemp)"
if DEBIAN_FRONTEND=noninteractive apt-get update -qq >"$log" 2>&1 &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >>"$log" 2>&1; then
    rm -f "$log"
    echo "Installed: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
else
    tail -n 20 "$log" >&2
    rm -f "$log"
    echo "warning: apt-get could not install chromium (output above): the browser tests will fail; $HINT" >&2
fi
exit 0
