#!/bin/sh
# The seed's dynamic URL (spec seed 002, "Order Query/Status API URL"),
# verbatim but for the ERP's host and port, end to end: a manual run by
# number (`flowctl trigger FLOW --param number=X`) evaluated as NiFi
# evaluates it, and the exact bytes the ERP received, encoded as NiFi's
# InvokeHTTP sends them (OkHttp's HttpUrl: in the path space " < > ^ ` {
# } | are percent-encoded, in the query space " ' < >). The seed's
# expression tests http.query.param.sku before it uses number, so a
# trigger with only number takes the date branch with an empty date (the
# ERP then answers every row, all written); the same expression testing
# number instead asks for that order. The session token (a static ERP
# login) goes in the path, /(S(<token>))/service/run.
. "$(dirname "$0")/lib.sh"
ff_start_infra 5
. "$(dirname "$0")/order_status_lib.sh"
ERP=http://127.0.0.1:$ERP_PORT
OM=http://127.0.0.1:$OMNI_PORT
export ERP_TOKEN='tok en{1}'

os_load ORD-000001,ORD-000002,ORD-000003 500 INV-
cp "$FF_ROOT/flows/examples/order_status_mapping.jolt" "$FF_FLOWS/"
# the seed's expression as tests/flows holds it, the ERP's port swapped in;
# "seed-fixed" tests number where the seed tests sku
python3 - "$FF_ROOT/tests/flows/order_status/valid/seed-expression/flow.json" "$FF_FLOWS" "$OMNI_PORT" "$ERP_PORT" <<'PY'
import json, sys
src, d, op, ep = sys.argv[1:5]
url = json.load(open(src))["erp"]["read"]["url"]
assert url.count("127.0.0.1:12345") == 3 and url.count("http.query.param.sku") == 1
url = url.replace("127.0.0.1:12345", "127.0.0.1:" + ep)
for name, u in (("seed", url), ("seed-fixed", url.replace("http.query.param.sku", "http.query.param.number"))):
    json.dump({
      "name": name, "type": "order_status",
      "http": {"timeout": "5s", "retries": 2, "backoff": "50ms"},
      "omnitron": {"url": "http://127.0.0.1:" + op, "username_env": "OMNITRON_USERNAME", "password_env": "OMNITRON_PASSWORD"},
      "erp": {"login": {"type": "static", "token_env": "ERP_TOKEN"}, "read": {"url": u}},
      "mapping": {"file": "order_status_mapping.jolt"}
    }, open("%s/%s.json" % (d, name), "w"), indent=2)
PY
ff_start_services
targets() { curl -s "$ERP/_control/status_targets"; }
# asked N TARGET: the ERP's Nth request (1-based) had exactly this target
asked() { targets | python3 -c '
import json, sys
t = json.load(sys.stdin); n = int(sys.argv[1])
ok = len(t) >= n and t[n - 1] == sys.argv[2]
if not ok and len(t) >= n: print("got     ", t[n - 1]); print("expected", sys.argv[2])
sys.exit(0 if ok else 1)' "$1" "$2"; }
PATH_PART='/(S(tok%20en%7B1%7D))/service/run'
Q1='?{%27name%27:%20%27Akinon%27,%20%27Parameters%27:%20[{%27Name%27:%20%27'
"$BIN/flowctl" trigger seed --param number=ORD-000003 >"$FF_TMP/trigger1.log" 2>&1
check "the seed's expression, a trigger by number: the date branch, the date empty, these exact bytes" \
    wait_for 30 asked 1 "$PATH_PART${Q1}Date%27,%20%27Value%27:%20%27%27}]}"
check "... the ERP answered every row (modified after ''): all 3 written" wait_state omni bulk_updates 3 30
check "... ORD-000001 has its status" os_item_check ORD-000001 500 INV-ORD-000001
os_load ORD-000003 550 FIX-
"$BIN/flowctl" trigger seed-fixed --param number=ORD-000003 >"$FF_TMP/trigger2.log" 2>&1
check "the corrected expression asks for the order, these exact bytes" \
    wait_for 30 asked 2 "$PATH_PART${Q1}Order%27,%20%27Value%27:%20%27ORD-000003%27}]}"
check "... and ORD-000003 gets the ERP's status" wait_for 30 os_item_check ORD-000003 550 FIX-ORD-000003
check "... the only row written by that run" wait_state omni bulk_updates 4 30
[ "$FAIL" = 0 ] || { echo "the ERP's targets:"; targets; echo; }
check "2 requests in all" [ "$(targets | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 2 ]
ff_done
