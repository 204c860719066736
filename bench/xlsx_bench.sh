#!/bin/sh
# bench/xlsx_bench.sh -- a 1M-cell sheet (100,000 rows x 10 columns:
# integer, numbers, strings, dates): our writer (build/bench/xlsx_bench, the
# cell code of `aftershock sql`) vs Python XlsxWriter, both in constant-
# memory mode, same data, same machine, alternating runs; prints the median
# seconds of each and the ratio (goal >= 5x).  Both files are then read back
# with openpyxl and compared cell by cell on the first 1,000 rows.
#
#   sh bench/xlsx_bench.sh [ROWS] [RUNS]      (defaults 100000, 5)
set -eu
cd "$(dirname "$0")/.."
ROWS=${1:-100000}
RUNS=${2:-5}
make -s build/bench/xlsx_bench
mkdir -p bench/out
OUT=$(mktemp -d /tmp/xlsx-bench.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
ours=""; peer=""
i=0
while [ "$i" -lt "$RUNS" ]; do
    ours="$ours $(build/bench/xlsx_bench "$OUT/ours.xlsx" "$ROWS" | tr ' ' '/')"
    peer="$peer $(/usr/bin/python3 bench/xlsx_bench.py "$OUT/peer.xlsx" "$ROWS" | tr ' ' '/')"
    i=$((i + 1))
done
/usr/bin/python3 - "$OUT/ours.xlsx" "$OUT/peer.xlsx" "$ROWS" "$ours" "$peer" <<'PY' | tee bench/out/xlsx_bench.txt
import statistics, sys
import openpyxl
a, b, rows, ours, peer = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
ours = [tuple(float(v) for v in x.split("/")) for x in ours.split()]
peer = [tuple(float(v) for v in x.split("/")) for x in peer.split()]
ra = openpyxl.load_workbook(a, read_only=True)["Result"].iter_rows(max_row=1001, values_only=True)
rb = openpyxl.load_workbook(b, read_only=True)["Result"].iter_rows(max_row=1001, values_only=True)
same = all(x == y for x, y in zip(ra, rb))
print("xlsx 1M-cell sheet: %d rows x 10 columns, %d runs each (medians)" % (rows, len(ours)))
for k, what in ((0, "wall"), (1, "CPU ")):
    mo = statistics.median(x[k] for x in ours)
    mp = statistics.median(x[k] for x in peer)
    print("  %s: aftershock %.3f s, Python XlsxWriter %.3f s: %.1fx faster (goal >= 5x)"
          % (what, mo, mp, mp / mo))
print("  first 1000 rows identical when read back by openpyxl: %s" % same)
PY
