#!/usr/bin/env bash
# Millions of instructions one request of each page takes, counted by callgrind: the same for the same
# work whatever else the machine is doing, where milliseconds vary by two and a half times within an hour.
# Runs the pages 2 and 7 times in two processes and divides the difference by 5 (start-up taken out).
#
#   scripts/instructions.sh scale-ics-admin /admin/roles/advertround/786/change/ /admin/governance/board/6/change/
#
# Uses the settings of the environment (DATABASE_URL ...); needs valgrind. About 40 s a page on 2 cores.
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind is not installed (Debian: apt-get install valgrind)" >&2; exit 2; }
[ $# -ge 2 ] || { sed -n 2,7p "$0" >&2; exit 2; }
user=$1; shift
export PYTHONHASHSEED=0
count() {
  local log
  log=$(mktemp)
  N=$1 valgrind --tool=callgrind --callgrind-out-file=/dev/null --log-file="$log" \
    .venv/bin/python scripts/request_pages.py "$user" "${@:2}" >&2
  awk '/Collected/ {gsub(",", "", $NF); print $NF}' "$log"
  rm -f "$log"
}
low=$(count 2 "$@")
high=$(count 7 "$@")
[ -n "$low" ] && [ -n "$high" ] || { echo "callgrind counted nothing: run scripts/request_pages.py alone to see why" >&2; exit 1; }
python3 -c "print(f'{($high - $low) / 5 / $# / 1e6:.1f} million instructions a request ($# page(s), as $user)')"
