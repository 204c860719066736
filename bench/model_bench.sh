#!/bin/sh
# bench/model_bench.sh -- CPU speed of the model engine against llama.cpp.
#
# Prefill (pp128) and decode (tg64) at THREADS=2, median of REPS runs, on
# stories260K (F32) and on synthetic files with the exact shapes of
# SmolLM2-135M and Qwen2.5-0.5B in Q8_0 and Q4_0 (speed does not depend on
# the weight values), plus batched decode of 32 sequences beside the
# single-stream figure of the same run, and for the models llama.cpp's table
# has one-thread rows for, pp128 and tg64 at one thread.  llama.cpp's figures for the same
# shapes, 2 threads, are read from ../shared/models/reference-outputs.md
# (llama-bench -p 128 -n 64 -t 2 -r 5, builds with and without OpenBLAS);
# the ratio is against the better of the two builds.  bench/membw.c gives
# the machine's memory bandwidth, and the decode bound printed is read
# bandwidth / weight bytes per token (at one thread, per CPU-second beside
# the per-CPU-second decode rate).  The load average at start and end is
# printed: the machine is shared, so read the figures with it; beside each
# wall-clock rate is the rate per CPU-second of the process, which the
# other programs' slices do not dilute (our own spin waits are in it).
# With BASE_BIN set (an older build of aftershock), each figure is also
# taken with that binary right after ours, and the ratio ours / base shows
# what changed on the same machine in the same minute.  Results go to
# stdout and bench/out/model_bench.txt; synth files stay in bench/out/.
set -eu
BIN=${AFTERSHOCK_BIN:-./aftershock}
BASE=${BASE_BIN:-}
OUT=bench/out
REF=${AS_SHARED_DIR:-../shared}/models/reference-outputs.md
T=${THREADS:-2}
REPS=${REPS:-3}
mkdir -p "$OUT"
TXT="$OUT/model_bench.txt"
TMP="$TXT.tmp"
: > "$TMP"
say() { echo "$*" | tee -a "$TMP"; }

cc -std=c11 -D_GNU_SOURCE -O2 -march=native -pthread bench/membw.c -o "$OUT/membw"
say "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
BW=$("$OUT/membw" "$T" 9 2>/dev/null)
say "memory bandwidth, $T threads, median of 9 (GB/s): $(echo "$BW" | tr '\n' ' ')"
READ_GBS=$(echo "$BW" | awk '$1 == "read_gbs" { print $2 }')
BW1=$("$OUT/membw" 1 9 2>/dev/null)
say "memory bandwidth, 1 thread, median of 9, per CPU-second (GB/s): $(echo "$BW1" | grep _cpu | tr '\n' ' ')"
READ1_CPU=$(echo "$BW1" | awk '$1 == "read_gbs_cpu" { print $2 }')

synth() { # name arch dim layers heads kv ffn vocab type
    f="$OUT/$1.gguf"
    [ -f "$f" ] || "$BIN" -q model synth --arch "$2" --dim "$3" --layers "$4" --heads "$5" \
        --kv-heads "$6" --ffn "$7" --vocab "$8" --type "$9" -o "$f" >&2
    echo "$f"
}

# llama.cpp t/s for model row $1 (as llama-bench names it) and test $2, the
# better of the two builds' 2-thread rows; "-" when the file lacks it.
llama_ref() { # model test [threads]
    [ -f "$REF" ] || { echo "-"; return; }
    awk -F'|' -v m="$1" -v t="$2" -v th="${3:-$T}" '
        { gsub(/^ +| +$/, "", $2); gsub(/ /, "", $6); gsub(/ /, "", $7) }
        $2 == m && $6 == th && $7 == t { split($8, v, "±"); x = v[1] + 0; if (x > best) best = x }
        END { if (best > 0) printf "%.2f", best; else print "-" }' "$REF"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == "-" || b == 0) print "-"; else printf "%.2f", a / b }'; }

