#!/bin/sh
# bench/xlsx_report_bench.sh -- figures for the event workbook on the
# bundled demo data (2025-01-27), in a throwaway embedded cluster:
#   1. `aftershock nightly` end to end on an empty database (ingest of 21
#      tickers and 2 news feeds from data/ by file://, event detection, the
#      stored study, the summaries, the workbook, delivery to an outbox),
#      with each step's time from the runs table;
#   2. the same nightly again (a finished date: nothing to do);
#   3. `aftershock report` alone (from the stored study), median of 5, and
#      the workbook's size.
# There is no peer here; bench/demo_bench.sh times `aftershock demo`
# itself against a fresh cluster alone.
#
#   sh bench/xlsx_report_bench.sh
set -eu
cd "$(dirname "$0")/.."
make -s aftershock
BIN=$(pwd)/aftershock
D=$(pwd)/data
mkdir -p bench/out
TMP=$(mktemp -d /tmp/report-bench.XXXXXX)
chmod 755 "$TMP"
export AFTERSHOCK_HOME="$TMP/home"
cleanup() { "$BIN" db stop >/dev/null 2>&1 || true; rm -rf "$TMP"; }
trap cleanup EXIT INT TERM
cat >"$TMP/aftershock.conf" <<CONF
[ingest]
price_source = csv
price_url = file://$D/prices/{ticker}.csv
news_feeds = rss file://$D/news/deepseek-2025-01.rss, json file://$D/news/deepseek-2025-01.json
[securities]
file = $D/securities.csv
shares_file = $D/shares_outstanding.csv
[report]
dir = $TMP/reports
outbox = $TMP/outbox
CONF
AFTERSHOCK_PG_FAST=1 "$BIN" db start >/dev/null 2>&1
"$BIN" db migrate >/dev/null
secs() { /usr/bin/time -f "%e" -o "$TMP/t" "$@" >/dev/null 2>&1; cat "$TMP/t"; }
{
echo "nightly 2025-01-27, empty database: $(secs "$BIN" --config "$TMP/aftershock.conf" nightly --date 2025-01-27) s"
"$BIN" sql --format table "SELECT step, status, seconds, rows FROM v_runs WHERE run_date = '2025-01-27'"
echo "nightly 2025-01-27 again (finished date): $(secs "$BIN" --config "$TMP/aftershock.conf" nightly --date 2025-01-27) s"
runs=""
for i in 1 2 3 4 5; do
    runs="$runs $(secs "$BIN" --config "$TMP/aftershock.conf" report --event 2025-01-27 -o "$TMP/r.xlsx")"
done
echo "report --event 2025-01-27: median $(echo $runs | tr ' ' '\n' | sort -n | sed -n 3p) s (runs:$runs)"
echo "workbook size: $(wc -c <"$TMP/r.xlsx") bytes"
echo "load average during the bench: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee bench/out/xlsx_report_bench.txt
