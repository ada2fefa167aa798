#!/bin/sh
# Runs every unit test binary (plain and ASan/UBSan builds) and every
# integration test script, sums their "N passed, N failed" closing lines and
# prints the total as the last line. Exit status is non-zero on any failure.
#   TESTS=pattern   run only the unit binaries / integration scripts matching it
cd "$(dirname "$0")/.." || exit 1
pass=0; fail=0; broken=""
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0"
export LSAN_OPTIONS="suppressions=$PWD/tests/unit/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
run_one() {
    name=$1; shift
    out=$(mktemp)
    "$@" >"$out" 2>&1
    rc=$?
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1)
    if [ -z "$line" ]; then
        echo "BROKEN $name (exit $rc, no summary line)"; tail -n 30 "$out"
        fail=$((fail + 1)); broken="$broken $name"
    else
        p=$(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/')
        f=$(echo "$line" | sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/')
        if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
        pass=$((pass + p)); fail=$((fail + f))
        if [ "$f" -ne 0 ]; then
            echo "FAIL   $name: $line (exit $rc)"; grep -E 'FAIL|ERROR|Sanitizer|runtime error|^not ok' "$out" | head -n 40
            broken="$broken $name"
        else
            echo "ok     $name: $line"
        fi
    fi
    rm -f "$out"
}
for t in build/test/test_* build/asan/test_*; do
    [ -x "$t" ] || continue
    case "$t" in *"${TESTS:-}"*) ;; *) continue ;; esac
    run_one "$t" "$t"
done
for t in tests/integration/test_*.sh; do
    [ -f "$t" ] || continue
    case "$t" in *"${TESTS:-}"*) ;; *) continue ;; esac
    run_one "$t" sh "$t"
done
[ -n "$broken" ] && echo "failing:$broken"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
