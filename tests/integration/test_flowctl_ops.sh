#!/bin/sh
# flowctl's errors name what is wrong: --help on every command, a flows
# folder with scripts, mappings and samples in it (one flat ConfigMap), a
# folder with no flow file, an unreachable broker, an unknown flow for
# tail; and `flowctl preview` shows the requests of the example flow with
# its script and mapping, sending nothing.
. "$(dirname "$0")/lib.sh"
FC=$BIN/flowctl
EX=$FF_ROOT/flows/examples
ff_start_infra 5
ff_write_flow 'f["script"] = {"file": "transform.py"}; f["mapping"] = {"file": "mapping.json"}'
cp "$EX/transform.py" "$EX/mapping.json" "$FF_FLOWS/"

for c in validate trigger replay tail runs run show-failed preview order settings next; do
    "$FC" $c --help >"$FF_TMP/help.out" 2>&1; rc=$?
    check "flowctl $c --help prints its usage and exits 0" sh -c "[ $rc = 0 ] && grep -q 'usage: flowctl $c' '$FF_TMP/help.out'"
done

"$FC" order orders ORD-000001 >"$FF_FLOWS/sample-order.json" 2>"$FF_TMP/order.err"
"$FC" validate "$FF_FLOWS" >"$FF_TMP/validate.out" 2>&1; rc=$?
check "validate: the script, the mapping and a sample record beside the flow are not flow files" \
    sh -c "[ $rc = 0 ] && grep -q '^1 flow(s) valid' '$FF_TMP/validate.out'"
mkdir "$FF_TMP/noflows"; cp "$EX/mapping.json" "$FF_TMP/noflows/"
"$FC" validate "$FF_TMP/noflows" >"$FF_TMP/noflows.out" 2>&1; rc=$?
check "validate: a folder without a flow file is an error that says so" \
    sh -c "[ $rc != 0 ] && grep -q 'no flow files in' '$FF_TMP/noflows.out'"
mkdir "$FF_TMP/named"; echo '{"enabled": true}' >"$FF_TMP/named/broken.flow.json"
"$FC" validate "$FF_TMP/named" >"$FF_TMP/named.out" 2>&1; rc=$?
check "validate: a *.flow.json without name and type is reported" \
    sh -c "[ $rc != 0 ] && grep -q 'broken.flow.json: name' '$FF_TMP/named.out'"

# a port nobody listens on
DEAD=$(free_port)
timeout 60 "$FC" trigger orders --brokers "127.0.0.1:$DEAD" >"$FF_TMP/dead.out" 2>&1; rc=$?
check "trigger: an unreachable broker is named, in a few lines, and nothing is triggered" \
    sh -c "[ $rc = 1 ] && grep -q 'cannot reach the Kafka broker 127.0.0.1:$DEAD' '$FF_TMP/dead.out' && [ \$(wc -l <'$FF_TMP/dead.out') -le 3 ]"

timeout 30 "$FC" tail nosuch >"$FF_TMP/nosuch.out" 2>&1; rc=$?
check "tail: an unknown flow is said to be unknown" sh -c "[ $rc = 2 ] && grep -q 'unknown flow \"nosuch\"' '$FF_TMP/nosuch.out'"

"$FC" preview orders --input "$FF_FLOWS/sample-order.json" --json >"$FF_TMP/preview.json" 2>"$FF_TMP/preview.err"; rc=$?
check "preview: the script and the mapping ran, the ERP query and write are rendered" python3 - "$FF_TMP/preview.json" "$ERP_PORT" "$rc" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); port = sys.argv[2]
req = {r["step"]: r for r in d["requests"]}
w = req.get("write_erp", {})
b = json.loads(w.get("body", "{}"))
ok = sys.argv[3] == "0" and [s["outcome"] for s in d["steps"]] == ["success", "success"] \
     and d["attributes"].get("log.channel") in ("WEB", "MARKETPLACE") \
     and req["query"]["url"] == "http://127.0.0.1:%s/orders?number=ORD-000001" % port \
     and w["method"] == "POST" and w["url"] == "http://127.0.0.1:%s/orders" % port \
     and b.get("order_number") == "ORD-000001" and b.get("source") == "flowfleet" and b.get("lines") \
     and d["requests"][-1]["method"] == "PATCH" and "is_send" in d["requests"][-1]["body"]
if not ok: print(json.dumps(d)[:1500])
sys.exit(0 if ok else 1)
PY
check "preview sent nothing to the ERP" [ "$(erp_state received)" = "0" ]
ff_done
