#!/bin/sh
# A flow with a Script Step (the product's NiFi form, unmodified API) and a
# Jolt mapping: the ERP receives the mapped body, log.* attributes reach the
# log topic, a script exception fails only its record, with the traceback,
# and a script that never returns is interrupted after its time limit.
. "$(dirname "$0")/lib.sh"
FIX=$(cd "$(dirname "$0")" && pwd)/fixtures
ff_start_infra 10
kill9 erp
bg erp2 "$BIN/erp-sim" --port "$ERP_PORT" --number-field order_number --items-field lines
wait_for 10 curl -sf "http://127.0.0.1:$ERP_PORT/_control/state"
OPEN=$(omni_state unsent_open)
cp "$FIX/transform.py" "$FIX/mapping.json" "$FF_FLOWS/"
ff_write_flow 'f["script"] = {"file": "transform.py", "timeout": "2s"}; f["mapping"] = {"file": "mapping.json"}; f["erp"]["query"]["url"] = f["erp"]["query"]["url"].replace("number=", "number=")'
ff_start_services
check "every order but the refused and the runaway one reaches the ERP" wait_erp_orders $((OPEN - 2)) 60
sleep 1
BODY=$(curl -s "http://127.0.0.1:$ERP_PORT/_control/order?number=ORD-000001")
check "the ERP got the mapped body" python3 -c "
import json,sys
b=json.loads(sys.argv[1])
ok = b.get('order_number')=='ORD-000001' and b.get('source')=='omnitron' and b.get('currency')=='TRY' \
     and 'number' not in b and isinstance(b.get('lines'), list) and len(b['lines'])>=1 and 'sku' in b['lines'][0]
print(b) if not ok else None
sys.exit(0 if ok else 1)" "$BODY"
check "the refused order was not written" [ "$(erp_state writes.ORD-000003)" = "" ]
check "the runaway script was interrupted: its order failed with a timeout, the others went on" wait_for 20 sh -c \
    "kcat -b $BROKERS -C -t $FF_PREFIX.log -e -q 2>/dev/null | grep '\"key\":\"ORD-000004\"' | grep '\"outcome\":\"failed\"' | grep -q 'timed out'"
log_events > "$FF_TMP/log.jsonl"
check "log.* attributes reach the log topic; the exception is logged with its traceback" python3 - "$FF_TMP/log.jsonl" <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
rec = [e for e in ev if e.get("kind") == "record"]
ok1 = any(e["outcome"] == "success" and e["attrs"].get("log.script.note") == "transformed" for e in rec)
bad = [e for e in rec if e["key"] == "ORD-000003" and e["outcome"] == "failed"]
ok2 = len(bad) >= 1 and bad[0]["stage"] == "script" and "order 3 is refused" in bad[0]["error"] \
      and "Traceback" in bad[0]["attrs"].get("log.script.error", "")
if not (ok1 and ok2): print(rec[:3], bad)
sys.exit(0 if ok1 and ok2 else 1)
PY
check "the refused order is in the failed topic and not marked sent" sh -c \
    "[ \$(kcat -b $BROKERS -C -t $FF_PREFIX.order.failed -e -q 2>/dev/null | grep -c ORD-000003) -ge 1 ] && [ \"\$(curl -s http://127.0.0.1:$OMNI_PORT/_control/state | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"sent_counts\"].get(\"ORD-000003\", 0))')\" = 0 ]"
ff_done
