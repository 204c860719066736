#!/bin/sh
# bench/sql_bench.sh -- `aftershock sql` peak memory (GNU time's maximum
# resident set size) for 100,000 and 1,000,000 result rows of 4 columns
# (integer, numeric, text, date) to Excel and to CSV, against psql's default
# mode on the same query and server (psql holds the whole result in memory;
# aftershock streams: libpq single-row mode, libxlsxwriter constant_memory).
# Flat memory means the 1M-row figure is close to the 100k-row one.
# Uses a throwaway embedded cluster; prints a table and the ratio.
#
#   sh bench/sql_bench.sh
set -eu
cd "$(dirname "$0")/.."
make -s aftershock
BIN=$(pwd)/aftershock
mkdir -p bench/out
TMP=$(mktemp -d /tmp/sql-bench.XXXXXX)
chmod 755 "$TMP"
export AFTERSHOCK_HOME="$TMP/home"
cleanup() { "$BIN" db stop >/dev/null 2>&1 || true; rm -rf "$TMP"; }
trap cleanup EXIT INT TERM
AFTERSHOCK_PG_FAST=1 "$BIN" db start >/dev/null 2>&1
URL=$("$BIN" db url)

peak() { # command... -> "KB SECONDS"
    /usr/bin/time -f "%M %e" -o "$TMP/time" "$@" >/dev/null 2>"$TMP/err" || { cat "$TMP/err" >&2; exit 1; }
    cat "$TMP/time"
}
q() { echo "SELECT g AS id, g * 1.5 AS x, 'row ' || g AS t, DATE '2020-01-01' + g % 1000 AS d FROM generate_series(1, $1) g"; }
{
printf '%-34s %12s %10s\n' "command (rows)" "peak RSS KB" "seconds"
for n in 100000 1000000; do
    set -- $(peak "$BIN" sql "$(q $n)" -o "$TMP/out.xlsx")
    printf '%-34s %12s %10s\n' "aftershock sql -o x.xlsx ($n)" "$1" "$2"
    x1=$1
    set -- $(peak "$BIN" sql "$(q $n)" -o "$TMP/out.csv")
    printf '%-34s %12s %10s\n' "aftershock sql -o x.csv ($n)" "$1" "$2"
    set -- $(peak psql "$URL" -X -A -F, -c "$(q $n)" -o "$TMP/psql.csv")
    printf '%-34s %12s %10s\n' "psql -A -F, (peer) ($n)" "$1" "$2"
    eval "ours_$n=$x1 psql_$n=$1"
done
echo "xlsx peak RSS 1M vs 100k rows: $(awk "BEGIN{printf \"%.2f\", $ours_1000000/$ours_100000}")x (flat = about 1)"
echo "psql / aftershock xlsx peak RSS at 1M rows: $(awk "BEGIN{printf \"%.1f\", $psql_1000000/$ours_1000000}")x"
} | tee bench/out/sql_bench.txt
