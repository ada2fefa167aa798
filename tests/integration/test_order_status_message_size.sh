#!/bin/sh
# An ERP page is published as one Kafka message, so it must fit in one: the
# fleet's largest message (FLOWFLEET_MAX_MESSAGE_BYTES, here 6000 bytes) is
# also the largest ERP answer an Order Status flow accepts. A flow asking
# for more is refused at load; pages under the limit go through; a page
# over it fails its run loudly (the reason in the log topic), writes
# nothing, and leaves the cursor where it was.
. "$(dirname "$0")/lib.sh"
export FLOWFLEET_MAX_MESSAGE_BYTES=6000
ff_start_infra 40
. "$(dirname "$0")/order_status_lib.sh"
ERP=http://127.0.0.1:$ERP_PORT
os_load "$(os_numbers 40)" 500 INV-
check "the 40 rows together are over the limit" [ "$(curl -s "$ERP/order_status" | wc -c)" -gt 6000 ]
cp "$FF_ROOT/flows/examples/order_status_mapping.jolt" "$FF_FLOWS/"
# write_flow NAME PAGING-JSON [EXTRA-HTTP-JSON]
write_flow() {
    python3 - "$FF_FLOWS/$1.json" "$1" "$OMNI_PORT" "$ERP_PORT" "$2" "${3:-{\}}" <<'PY'
import json, sys
dst, name, op, ep, paging, http = sys.argv[1:7]
h = {"timeout": "5s", "retries": 1, "backoff": "50ms"}
h.update(json.loads(http))
json.dump({"name": name, "type": "order_status", "schedule": {"cron": "@every 3s"}, "http": h,
           "omnitron": {"url": "http://127.0.0.1:" + op, "username_env": "OMNITRON_USERNAME", "password_env": "OMNITRON_PASSWORD"},
           "erp": {"login": {"type": "none"}, "read": {"url": "http://127.0.0.1:%s/order_status" % ep, "paging": json.loads(paging)}},
           "mapping": {"file": "order_status_mapping.jolt"}}, open(dst, "w"), indent=2)
PY
}
write_flow paged '{"mode": "offset", "page_size": 5}'
write_flow whole '{"mode": "none"}'
write_flow greedy '{"mode": "none"}' '{"max_response_bytes": 100000}'
"$BIN/flowctl" validate "$FF_FLOWS" >"$FF_TMP/validate.out" 2>&1
check "a flow accepting answers over the fleet's largest message is refused at load, saying why" \
    grep -q "greedy.json: http.max_response_bytes: 100000 is over the fleet's largest Kafka message, 6000 bytes" "$FF_TMP/validate.out"
rm "$FF_FLOWS/greedy.json"
ff_start_service reader; ff_start_service transformer; ff_start_service writer
wait_assigned reader transformer writer
# each flow's first automatic run reads every row (no cursor yet); later runs read what changed
ff_start_service scheduler
check "pages of 5 rows fit: every order's rows are written" wait_state omni bulk_updates 40 60
check "the whole list in one answer does not: its run failed, saying why" wait_for 30 sh -c \
    "kcat -b $BROKERS -C -t $FF_PREFIX.log -e -q 2>/dev/null | grep '\"flow\":\"whole\"' | grep '\"event\":\"finished\"' | grep '\"status\":\"failed\"' | grep -q 'response larger than 6000 bytes'"
check "and it wrote nothing (40 updates, all the paged flow's)" [ "$(state_int omni bulk_updates)" = 40 ]
check "its cursor did not move" [ -z "$(redis-cli -s "$REDIS_SOCK" get "$FF_PREFIX:cursor:whole")" ]
check "the paged flow's cursor did" [ -n "$(redis-cli -s "$REDIS_SOCK" get "$FF_PREFIX:cursor:paged")" ]
ff_done
