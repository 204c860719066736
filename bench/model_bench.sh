#!/bin/sh
# bench/model_bench.sh -- prefill (pp128) and decode (tg64) speed of the
# model engine, 2 threads, median of 3 runs, on stories260K and on synthetic
# files with the shapes of SmolLM2-135M and Qwen2.5-0.5B in Q8_0 and Q4_0,
# plus batched decode of 32 sequences, printed beside the single-stream
# figure of the same run so the ratio needs no other machine's numbers.
# llama.cpp's figures for the same shapes are in
# ../shared/models/reference-outputs.md.  Synth files go to bench/out/.
set -eu
BIN=${AFTERSHOCK_BIN:-./aftershock}
OUT=bench/out
mkdir -p "$OUT"
T=${THREADS:-2}
REPS=${REPS:-3}
synth() { # name arch dim layers heads kv ffn vocab type
    f="$OUT/$1.gguf"
    [ -f "$f" ] || "$BIN" -q model synth --arch "$2" --dim "$3" --layers "$4" --heads "$5" \
        --kv-heads "$6" --ffn "$7" --vocab "$8" --type "$9" -o "$f"
    echo "$f"
}
run() {
    echo "== $1"
    "$BIN" model bench "$1" --pp 128 --tg 64 -t "$T" --reps "$REPS"
    "$BIN" model bench "$1" --pp 0 --tg 16 --batch 32 -t "$T" --reps "$REPS" | tail -n 1
}
run "${AS_SHARED_DIR:-../shared}/models/stories260K.gguf"
for ty in Q8_0 Q4_0; do
    run "$(synth smollm2-135m-$ty llama 576 30 9 3 1536 49152 $ty)"
    run "$(synth qwen2.5-0.5b-$ty qwen2 896 24 14 2 4864 151936 $ty)"
done
