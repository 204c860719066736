#!/bin/sh
# bench/demo_bench.sh -- `aftershock demo` end to end (the nightly run for
# 2025-01-27 on the bundled data: ingest of 22 tickers and 2 news feeds by
# file://, event detection, the study of 15 stocks, their summaries, the
# workbook, delivery to the outbox), the issue's goal being < 10 s on 2 cores:
#   1. first run on a fresh AFTERSHOCK_HOME: initdb, server start,
#      migrations and the whole run, median of 5;
#   2. the run again on that home (a finished date: nothing to redo),
#      median of 5;
#   3. the peer: PostgreSQL's own cost of a fresh cluster, initdb and start
#      through the same code (`aftershock db start`), median of 5, run
#      alternately with 1 and 2 so the machine's load hits both, and the
#      ratio first run / cluster alone -- how much the pipeline adds to
#      what any program on a fresh embedded PostgreSQL pays.
# The cluster runs as `make demo` runs it (fsync on).  Each step's seconds
# come from v_runs of the last first run.
#
#   sh bench/demo_bench.sh
set -eu
cd "$(dirname "$0")/.."
make -s aftershock
BIN=$(pwd)/aftershock
mkdir -p bench/out
TMP=$(mktemp -d /tmp/demo-bench.XXXXXX)
chmod 755 "$TMP"
cleanup() {
    for h in "$TMP"/home*; do
        [ -d "$h" ] && AFTERSHOCK_HOME="$h" "$BIN" db stop >/dev/null 2>&1 || true
    done
    rm -rf "$TMP"
}
trap cleanup EXIT INT TERM
secs() { /usr/bin/time -f "%e" -o "$TMP/t" "$@" >/dev/null 2>"$TMP/err" || { cat "$TMP/err" >&2; exit 1; }; cat "$TMP/t"; }
median() { echo "$@" | tr ' ' '\n' | sort -n | sed -n 3p; }
: >"$TMP/none.conf"
first="" again="" peer=""
# No config file, no SMTP: the demo's own settings only.
export AFTERSHOCK_CONFIG="$TMP/none.conf"
# Peer and demo alternate, so a change in the machine's load hits both.
for i in 1 2 3 4 5; do
    export AFTERSHOCK_HOME="$TMP/peer$i"
    peer="$peer $(secs "$BIN" db start)"
    "$BIN" db stop >/dev/null 2>&1
    export AFTERSHOCK_HOME="$TMP/home$i"
    first="$first $(secs "$BIN" -q demo)"
    again="$again $(secs "$BIN" -q demo)"
    [ "$i" -lt 5 ] && "$BIN" db stop >/dev/null 2>&1
done
steps=$("$BIN" sql --format table "SELECT step, status, seconds, rows FROM v_runs WHERE run_date = '2025-01-27' ORDER BY seq")
"$BIN" db stop >/dev/null 2>&1
mf=$(median $first) ma=$(median $again) mp=$(median $peer)
{
echo "demo, fresh AFTERSHOCK_HOME (initdb + start + run): median $mf s (runs:$first)"
echo "demo again, same home (finished date):              median $ma s (runs:$again)"
echo "peer: fresh cluster alone (initdb + start):          median $mp s (runs:$peer)"
echo "ratio demo first run / cluster alone: $(echo "$mf $mp" | awk '{printf "%.2f", $1 / $2}')x;" \
     "pipeline on top of the cluster: $(echo "$mf $mp" | awk '{printf "%.2f", $1 - $2}') s"
echo "steps of the last first run:"
echo "$steps"
echo "cores: $(nproc); load average after the bench: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee bench/out/demo_bench.txt
