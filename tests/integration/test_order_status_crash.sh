#!/bin/sh
# kill -9 of each service in the middle of an Order Status run (the reader
# while it reads pages, the transformer and the writer while rows are
# being written): after the restarts every order's rows are in Omnitron,
# and the run's totals add up. Rows written twice are harmless (the write
# is idempotent); a row never written is the failure this looks for.
. "$(dirname "$0")/lib.sh"
ff_start_infra 200
. "$(dirname "$0")/order_status_lib.sh"
ERP=http://127.0.0.1:$ERP_PORT
os_load "$(os_numbers 200)" 500 INV-
cp "$FF_ROOT/flows/examples/order_status_mapping.jolt" "$FF_FLOWS/"
python3 - "$FF_FLOWS/statuses.json" "$OMNI_PORT" "$ERP_PORT" <<'PY'
import json, sys
dst, op, ep = sys.argv[1:4]
json.dump({"name": "statuses", "type": "order_status",
           "http": {"timeout": "5s", "retries": 3, "backoff": "50ms"},
           "omnitron": {"url": "http://127.0.0.1:" + op, "username_env": "OMNITRON_USERNAME", "password_env": "OMNITRON_PASSWORD"},
           "erp": {"login": {"type": "none"},
                   "read": {"url": "http://127.0.0.1:%s/order_status" % ep, "paging": {"mode": "offset", "page_size": 5}}},
           "mapping": {"file": "order_status_mapping.jolt"}}, open(dst, "w"), indent=2)
PY
# every order's items have their invoice (the count of those that do not, printed)
missing() {
    python3 - "$OMNI_PORT" <<'PY'
import http.client, json, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
bad = 0
for n in range(1, 201):
    num = "ORD-%06d" % n
    c.request("GET", "/_control/order?number=" + num)
    o = json.loads(c.getresponse().read())["order"]
    bad += any(it["invoice_number"] != "INV-" + num for it in o["orderitem_set"])
print(bad)
PY
}
all_written() { [ "$(missing)" = 0 ]; }
pages_asked() { curl -s "$ERP/_control/status_requests" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
erp_fault '{"slow_ms": 150}'
omni_fault '{"slow_ms": 20}'
ff_start_services
wait_assigned reader transformer writer
"$BIN/flowctl" trigger statuses >/dev/null

wait_for 30 sh -c "[ \$(curl -s $ERP/_control/status_requests | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))') -ge 4 ]"
AT=$(pages_asked)
kill -9 "$(pid_of reader)"
check "the reader was killed while reading ($AT of 41 page requests made)" [ "$AT" -lt 41 ]
ff_start_service reader
wait_state omni bulk_updates 30 60
kill -9 "$(pid_of transformer)"
ff_start_service transformer
AT=$(state_int omni bulk_updates)
wait_state omni bulk_updates $((AT + 30)) 60
AT=$(state_int omni bulk_updates)
kill -9 "$(pid_of writer)"
check "the writer was killed while writing ($AT rows written)" [ "$AT" -lt 200 ]
ff_start_service writer
erp_fault '{"slow_ms": 0}'
omni_fault '{"slow_ms": 0}'
check "after the restarts every order's rows are in Omnitron" wait_for 120 all_written
check "the run finished, its totals adding up, once" wait_for 60 sh -c \
    "kcat -b $BROKERS -C -t $FF_PREFIX.log -e -q 2>/dev/null | grep '\"flow\":\"statuses\"' | grep -q '\"event\":\"finished\"'"
check "each run's totals add up, each run finished once" run_totals_add_up
ff_done
