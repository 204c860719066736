#!/bin/sh
# train_summarize_bench.sh -- guarded summaries for 500 stocks with the
# built-in model: batched decoding against one stock at a time (the peer),
# same process, same prompts; see bench/train_summarize.c.
set -eu
MODEL=model/weights/aftershock-summary.gguf
if [ ! -f "$MODEL" ]; then
    echo "skip: $MODEL not found (make model)"
    exit 0
fi
build/bench/train_summarize "$MODEL" 500 2 | tee bench/out/train_summarize.txt
