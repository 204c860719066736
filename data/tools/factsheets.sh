#!/bin/sh
# data/tools/factsheets.sh -- regenerates data/factsheets/*.txt, the fact
# sheets of real study results that `aftershock model distill --real-facts`
# trains on, with the project's own code and nothing else: `aftershock demo`
# on the bundled data (ingest, events detect, study of 2025-01-27) into a
# throwaway embedded cluster, then `aftershock summarize --event D
# --show-facts` for each session listed below (the study of D is run and
# stored first when none is, with the default [study] settings).
#
#   sh data/tools/factsheets.sh [./aftershock]     # from the repository root
#
# Each file is written to a temporary name and renamed; the cluster and its
# directory are removed on exit, whatever happens.  Deterministic: the same
# data and code give the same bytes (tests/test_summary_realfacts.c checks
# the committed files against the code).
set -eu
BIN=${1:-./aftershock}
OUT=data/factsheets
# 2025-01-21: the session the DeepSeek-R1 release (Monday 2025-01-20, a US
# holiday) maps to; 2025-01-27: the sell-off; 2025-01-28..2025-02-03: the
# sessions after it, whose sheets cite the week's news.
DATES="2025-01-21 2025-01-27 2025-01-28 2025-01-29 2025-01-30 2025-01-31 2025-02-03"
HOME_DIR=$(mktemp -d /tmp/aftershock-factsheets.XXXXXX)
cleanup() {
    AFTERSHOCK_HOME="$HOME_DIR" "$BIN" db stop >/dev/null 2>&1 || true
    rm -rf "$HOME_DIR"
}
trap cleanup EXIT INT TERM
export AFTERSHOCK_HOME="$HOME_DIR"
unset DATABASE_URL PGHOST PGDATABASE PGUSER PGPORT PGSERVICE || true
"$BIN" -q demo >/dev/null
mkdir -p "$OUT"
for d in $DATES; do
    "$BIN" -q summarize --event "$d" --show-facts >"$OUT/$d.txt.tmp"
    mv "$OUT/$d.txt.tmp" "$OUT/$d.txt"
    echo "$OUT/$d.txt: $(grep -c '^stock ' "$OUT/$d.txt") stocks"
done