say ""
say "$(printf '%-22s %-6s %10s %10s %7s %10s %10s %7s' model test ours llama.cpp ratio per-cpu-s base ours/base)"
# rate PATTERN FIELD OUTPUT: field FIELD of the line of `model bench` OUTPUT
# that matches PATTERN; cpurate PATTERN OUTPUT: that line's per-CPU-second rate
rate() { echo "$3" | awk -v p="$1" -v f="$2" '$0 ~ p { print $f }'; }
cpurate() { echo "$2" | awk -v p="$1" '$0 ~ p { sub(/.*\(/, ""); print $1 }'; }
line() { # label test ours llama per-cpu base: one table row on stdout
    printf '%-22s %-6s %10.2f %10s %7s %10.2f %10s %7s' "$1" "$2" "$3" "$4" "$(ratio "$3" "$4")" \
        "$5" "${6:--}" "$(ratio "$3" "${6:--}")"
}
run() { # label file llama-bench-name
    r=$("$BIN" model bench "$2" --pp 128 --tg 64 -t "$T" --reps "$REPS")
    rb=""
    [ -z "$BASE" ] || rb=$("$BASE" model bench "$2" --pp 128 --tg 64 -t "$T" --reps "$REPS")
    mib=$(echo "$r" | sed -n 's/.*, \([0-9.]*\) MiB of weights read per token.*/\1/p')
    say "$(line "$1" pp128 "$(rate '^pp128:' 2 "$r")" "$(llama_ref "$3" pp128)" "$(cpurate '^pp128:' "$r")" \
        "$(rate '^pp128:' 2 "$rb")")"
    tg=$(rate '^tg64' 4 "$r")
    say "$(line "$1" tg64 "$tg" "$(llama_ref "$3" tg64)" "$(cpurate '^tg64' "$r")" "$(rate '^tg64' 4 "$rb")")"
    bound=$(awk -v g="$READ_GBS" -v m="$mib" 'BEGIN { printf "%.1f", g * 1e9 / (m * 1048576) }')
    say "$(printf '%-22s %-6s %10s %10s %7s' "$1" bound "$bound" "" "$(ratio "$tg" "$bound")")  (decode bound: $mib MiB per token at $READ_GBS GB/s)"
    b=$("$BIN" model bench "$2" --pp 0 --tg 16 --batch 32 -t "$T" --reps "$REPS")
    s1=$("$BIN" model bench "$2" --pp 0 --tg 16 -t "$T" --reps "$REPS")
    bb=$(rate '^tg16' 4 "$b")
    s1r=$(rate '^tg16' 4 "$s1")
    say "$(printf '%-22s %-6s %10.2f %10.2f %7s %10.2f %10s' "$1" tg-b32 "$bb" "$s1r" "$(ratio "$bb" "$s1r")" \
        "$(cpurate '^tg16' "$b")" "")  (32 sequences vs one, back to back)"
    # the same at one thread, per CPU-second: what a loaded 2-core machine
    # can still measure (two threads lose whole time slices at every join)
    b=$("$BIN" model bench "$2" --pp 0 --tg 16 --batch 32 -t 1 --reps "$REPS")
    s1=$("$BIN" model bench "$2" --pp 0 --tg 16 -t 1 --reps "$REPS")
    bb=$(cpurate '^tg16' "$b")
    s1r=$(cpurate '^tg16' "$s1")
    say "$(printf '%-22s %-6s %10.2f %10.2f %7s' "$1" b32-t1 "$bb" "$s1r" "$(ratio "$bb" "$s1r")")  (one thread, per CPU-second: 32 sequences vs one)"
    # one thread, where llama.cpp's table has one-thread rows
    l1=$(llama_ref "$3" pp128 1)
    [ "$l1" != "-" ] || return 0
    r=$("$BIN" model bench "$2" --pp 128 --tg 64 -t 1 --reps "$REPS")
    c=$(cpurate '^pp128:' "$r")
    say "$(line "$1" pp-t1 "$(rate '^pp128:' 2 "$r")" "$l1" "$c" "")  (per CPU-second / llama.cpp: $(ratio "$c" "$l1"))"
    l1=$(llama_ref "$3" tg64 1)
    c=$(cpurate '^tg64' "$r")
    b1=$(awk -v g="$READ1_CPU" -v m="$mib" 'BEGIN { printf "%.1f", g * 1e9 / (m * 1048576) }')
    say "$(line "$1" tg-t1 "$(rate '^tg64' 4 "$r")" "$l1" "$c" "")  (per CPU-second / llama.cpp: $(ratio "$c" "$l1"); / one-thread bound $b1: $(ratio "$c" "$b1"))"
}

run stories260K-F32 "${AS_SHARED_DIR:-../shared}/models/stories260K.gguf" "llama ?B all F32 (guessed)"
for ty in Q8_0 Q4_0; do
    run "smollm2-135m-$ty" "$(synth "smollm2-135m-$ty" llama 576 30 9 3 1536 49152 $ty)" "llama ?B $ty"
    run "qwen2.5-0.5b-$ty" "$(synth "qwen2.5-0.5b-$ty" qwen2 896 24 14 2 4864 151936 $ty)" "qwen2 1B $ty"
done
say ""
say "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
mv "$TMP" "$TXT"
