#!/bin/sh
# Poison records (issue 13): an order the script refuses and one whose
# script never returns are retried on each tick only until max_attempts;
# then they are parked: one "parked" event, no more copies on the failed
# topic, and `flowctl replay` sends each record once (its newest failure),
# `--parked` selecting the parked ones.
. "$(dirname "$0")/lib.sh"
FIX=$(cd "$(dirname "$0")" && pwd)/fixtures
ff_start_infra 10
kill9 erp
bg erp2 "$BIN/erp-sim" --port "$ERP_PORT" --number-field order_number --items-field lines
wait_for 10 curl -sf "http://127.0.0.1:$ERP_PORT/_control/state"
cp "$FIX/transform.py" "$FIX/mapping.json" "$FF_FLOWS/"
ff_write_flow 'f["script"] = {"file": "transform.py", "timeout": "1s"}; f["mapping"] = {"file": "mapping.json"}; f["max_attempts"] = 3'
ff_start_services
copies() { kcat -b "$BROKERS" -C -t "$FF_PREFIX.order.failed" -e -q -f '%k\n' 2>/dev/null | grep -c "^$1\$"; }
parked() { log_events | grep '"outcome":"parked"' | grep -c "\"key\":\"$1\""; }
check "the refused order is parked after 3 attempts" wait_for 90 sh -c "[ \$(kcat -b $BROKERS -C -t $FF_PREFIX.log -e -q 2>/dev/null | grep '\"outcome\":\"parked\"' | grep -c '\"key\":\"ORD-000003\"') -ge 1 ]"
check "so is the order whose script never returns" wait_for 60 sh -c "[ \$(kcat -b $BROKERS -C -t $FF_PREFIX.log -e -q 2>/dev/null | grep '\"outcome\":\"parked\"' | grep -c '\"key\":\"ORD-000004\"') -ge 1 ]"
# several more ticks (every 2 s): nothing more is retried
sleep 10
check "the refused order failed exactly 3 times ($(copies ORD-000003) copies)" [ "$(copies ORD-000003)" = 3 ]
check "the runaway order failed exactly 3 times ($(copies ORD-000004) copies)" [ "$(copies ORD-000004)" = 3 ]
check "one parked event each" [ "$(parked ORD-000003)" = 1 -a "$(parked ORD-000004)" = 1 ]
log_events > "$FF_TMP/log.jsonl"
check "the parked event has the last error" python3 - "$FF_TMP/log.jsonl" <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
p = [e for e in ev if e.get("kind") == "record" and e.get("outcome") == "parked" and e["key"] == "ORD-000003"]
ok = len(p) == 1 and p[0]["stage"] == "script" and "order 3 is refused" in p[0]["error"]
if not ok: print(p)
sys.exit(0 if ok else 1)
PY
check "the other orders went through" wait_erp_orders 8 30
"$BIN/flowctl" replay orders --parked --dry-run > "$FF_TMP/dry.out" 2>&1
check "replay --parked --dry-run selects the 2 parked records" grep -q "would replay 2," "$FF_TMP/dry.out"
"$BIN/flowctl" replay orders > "$FF_TMP/replay.out" 2>&1
check "replay sends one copy per record, not every copy" grep -q "replayed 2," "$FF_TMP/replay.out"
check "a replay clears the park: the reader publishes the record again" wait_for 30 sh -c \
    "[ \$(kcat -b $BROKERS -C -t $FF_PREFIX.order.failed -e -q -f '%k\n' 2>/dev/null | grep -c '^ORD-000003\$') -ge 5 ]"
ff_done
