#!/bin/sh
# Integration test: flowfleet-devbroker speaks real Kafka to kcat.
# Starts it with the flow-type topics, checks them with `kcat -L` (names and
# partition counts), round-trips keyed messages with kcat -P / -C, checks a
# consumer group resumes from its committed offset, then stops it with
# SIGTERM. Run from the repo root; binaries are in build/bin.
cd "$(dirname "$0")/../.." || exit 1
BIN=build/bin/flowfleet-devbroker
pass=0; fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
check() { # check DESCRIPTION COMMAND...
    d=$1; shift
    if "$@"; then ok; else bad "$d"; fi
}

if ! command -v kcat >/dev/null 2>&1; then
    echo "FAIL: kcat not installed" >&2; echo "0 passed, 1 failed"; exit 1
fi
if [ ! -x "$BIN" ]; then
    echo "FAIL: $BIN not built" >&2; echo "0 passed, 1 failed"; exit 1
fi

T=$(mktemp -d)
PID=
cleanup() {
    [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT INT TERM

"$BIN" --flow-types order,order_status --prefix fft --partitions 3 --topic extra.topic:5 \
    --bootstrap-file "$T/bootstrap" >"$T/out" 2>"$T/err" &
PID=$!

# wait for the bootstrap file (written atomically once the brokers listen)
i=0
while [ ! -s "$T/bootstrap" ] && [ $i -lt 100 ] && kill -0 "$PID" 2>/dev/null; do
    sleep 0.1; i=$((i + 1))
done
check "bootstrap file written" test -s "$T/bootstrap"
BS=$(cat "$T/bootstrap" 2>/dev/null)
first=$(head -n 1 "$T/out")
check "first stdout line is bootstrap=$BS (got '$first')" test "$first" = "bootstrap=$BS"
case "$BS" in 127.0.0.1:[0-9]*) ok ;; *) bad "bootstrap address '$BS'" ;; esac

kcat -b "$BS" -m 10 -L >"$T/meta" 2>"$T/meta.err"
check "kcat -L succeeds" test $? -eq 0
parts() { # partition count of topic $1 in the metadata listing
    sed -n "s/^  topic \"$1\" with \([0-9]*\) partitions:.*/\1/p" "$T/meta"
}
for ty in order order_status; do
    check "fft.$ty.ticks has 1 partition" test "$(parts "fft.$ty.ticks")" = 1
    for k in records mapped failed; do
        check "fft.$ty.$k has 3 partitions" test "$(parts "fft.$ty.$k")" = 3
    done
done
check "fft.log has 3 partitions" test "$(parts fft.log)" = 3
check "extra.topic has 5 partitions" test "$(parts extra.topic)" = 5
check "exactly 10 topics" grep -q "^ 10 topics:" "$T/meta"

# round trip: keyed messages to one partition, read back in order
printf 'SO-1:{"a":1}\nSO-2:{"b":2}\n' | kcat -b "$BS" -m 10 -P -t fft.order.records -p 2 -K: 2>"$T/p.err"
check "kcat -P succeeds" test $? -eq 0
kcat -b "$BS" -m 10 -C -t fft.order.records -p 2 -o beginning -e -q -f '%k|%s|%o\n' >"$T/c.out" 2>"$T/c.err"
check "kcat -C succeeds" test $? -eq 0
printf 'SO-1|{"a":1}|0\nSO-2|{"b":2}|1\n' >"$T/c.want"
check "round trip content ($(tr '\n' ' ' <"$T/c.out"))" cmp -s "$T/c.out" "$T/c.want"

# idempotent producer (InitProducerId) works
printf 'x\n' | kcat -b "$BS" -m 10 -P -t fft.log -p 0 -X enable.idempotence=true 2>"$T/i.err"
check "idempotent produce succeeds" test $? -eq 0
n=$(kcat -b "$BS" -m 10 -C -t fft.log -p 0 -o beginning -e -q | wc -l)
check "idempotent message stored (got $n)" test "$n" -eq 1

# consumer group: first member reads and commits; a second run resumes after
# it. (The mock delays a join to a group whose members left by the old
# members' session.timeout.ms - 1 s, hence the short session timeout.)
printf 'g1\ng2\n' | kcat -b "$BS" -m 10 -P -t fft.order_status.ticks 2>/dev/null
timeout 30 kcat -b "$BS" -G devgrp -X auto.offset.reset=earliest -X session.timeout.ms=4000 -c 2 -q -f '%s\n' fft.order_status.ticks >"$T/g1" 2>/dev/null
check "group consumer reads 2" test "$(cat "$T/g1" | tr '\n' ' ')" = "g1 g2 "
printf 'g3\n' | kcat -b "$BS" -m 10 -P -t fft.order_status.ticks 2>/dev/null
timeout 60 kcat -b "$BS" -G devgrp -X auto.offset.reset=earliest -X session.timeout.ms=4000 -c 1 -q -f '%s\n' fft.order_status.ticks >"$T/g2" 2>/dev/null
check "group resumes from committed offset ($(cat "$T/g2"))" test "$(cat "$T/g2")" = "g3"

# stops on SIGTERM, removes its bootstrap file
kill "$PID"
i=0
while kill -0 "$PID" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
if kill -0 "$PID" 2>/dev/null; then bad "still running after SIGTERM"; else ok; fi
wait "$PID"; rc=$?
PID=
check "exit status 0 after SIGTERM (got $rc)" test "$rc" -eq 0
check "bootstrap file removed" test ! -e "$T/bootstrap"

# bad option -> usage error
"$BIN" --port 9092 >/dev/null 2>"$T/port.err"; rc=$?
check "--port is refused with a message (rc $rc)" test "$rc" -eq 2 -a -s "$T/port.err"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
