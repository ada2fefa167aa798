#!/bin/sh
# make fuzz: runs each libFuzzer target for FUZZ_SECONDS (default 30) and
# fails on any crash or sanitizer report.
cd "$(dirname "$0")/.." || exit 1
secs=${FUZZ_SECONDS:-30}
rc=0
for t in "$@"; do
    name=$(basename "$t")
    mkdir -p "build/fuzz/corpus-$name"
    echo "== $name (${secs}s)"
    if "$t" -max_total_time="$secs" -print_final_stats=0 "build/fuzz/corpus-$name" >"build/fuzz/$name.log" 2>&1; then
        tail -n 1 "build/fuzz/$name.log"
    else
        echo "$name: FAILED (see build/fuzz/$name.log)"; tail -n 20 "build/fuzz/$name.log"; rc=1
    fi
done
exit $rc
