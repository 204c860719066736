#!/bin/sh
# bench/ingest_copy_bench.sh -- loading 1M daily price rows: our ingest
# (`aftershock ingest prices --source csv`, file://, staging COPY + upsert,
# one transaction) against psql's `\copy` of the same CSV straight into the
# same `prices` table, in the same throwaway cluster.
#
# The CSV is synthetic (1000 tickers x 1000 days, prices with 4 decimals) and
# carries a `source` column so both paths load identical rows.  Each path
# runs ROUNDS times into an emptied table; the script prints the medians,
# both rates and the ratio ours/psql (goal >= 0.8).  It starts and removes
# its own embedded cluster under a temporary AFTERSHOCK_HOME.
set -eu
cd "$(dirname "$0")/.."
ROWS_TICKERS=${ROWS_TICKERS:-1000}
ROWS_DAYS=${ROWS_DAYS:-1000}
ROUNDS=${ROUNDS:-3}
BIN=${AFTERSHOCK_BIN:-$(pwd)/aftershock}
OUT=bench/out
mkdir -p "$OUT"
TMP=$(mktemp -d /tmp/aftershock-bench.XXXXXX)
chmod 0755 "$TMP"
export AFTERSHOCK_HOME="$TMP/home"
cleanup() {
    "$BIN" db stop >/dev/null 2>&1 || true
    rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

CSV="$TMP/prices_1m.csv"
awk -v nt="$ROWS_TICKERS" -v nd="$ROWS_DAYS" 'BEGIN {
    print "date,ticker,open,high,low,close,adj_close,volume,source"
    srand(42)
    for (t = 0; t < nt; t++) {
        p = 20 + 200 * rand()
        for (d = 0; d < nd; d++) {
            # calendar days from 2001-01-01 (the loader does not care about weekends)
            day = d; y = 2001; m = 1; dd = 1
            split("31 28 31 30 31 30 31 31 30 31 30 31", ml, " ")
            while (1) {
                yl = (y % 4 == 0) ? 366 : 365
                if (day < yl) break
                day -= yl; y++
            }
            ml[2] = (y % 4 == 0) ? 29 : 28
            while (day >= ml[m]) { day -= ml[m]; m++ }
            dd = day + 1
            o = p; c = p * (1 + (rand() - 0.5) / 25)
            h = (o > c ? o : c) * (1 + rand() / 100); l = (o < c ? o : c) * (1 - rand() / 100)
            printf "%04d-%02d-%02d,T%04d,%.4f,%.4f,%.4f,%.4f,%.6f,%d,csv\n", y, m, dd, t, o, h, l, c, c * 0.99, 1000000 + int(rand() * 9000000)
            p = c
        }
    }
}' >"$CSV"
NROWS=$(($(wc -l <"$CSV") - 1))

"$BIN" db start >/dev/null
URL=$("$BIN" db url)
export DATABASE_URL="$URL"
psql -X -q "$URL" -c "SELECT 1" >/dev/null

now_ms() { date +%s%3N; }
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

: >"$TMP/psql.ms"
: >"$TMP/ours.ms"
i=0
while [ "$i" -lt "$ROUNDS" ]; do
    psql -X -q "$URL" -c "TRUNCATE prices" -c "CHECKPOINT"
    t0=$(now_ms)
    psql -X -q "$URL" -c "\\copy prices (date, ticker, open, high, low, close, adj_close, volume, source) FROM '$CSV' WITH (FORMAT csv, HEADER)"
    t1=$(now_ms)
    echo $((t1 - t0)) >>"$TMP/psql.ms"

    psql -X -q "$URL" -c "TRUNCATE prices" -c "CHECKPOINT"
    t0=$(now_ms)
    "$BIN" -q ingest prices --source csv --base-url "file://$CSV" >/dev/null
    t1=$(now_ms)
    echo $((t1 - t0)) >>"$TMP/ours.ms"
    i=$((i + 1))
done
loaded=$(psql -X -At "$URL" -c "SELECT count(*) FROM prices")
[ "$loaded" -eq "$NROWS" ] || { echo "ingest loaded $loaded rows, expected $NROWS" >&2; exit 1; }

P=$(median <"$TMP/psql.ms")
O=$(median <"$TMP/ours.ms")
awk -v n="$NROWS" -v p="$P" -v o="$O" -v r="$ROUNDS" 'BEGIN {
    printf "ingest_copy: %d rows, median of %d rounds\n", n, r
    printf "  psql \\copy          %7d ms  %9.0f rows/s\n", p, n / (p / 1000)
    printf "  aftershock ingest   %7d ms  %9.0f rows/s\n", o, n / (o / 1000)
    printf "  ratio ours/psql     %7.2f   (goal >= 0.80)\n", p / o
}' | tee "$OUT/ingest_copy.txt"
