#!/bin/sh
# Two scheduler replicas: exactly one tick per due time, and a tick keeps
# coming when the leader dies.
. "$(dirname "$0")/lib.sh"
ff_start_infra 1
ff_write_flow 'f["schedule"]["cron"] = "@every 1s"'
ff_start_service scheduler
bg scheduler2 "$BIN/flowfleet-scheduler"
sleep 6
ticks() { kcat -b "$BROKERS" -C -t "$FF_PREFIX.order.ticks" -e -q -f '%k\n' 2>/dev/null | grep -c orders; }
runs() { kcat -b "$BROKERS" -C -t "$FF_PREFIX.order.ticks" -e -q 2>/dev/null | grep -ao 'orders-[0-9]*' | sort; }
T=$(ticks)
check "ticks are emitted ($T in ~5 s)" [ "$T" -ge 3 ] && [ "$T" -le 7 ]
check "one tick per due time across two replicas" [ "$(runs | uniq -d | wc -l)" = "0" ]
# Redis keys live under the fleet's prefix: two fleets on one Redis share
# neither the leader lock nor anything else
check "the leader lock is the fleet's own ($FF_PREFIX:lock:scheduler)" \
    [ "$(redis-cli -s "$REDIS_SOCK" exists "$FF_PREFIX:lock:scheduler")" = "1" ]
check "no key outside the fleet's prefix" [ -z "$(redis-cli -s "$REDIS_SOCK" --scan | grep -v "^$FF_PREFIX:")" ]
LEADER=$(grep -l "is now the leader" "$FF_TMP/scheduler.log" "$FF_TMP/scheduler2.log" | head -1)
check "exactly one replica is the leader" [ "$(grep -l 'is now the leader' "$FF_TMP/scheduler.log" "$FF_TMP/scheduler2.log" | wc -l)" = "1" ]
case "$LEADER" in *scheduler2.log) kill -9 "$(pid_of scheduler2)" ;; *) kill -9 "$(pid_of scheduler)" ;; esac
B=$(ticks)
sleep 14
A=$(ticks)
check "the other replica takes over after the lock expires ($B -> $A)" [ "$A" -gt "$B" ]
check "still one tick per due time" [ "$(runs | uniq -d | wc -l)" = "0" ]
ff_done
