#!/bin/sh
# bench/study_bench.sh -- event-study throughput vs pandas/statsmodels; see
# bench/study_bench.py.  Full size: 5,000 firms x 50 events.
set -eu
cd "$(dirname "$0")/.."
AFTERSHOCK_BIN=${AFTERSHOCK_BIN:-./aftershock} /usr/bin/python3 bench/study_bench.py 5000 50 500 \
    | tee bench/out/study_bench.txt
