#!/bin/sh
# bench/ingest_copy_bench.sh -- loading 1M daily price rows with
# `aftershock ingest prices --source csv` (file://, one transaction) against
# psql doing the same job, in the same throwaway cluster, three ways:
#
#   empty      into an empty `prices`: our direct binary COPY against psql's
#              `\copy prices FROM csv`.
#   unchanged  the nightly case: `prices` already holds the same 1M rows and
#              nothing changes.  Peer: psql `\copy` into a TEMP staging table,
#              then INSERT ... ON CONFLICT (ticker, date) DO UPDATE ... WHERE
#              (stored row) IS DISTINCT FROM (EXCLUDED row), in one
#              transaction (psql -1), which is what the issue asks a loader to
#              do; ours goes through its staging + upsert path.
#   changed    as unchanged, but the CSV has every CHANGE_EVERY-th row's
#              adj_close changed (a provider re-adjusting history after a
#              dividend): 10 % of the rows by default.
#
# The CSV is synthetic (1000 tickers x 1000 days, 4-decimal prices) and has a
# `source` column so both sides store identical rows.  Before every single
# measurement the table is reset the same way (TRUNCATE; for the populated
# scenarios psql \copy of the base CSV and VACUUM ANALYZE; CHECKPOINT), and
# the order ours/peer alternates each round so drift on a shared machine hits
# both.  Autovacuum is off so that no worker's CPU lands in a measurement.
#
# Reported per scenario, median of ROUNDS: wall ms and CPU ms, where CPU is
# the client process (psql or aftershock) plus the whole server (postmaster,
# its live children, and its reaped backends' cutime/cstime from /proc),
# rates, and the ratio ours/peer of the rates (goal >= 0.8).  The counts our
# ingest prints (inserted/updated/unchanged) and the table's contents are
# checked against the peer's (row count and an order-independent hash sum).  Starts and removes its own embedded cluster
# under a temporary AFTERSHOCK_HOME.
set -eu
cd "$(dirname "$0")/.."
ROWS_TICKERS=${ROWS_TICKERS:-1000}
ROWS_DAYS=${ROWS_DAYS:-1000}
ROUNDS=${ROUNDS:-3}
CHANGE_EVERY=${CHANGE_EVERY:-10}
SCENARIOS=${SCENARIOS:-empty unchanged changed}
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
CSV2="$TMP/prices_1m_changed.csv"
awk -v nt="$ROWS_TICKERS" -v nd="$ROWS_DAYS" -v every="$CHANGE_EVERY" -v f2="$CSV2" 'BEGIN {
    hdr = "date,ticker,open,high,low,close,adj_close,volume,source"
    print hdr; print hdr > f2
    srand(42)
    split("31 28 31 30 31 30 31 31 30 31 30 31", ml, " ")
    k = 0
    for (t = 0; t < nt; t++) {
        p = 20 + 200 * rand()
        for (d = 0; d < nd; d++) {
            # calendar days from 2001-01-01 (the loader does not care about weekends)
            day = d; y = 2001; m = 1
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
            v = 1000000 + int(rand() * 9000000)
            line = sprintf("%04d-%02d-%02d,T%04d,%.4f,%.4f,%.4f,%.4f", y, m, dd, t, o, h, l, c)
            printf "%s,%.6f,%d,csv\n", line, c * 0.99, v
            printf "%s,%.6f,%d,csv\n", line, c * ((k++ % every) == 0 ? 0.985 : 0.99), v > f2
            p = c
        }
    }
}' >"$CSV"
NROWS=$(($(wc -l <"$CSV") - 1))
NCHANGED=$(((NROWS + CHANGE_EVERY - 1) / CHANGE_EVERY))

"$BIN" -q db start >/dev/null
URL=$("$BIN" db url)
export DATABASE_URL="$URL"
PSQL="psql -X -q -v ON_ERROR_STOP=1"
$PSQL "$URL" -c "ALTER SYSTEM SET autovacuum = off" -c "SELECT pg_reload_conf()" >/dev/null
PM=$(head -n 1 "$AFTERSHOCK_HOME/pgdata/postmaster.pid")
TCK=$(getconf CLK_TCK)

