#!/bin/sh
# An ERP that answers in XML (issue 15): the Order Status Flow reads it with
# erp.read.response_type xml, converted by the nifi convention (records as
# an array of the root's children, repeated elements as arrays, numbers
# inferred), and a Jolt mapping written for that shape writes each order's
# statuses to Omnitron.
. "$(dirname "$0")/lib.sh"
ff_start_infra 6
ERP=http://127.0.0.1:$ERP_PORT
OM=http://127.0.0.1:$OMNI_PORT
# the ERP's rows for ORD-000001 (several items) and ORD-000002, as the
# simulator renders them in XML: <rows><row><order>..</order><orderitems>..</orderitems>..</row></rows>
python3 - "$OMNI_PORT" > "$FF_TMP/rows.json" <<'PY'
import json, sys, urllib.request
port = sys.argv[1]
out = []
for n in ("ORD-000001", "ORD-000002"):
    o = json.load(urllib.request.urlopen("http://127.0.0.1:%s/_control/order?number=%s" % (port, n)))
    out.append({"order": n, "orderitems": [{"id": it["pk"], "status": 500, "invoice_number": "X-" + n}
                                           for it in o["order"]["orderitem_set"]]})
print(json.dumps(out))
PY
curl -s -X POST --data-binary @"$FF_TMP/rows.json" "$ERP/_control/statuses" >/dev/null
check "the ERP answers XML" sh -c "curl -s '$ERP/order_status?format=xml' | grep -q '^<rows><row><order>ORD-00000[12]</order>'"
# a mapping written for the nifi convention's shape: [{"order": "...", "orderitems": [{...}, ...]}]
cat > "$FF_FLOWS/xml_mapping.jolt" <<'JSON'
[{ "operation": "shift", "spec": { "*": { "order": "[&1].order", "orderitems": { "*": { "id": "[&3].orderitem_set[&1].id", "status": "[&3].orderitem_set[&1].status", "invoice_number": "[&3].orderitem_set[&1].invoice_number" } } } } }]
JSON
python3 - "$FF_FLOWS/xml.json" "$OMNI_PORT" "$ERP_PORT" <<'PY'
import json, sys
dst, op, ep = sys.argv[1:4]
json.dump({
  "name": "xml-statuses", "type": "order_status",
  "schedule": {"cron": "@every 2s"},
  "omnitron": {"url": "http://127.0.0.1:" + op, "username_env": "OMNITRON_USERNAME", "password_env": "OMNITRON_PASSWORD"},
  "erp": {"login": {"type": "none"},
          "read": {"url": "http://127.0.0.1:%s/order_status?format=xml" % ep,
                   "response_type": "xml",
                   "xml": {"records_as_array": True, "infer_types": True, "always_array": ["rows.row.orderitems"]}}},
  "mapping": {"file": "xml_mapping.jolt"}
}, open(dst, "w"), indent=2)
PY
ff_start_services
item_check() {
    curl -s "$OM/_control/order?number=$1" | python3 -c '
import json, sys
o = json.load(sys.stdin)["order"]
bad = [it for it in o["orderitem_set"] if str(it["status"]) != "500" or it["invoice_number"] != "X-" + sys.argv[1]]
sys.exit(1 if bad or not o["orderitem_set"] else 0)' "$1"
}
check "ORD-000001's items got the XML's statuses and invoices" wait_for 60 item_check ORD-000001
check "ORD-000002's items too" wait_for 20 item_check ORD-000002
untouched() { ! item_check ORD-000003; }
check "an order the XML does not name is untouched" untouched
# an answer that is not XML fails the run with the line and column
ff_done
