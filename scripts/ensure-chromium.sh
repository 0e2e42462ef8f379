#!/usr/bin/env bash
# Browser tests drive Debian's Chromium (never `playwright install`, which downloads).
# Install it when missing and we can; under CI a missing browser is an error, elsewhere the
# browser tests skip and say why.
set -u
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ -x "$CHROMIUM" ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Chromium is missing: installing Debian's chromium (about 15 s)…"
  if apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; then
    exit 0
  fi
fi
if [ "${CI:-}" = "true" ]; then
  echo "ERROR: Chromium is not at $CHROMIUM and could not be installed; CI runs the browser tests." >&2
  exit 1
fi
echo "Chromium is not installed and could not be installed here: browser tests will be skipped."
exit 0
