#!/bin/sh
# Runs the upstream conformance corpora and prints the pass count of each.
#   conformance.sh JOLT_DIR EL_DIR [--check]
# With --check, fails when a count is below the one recorded in
# tests/conformance-counts (raise the recorded counts as more pass).
cd "$(dirname "$0")/.." || exit 1
JOLT=$1; EL=$2; CHECK=${3:-}
rc=0
count() { grep -E "$1" "$2" | tail -n 1 | sed -E 's/.*: ([0-9]+) passed.*/\1/'; }
recorded() { sed -n "s/^$1=//p" tests/conformance-counts; }
run() {
    name=$1; bin=$2; dir=$3
    if [ ! -d "$dir" ]; then echo "$name: corpus $dir not found, skipped"; return; fi
    out=$(mktemp)
    "$bin" "$dir" >"$out" 2>&1
    cat "$out"
    got=$(count "^$name conformance:" "$out")
    want=$(recorded "$name")
    rm -f "$out"
    if [ -n "$CHECK" ]; then
        if [ -z "$got" ] || [ "$got" -lt "${want:-0}" ]; then
            echo "$name conformance: ${got:-no} passes, below the recorded $want"; rc=1
        else
            echo "$name conformance: $got passes (recorded $want)"
        fi
    fi
}
run jolt build/bin/jolt-conformance "$JOLT"
# Jolt against the Java library itself, when ../shared has it: every corpus
# case and the bench case through both, member order and number kind
# significant (the driver runs with constant identity hashes, see
# tools/jolt-conformance/java.c); each difference is printed. With --check
# any difference fails, and so does a count of identical cases below the
# recorded jolt-java. JOLT_JAVA=path/to/run overrides the driver.
JOLT_JAVA=${JOLT_JAVA:-../shared/bench/jolt-java/run}
if [ -d "$JOLT" ] && [ -x "$JOLT_JAVA" ]; then
    command -v java >/dev/null 2>&1 || sh scripts/install-deps.sh java
    jcase=$(dirname "$JOLT_JAVA")/../jolt-order-chain
    [ -f "$jcase/spec.json" ] || jcase=
    echo "== jolt vs the Java library ($JOLT_JAVA, one JVM per case: a few minutes)"
    out=$(mktemp)
    JAVA_OPTS=${JAVA_OPTS:--XX:TieredStopAtLevel=1 -XX:+UseSerialGC} \
        build/bin/jolt-conformance --java "$JOLT_JAVA" "$JOLT" $jcase | grep -E '^(JAVA-|  ours|  Java|jolt vs java)' >"$out"
    cat "$out"
    same=$(sed -n 's/^jolt vs java: \([0-9]*\) same, \([0-9]*\) differ.*/\1/p' "$out")
    differ=$(sed -n 's/^jolt vs java: \([0-9]*\) same, \([0-9]*\) differ.*/\2/p' "$out")
    rm -f "$out"
    if [ -n "$CHECK" ]; then
        want=$(recorded jolt-java)
        if [ -z "$same" ] || [ "$same" -lt "${want:-0}" ] || [ "$differ" != 0 ]; then
            echo "jolt vs java: ${same:-no} same and ${differ:-?} differ, against the recorded $want same and none differing"; rc=1
        else
            echo "jolt vs java: $same same, none differ (recorded $want)"
        fi
    fi
fi
run el build/bin/el-conformance "$EL"
exit $rc
