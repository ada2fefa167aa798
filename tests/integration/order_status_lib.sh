# order_status_lib.sh: what the Order Status Flow's integration tests
# share, sourced after lib.sh and ff_start_infra (it needs $OMNI_PORT,
# $ERP_PORT and $FF_FLOWS).
#   os_rows NUMBERS STATUS INVOICE_PREFIX   the ERP's rows (the seed's
#       shape) for those orders, with their real Omnitron item ids: JSON on
#       stdout, ready for POST /_control/statuses
#   os_load NUMBERS STATUS INVOICE_PREFIX   those rows loaded into the ERP
#       simulator (it answers them from now on)
#   os_numbers N                            ORD-000001,...,ORD-00000N
#   os_item_check NUMBER STATUS INVOICE     every item of the order in
#       Omnitron has that status and invoice number
#   os_items_have NUMBER INVOICE            every item of the order in
#       Omnitron has that invoice number (whatever its status)
#   os_write_flow NAME [PYTHON-EDIT]        $FF_FLOWS/NAME.json: an
#       automatic (@every 2s) Order Status flow reading the ERP simulator's
#       /order_status with the example mapping; PYTHON-EDIT may change the
#       dict `f` (and `read`, its erp.read)

os_rows() {
    python3 - "$OMNI_PORT" "$1" "$2" "$3" <<'PY'
import json, sys, urllib.request
port, nums, status, inv = sys.argv[1], sys.argv[2].split(","), int(sys.argv[3]), sys.argv[4]
out = []
for n in nums:
    o = json.load(urllib.request.urlopen("http://127.0.0.1:%s/_control/order?number=%s" % (port, n)))
    items = [{"id": it["pk"], "status": status, "invoice_number": inv + n, "product": "p"}
             for it in o["order"]["orderitem_set"]]
    out.append({"order": n, "orderitems": items})
print(json.dumps(out))
PY
}

os_load() {
    os_rows "$@" | curl -s -X POST --data-binary @- "http://127.0.0.1:$ERP_PORT/_control/statuses" >/dev/null
}

os_numbers() { python3 -c 'import sys; print(",".join("ORD-%06d" % n for n in range(1, int(sys.argv[1]) + 1)))' "$1"; }

os_item_check() {
    curl -s "http://127.0.0.1:$OMNI_PORT/_control/order?number=$1" | python3 -c '
import json, sys
o = json.load(sys.stdin)["order"]
bad = [it for it in o["orderitem_set"] if str(it["status"]) != sys.argv[1] or it["invoice_number"] != sys.argv[2]]
if bad: print("items not updated:", [(it["pk"], it["status"], it["invoice_number"]) for it in bad])
sys.exit(1 if bad else 0)' "$2" "$3"
}

os_items_have() {
    curl -s "http://127.0.0.1:$OMNI_PORT/_control/order?number=$1" | python3 -c '
import json, sys
o = json.load(sys.stdin)["order"]
sys.exit(0 if all(it["invoice_number"] == sys.argv[1] for it in o["orderitem_set"]) else 1)' "$2"
}

os_write_flow() {
    [ -f "$FF_FLOWS/order_status_mapping.jolt" ] || cp "$FF_ROOT/flows/examples/order_status_mapping.jolt" "$FF_FLOWS/"
    python3 - "$FF_FLOWS" "$1" "$OMNI_PORT" "$ERP_PORT" "${2:-}" <<'PY'
import json, sys
d, name, op, ep, edit = sys.argv[1:6]
read = {"url": "http://127.0.0.1:%s/order_status" % ep}
f = {
  "name": name, "type": "order_status",
  "schedule": {"cron": "@every 2s"},
  "http": {"timeout": "5s", "retries": 2, "backoff": "50ms"},
  "omnitron": {"url": "http://127.0.0.1:" + op, "username_env": "OMNITRON_USERNAME", "password_env": "OMNITRON_PASSWORD"},
  "erp": {"login": {"type": "none"}, "read": read},
  "cursor": {"timezone": "UTC"},
  "mapping": {"file": "order_status_mapping.jolt"}
}
exec(edit)
json.dump(f, open("%s/%s.json" % (d, name), "w"), indent=2)
PY
}
