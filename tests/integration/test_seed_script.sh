#!/bin/sh
# The product's example script (seed 002, "Script Card", byte for byte in
# fixtures/seed002_example.py) as the Script Step of an Order Flow: every
# order reaches the ERP unchanged in content. Also: every service serves
# /metrics, /healthz and /readyz.
. "$(dirname "$0")/lib.sh"
FIX=$(cd "$(dirname "$0")" && pwd)/fixtures
ff_start_infra 8
OPEN=$(omni_state unsent_open)
cp "$FIX/seed002_example.py" "$FF_FLOWS/"
ff_write_flow 'f["script"] = {"file": "seed002_example.py"}'
MP=$(free_port)
ff_start_service scheduler; ff_start_service reader
ff_start_service transformer --metrics-port "$MP"
WP=$(free_port)
ff_start_service writer --metrics-port "$WP"
check "every order reaches the ERP through the seed script" wait_erp_orders "$OPEN" 60
BODY=$(curl -s "http://127.0.0.1:$ERP_PORT/_control/order?number=ORD-000001")
check "the ERP body is the detailed order, unchanged by the identity script" python3 -c "
import json,sys
b=json.loads(sys.argv[1])
ok = b['number']=='ORD-000001' and len(b['orderitem_set'])>=1 and 'pk' in b['orderitem_set'][0] and 'discountitem_set' in b
sys.exit(0 if ok else 1)" "$BODY"
check "flowctl order prints a detailed order for script testing" sh -c \
    "'$BIN/flowctl' order orders ORD-000002 > '$FF_TMP/order.json' && grep -q '\"orderitem_set\"' '$FF_TMP/order.json'"
check "flowctl test-script runs the seed script on it: success, output = input" sh -c \
    "'$BIN/flowctl' test-script --script '$FIX/seed002_example.py' --input '$FF_TMP/order.json' | python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if d[\"relationship\"]==\"success\" and d[\"result_data\"][\"number\"]==\"ORD-000002\" else 1)'"
check "flowctl order fails on a missing order, naming it" sh -c \
    "! '$BIN/flowctl' order orders NOPE >/dev/null 2>&1 && '$BIN/flowctl' order orders NOPE 2>&1 | grep -q 'no order numbered \"NOPE\"'"
check "/metrics speaks Prometheus with the flowfleet_ prefix" sh -c "curl -sf http://127.0.0.1:$MP/metrics | grep -q '^flowfleet_messages_consumed_total{service=\"transformer\"}'"
check "the writer counts records by flow type and outcome" wait_for 10 sh -c \
    "curl -sf http://127.0.0.1:$WP/metrics | grep -qx 'flowfleet_records_total{service=\"writer\",type=\"order\",flow=\"orders\",outcome=\"success\"} $OPEN'"
check "one HELP and TYPE per metric name" sh -c \
    "[ \$(curl -sf http://127.0.0.1:$WP/metrics | grep '^# TYPE' | sort | uniq -d | wc -l) = 0 ]"
check "no record ids in metric labels" sh -c "! curl -sf http://127.0.0.1:$MP/metrics | grep -q 'ORD-'"
check "/healthz answers" sh -c "curl -sf http://127.0.0.1:$MP/healthz | grep -q ok"
check "/readyz answers ready" sh -c "curl -sf http://127.0.0.1:$MP/readyz | grep -q ready"
ff_done
