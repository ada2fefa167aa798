#!/bin/sh
# flowctl order FLOW NUMBER (flowctl example FLOW KEY): the record exactly as
# the reader publishes it (items and discounts with their details), found by
# its number and checked, with only the flow file and its credentials: no
# Redis, no Kafka.
. "$(dirname "$0")/lib.sh"
ff_start_infra 5
ff_write_flow
export FLOWFLEET_REDIS=127.0.0.1:1 FLOWFLEET_BROKERS=127.0.0.1:1   # neither is needed
OUT=$FF_TMP/order.json
check "flowctl order prints the order without Redis" sh -c "'$BIN/flowctl' order orders ORD-000002 > '$OUT'"
check "with its items and discounts, each with its detail, as the reader builds it" python3 - "$OUT" <<'PY'
import json, sys
o = json.load(open(sys.argv[1]))
items = o.get("orderitem_set")
ok = o.get("number") == "ORD-000002" and isinstance(items, list) and len(items) > 0 and \
     all("product" in i for i in items) and isinstance(o.get("discountitem_set"), list)
sys.exit(0 if ok else 1)
PY
check "flowctl example is the same command" sh -c "'$BIN/flowctl' example orders ORD-000002 | cmp -s - '$OUT'"
check "an unknown number is an error naming it" sh -c "'$BIN/flowctl' order orders ORD-999999 2>&1 | grep -q 'no order numbered \"ORD-999999\"'"
check "and exits non-zero" sh -c "! '$BIN/flowctl' order orders ORD-999999 2>/dev/null"
ff_done
