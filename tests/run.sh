#!/bin/sh
# tests/run.sh -- runs every cmocka test program and prints one closing line
# "N passed, N failed, N skipped".
#
# It starts one throwaway PostgreSQL cluster for the whole run through
# aftershock's own embedded-cluster code (`aftershock db start` with a
# temporary AFTERSHOCK_HOME) and exports its URL as AS_TEST_DB; tests that
# need a database use it, each in a schema or database of its own.  The
# cluster and its directory are removed on exit, whatever happens.
set -u
BUILD=${TEST_BUILD:-build}
BIN=${AFTERSHOCK_BIN:-$(pwd)/aftershock}
export AFTERSHOCK_BIN="$BIN"
export AS_SRC_DIR="$(pwd)"
export AS_SHARED_DIR="${AS_SHARED_DIR:-$(cd .. && pwd)/shared}"
# The counts below are read from cmocka's standard summary lines; an XML,
# TAP or subunit format chosen in the environment would hide them.
export CMOCKA_MESSAGE_OUTPUT=STDOUT
unset CMOCKA_XML_FILE

TMP=$(mktemp -d /tmp/aftershock-test.XXXXXX)
chmod 0755 "$TMP"
export AS_TEST_TMP="$TMP"
cleanup() {
    if [ -n "${AS_TEST_DB:-}" ]; then
        AFTERSHOCK_HOME="$TMP/home" "$BIN" db stop >/dev/null 2>&1 || true
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

if "$BIN" db -h >/dev/null 2>&1; then
    if AFTERSHOCK_PG_FAST=1 AFTERSHOCK_HOME="$TMP/home" "$BIN" db start >"$TMP/db-start.log" 2>&1; then
        AS_TEST_DB=$(AFTERSHOCK_HOME="$TMP/home" "$BIN" db url)
        export AS_TEST_DB
    else
        echo "tests: cannot start the throwaway PostgreSQL cluster:" >&2
        cat "$TMP/db-start.log" >&2
        echo "0 passed, 1 failed"
        exit 1
    fi
fi

passed=0; failed=0; skipped=0; failed_names=""
# Every tests/test_*.c must have been built: a missing program is a failure,
# never a silent "0 passed, 0 failed".
for src in tests/test_*.c; do
    t="$BUILD/tests/$(basename "$src" .c)"
    name=$(basename "$t")
    if [ ! -x "$t" ]; then
        printf '%-34s not built (%s missing)\n' "$name" "$t"
        failed=$((failed + 1)); failed_names="$failed_names $name"
        continue
    fi
    log="$TMP/$name.log"
    start=$(date +%s)
    "$t" >"$log" 2>&1
    rc=$?
    end=$(date +%s)
    p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
    f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
    s=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
    p=${p:-0}; f=${f:-0}; s=${s:-0}
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1   # crashed or exited before cmocka's summary
    elif [ "$p" -eq 0 ] && [ "$f" -eq 0 ] && [ "$s" -eq 0 ]; then
        f=1   # no summary at all: nothing this program did was counted
        echo "tests: $name printed no cmocka summary" >>"$log"
    fi
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
    printf '%-34s %3d passed %3d failed %3d skipped  (%ss)\n' "$name" "$p" "$f" "$s" $((end - start))
    if [ "$f" -ne 0 ]; then
        failed_names="$failed_names $name"
        sed 's/^/    | /' "$log" | grep -v '^    | \[ \(RUN\|      OK\) ' | tail -n 60
    elif [ "$s" -ne 0 ]; then
        grep -i 'skip' "$log" | grep -v '^\[' | sed 's/^/    | /' | head -n 5
    fi
done
[ -n "$failed_names" ] && echo "failed:$failed_names"
if [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ]; then
    echo "tests: no test ran" >&2; failed=1
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