now_ms() { date +%s%3N; }
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

# CPU ticks so far of the server (postmaster, live children, reaped
# children) plus this shell's reaped children (the client just run).
cpu_ticks() {
    { cat "/proc/$PM/stat"; for c in $(pgrep -P "$PM"); do cat "/proc/$c/stat" 2>/dev/null || true; done
      cat "/proc/$$/stat"; } | awk -v pm="$PM" -v sh="$$" '{
        pid = $1; sub(/^.*\) /, "")
        s += $12 + $13
        if (pid == pm || pid == sh) s += $14 + $15
    } END { print s }'
}

# Wait until no client backend is left, not even as a zombie: a backend
# exits after its client does, /proc shows a zombie's CPU as 0, and the CPU
# reaches the postmaster's cutime only once it is reaped, so a session
# still exiting would be missed by one measurement or land in the next.
backends_gone() {
    n=0
    while [ "$n" -lt 200 ]; do
        busy=0
        for c in $(pgrep -P "$PM"); do
            case $(tr '\0' ' ' 2>/dev/null <"/proc/$c/cmdline") in *"[local]"*) busy=1 ;; esac
            case $(sed 's/^.*) //' 2>/dev/null <"/proc/$c/stat") in Z*) busy=1 ;; esac
        done
        [ "$busy" -eq 0 ] && return 0
        sleep 0.05; n=$((n + 1))
    done
}

# measure NAME CMD...: run CMD, append "wall_ms cpu_ms" to $TMP/NAME.
measure() {
    name=$1; shift
    backends_gone
    c0=$(cpu_ticks); t0=$(now_ms)
    "$@"
    t1=$(now_ms)
    backends_gone
    c1=$(cpu_ticks)
    echo "$((t1 - t0)) $(((c1 - c0) * 1000 / TCK))" >>"$TMP/$name"
}

reset_table() { # empty | populated
    if [ "$1" = populated ]; then
        $PSQL "$URL" -c "TRUNCATE prices" \
            -c "\\copy prices (date, ticker, open, high, low, close, adj_close, volume, source) FROM '$CSV' WITH (FORMAT csv, HEADER)" \
            -c "VACUUM ANALYZE prices" -c "CHECKPOINT"
    else
        $PSQL "$URL" -c "TRUNCATE prices" -c "CHECKPOINT"
    fi
}

peer_copy() {
    $PSQL "$URL" -c "\\copy prices (date, ticker, open, high, low, close, adj_close, volume, source) FROM '$1' WITH (FORMAT csv, HEADER)"
}

# The same session settings as ours (ingest.c session_prepare), so that the
# comparison is of the method, not of the knobs.
peer_upsert() {
    $PSQL -1 "$URL" <<EOF
SET temp_buffers = '256MB';
CREATE TEMP TABLE stage (ticker text, date date, open float8, high float8, low float8,
                         close float8, adj_close float8, volume bigint, source text) ON COMMIT DROP;
\\copy stage (date, ticker, open, high, low, close, adj_close, volume, source) FROM '$1' WITH (FORMAT csv, HEADER)
INSERT INTO prices AS p (ticker, date, open, high, low, close, adj_close, volume, source)
SELECT ticker, date, open, high, low, close, adj_close, volume, source FROM stage
ON CONFLICT (ticker, date) DO UPDATE SET open = EXCLUDED.open, high = EXCLUDED.high,
    low = EXCLUDED.low, close = EXCLUDED.close, adj_close = EXCLUDED.adj_close,
    volume = EXCLUDED.volume, source = EXCLUDED.source, ingested_at = now()
WHERE (p.open, p.high, p.low, p.close, p.adj_close, p.volume, p.source)
    IS DISTINCT FROM (EXCLUDED.open, EXCLUDED.high, EXCLUDED.low, EXCLUDED.close,
                      EXCLUDED.adj_close, EXCLUDED.volume, EXCLUDED.source);
EOF
}

ours() {
    "$BIN" -q ingest prices --source csv --base-url "file://$1" >"$TMP/ours.out"
}

