#!/bin/sh
# bench/run.sh -- runs every benchmark script bench/*_bench.sh in turn.
# Each script compares aftershock against a peer in the same script on the
# same data and prints medians and the ratio; results also land in
# bench/out/ (gitignored).  `make bench` builds first and calls this.
set -eu
cd "$(dirname "$0")/.."
mkdir -p bench/out
status=0
for b in bench/*_bench.sh; do
    [ -f "$b" ] || continue
    echo "== $b"
    sh "$b" || status=1
done
exit $status
