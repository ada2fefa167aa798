#!/bin/sh
# A Failure Status Code from the ERP query: the order fails with its error in
# the log topic and the failed topic, and is not marked sent. After the cause
# is fixed, `flowctl replay` delivers it exactly once.
. "$(dirname "$0")/lib.sh"
ff_start_infra 12
OPEN=$(omni_state unsent_open)
erp_fault '{"query_status": 503}'
# one run only: no schedule, a manual trigger
ff_write_flow 'del f["schedule"]'
ff_start_service reader; ff_start_service transformer; ff_start_service writer
sleep 1
check "flowctl trigger emits a manual run" sh -c "'$BIN/flowctl' trigger orders --param note=it | grep -q 'triggered orders'"
check "every order fails in the query stage" wait_for 60 sh -c "[ \$(kcat -b $BROKERS -C -t $FF_PREFIX.order.failed -e -q 2>/dev/null | grep -c . ) -ge $OPEN ]"
check "nothing was written to the ERP" [ "$(erp_state received)" = "0" ]
check "nothing was marked sent" [ "$(omni_state sent)" = "0" ]
sleep 1
log_events > "$FF_TMP/log.jsonl"
check "failed events carry the query error and status" python3 - "$FF_TMP/log.jsonl" "$OPEN" <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
bad = [e for e in ev if e.get("kind") == "record" and e.get("outcome") == "failed"]
ok = len(bad) == int(sys.argv[2]) and all(e["stage"] == "query" and e["http_status"] == 503 and "Failure Status Code" in e["error"] for e in bad)
fin = [e for e in ev if e.get("kind") == "run" and e.get("event") == "finished"]
ok = ok and len(fin) == 1 and fin[0]["status"] == "failed" and fin[0]["counts"]["failed"] == int(sys.argv[2]) \
     and fin[0]["is_triggered"] is True and fin[0]["triggered_by"] != "system"
if not ok: print(bad[:2], fin)
sys.exit(0 if ok else 1)
PY
check "replay --dry-run sends nothing" sh -c "'$BIN/flowctl' replay orders --dry-run | grep -q 'would replay $OPEN'"
erp_fault '{"query_status": 0}'
"$BIN/flowctl" replay orders --error "Failure Status Code" > "$FF_TMP/replay.out" 2>&1
check "replay re-publishes every failed order" grep -q "replayed $OPEN" "$FF_TMP/replay.out"
check "after the replay every order is in the ERP" wait_erp_orders "$OPEN" 60
check "and marked sent" wait_omni_sent "$OPEN" 30
check "exactly once" [ "$(erp_state duplicates)" = "0" ]
ff_done