# The counts our ingest printed, "inserted N, updated N, unchanged N".
ours_counts() { sed -n 's/.*\(inserted [0-9]*, updated [0-9]*, unchanged [0-9]*\).*/\1/p' "$TMP/ours.out"; }

table_sum() {
    # order-independent and exact: float8 prints its shortest round-trip text
    $PSQL -At "$URL" -c "SELECT count(*) || ' ' || sum(hashtext(concat_ws('|', ticker, date, open, high, low, close, adj_close, volume, source))::bigint) FROM prices"
}

check() { # scenario what expected actual
    [ "$3" = "$4" ] || { echo "ingest_copy: $1: $2 is '$4', expected '$3'" >&2; exit 1; }
}

run_one() { # scenario side
    case $1 in
    empty) reset_table empty; csv=$CSV; peer=peer_copy; want="inserted $NROWS, updated 0, unchanged 0" ;;
    unchanged) reset_table populated; csv=$CSV; peer=peer_upsert; want="inserted 0, updated 0, unchanged $NROWS" ;;
    changed) reset_table populated; csv=$CSV2; peer=peer_upsert
             want="inserted 0, updated $NCHANGED, unchanged $((NROWS - NCHANGED))" ;;
    esac
    if [ "$2" = peer ]; then
        measure "$1.peer" "$peer" "$csv"
        table_sum >"$TMP/$1.peer.sum"
    else
        measure "$1.ours" ours "$csv"
        check "$1" "the ingest's counts" "$want" "$(ours_counts)"
        table_sum >"$TMP/$1.ours.sum"
        check "$1" "count and hash sum of prices" "$(cat "$TMP/$1.peer.sum" 2>/dev/null || table_sum)" \
            "$(cat "$TMP/$1.ours.sum")"
    fi
}

i=0
while [ "$i" -lt "$ROUNDS" ]; do
    for s in $SCENARIOS; do
        if [ $((i % 2)) -eq 0 ]; then
            run_one "$s" peer; run_one "$s" ours
        else
            rm -f "$TMP/$s.peer.sum"; run_one "$s" ours; run_one "$s" peer
            check "$s" "count and hash sum of prices after psql" "$(cat "$TMP/$s.ours.sum")" \
                "$(cat "$TMP/$s.peer.sum")"
        fi
    done
    i=$((i + 1))
done

{
    printf 'ingest_copy: %d rows (%d changed in "changed"), median of %d alternating rounds\n' \
        "$NROWS" "$NCHANGED" "$ROUNDS"
    printf '  %-10s %-6s %8s %8s %10s %9s %9s\n' scenario side wall_ms cpu_ms rows/s ours/peer cpu_ratio
    for s in $SCENARIOS; do
        pw=$(cut -d' ' -f1 "$TMP/$s.peer" | median); pc=$(cut -d' ' -f2 "$TMP/$s.peer" | median)
        ow=$(cut -d' ' -f1 "$TMP/$s.ours" | median); oc=$(cut -d' ' -f2 "$TMP/$s.ours" | median)
        awk -v s="$s" -v n="$NROWS" -v pw="$pw" -v pc="$pc" -v ow="$ow" -v oc="$oc" 'BEGIN {
            printf "  %-10s %-6s %8d %8d %10.0f\n", s, "psql", pw, pc, n / (pw / 1000)
            printf "  %-10s %-6s %8d %8d %10.0f %9.2f %9.2f\n", s, "ours", ow, oc, n / (ow / 1000), pw / ow, pc / oc
        }'
    done
    echo "  (ours/peer: rate ratio from wall time, goal >= 0.80; cpu_ratio: peer CPU / our CPU)"
    for s in $SCENARIOS; do
        printf '  %s rounds, wall/cpu ms: psql%s; ours%s\n' "$s" \
            "$(awk '{ printf " %s/%s", $1, $2 }' "$TMP/$s.peer")" \
            "$(awk '{ printf " %s/%s", $1, $2 }' "$TMP/$s.ours")"
    done
} | tee "$OUT/ingest_copy.txt"
