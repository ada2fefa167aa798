#!/bin/sh
# flowctl on an Order Status flow with a NiFi-style Script Step (the seed's
# base script, its transform filled in), against the simulators: validate; the
# example input by number (the ERP's page as the reader publishes it, asked
# as a manual run by number asks); preview of a page (the mapping, the row
# script, one PATCH per row, nothing sent); and replay of rows the writer
# failed while Omnitron was down, which then land.
. "$(dirname "$0")/lib.sh"
FC=$BIN/flowctl
ff_start_infra 6
. "$(dirname "$0")/order_status_lib.sh"
ERP=http://127.0.0.1:$ERP_PORT
OM=http://127.0.0.1:$OMNI_PORT

os_load ORD-000001,ORD-000002,ORD-000003 500 INV-
cp "$FF_ROOT/flows/examples/order_status_mapping.jolt" "$FF_FLOWS/"
# the seed's base script (fixtures/seed002_example.py, byte for byte) with
# its transform filled in: the invoice numbers get a suffix read from the
# record's attributes through the seed's get_attribute
python3 - "$FF_ROOT/tests/integration/fixtures/seed002_example.py" "$FF_FLOWS/seed002_status_script.py" <<'PY'
import sys
base = open(sys.argv[1]).read()
old = """   def transform(self, output_obj):
       # Transform content
       return output_obj
"""
new = """   def transform(self, output_obj):
       for row in output_obj:
           for item in row["orderitems"]:
               item["invoice_number"] = item["invoice_number"] + "-" + get_attribute(self.flowFile, "suffix")
       return output_obj
"""
assert old in base
open(sys.argv[2], "w").write(base.replace(old, new))
PY
cat >"$FF_FLOWS/rows.py" <<'PY'
def transform(row, attributes):
    row["note"] = "checked"
    return row
PY
python3 - "$FF_FLOWS/statuses.json" "$OMNI_PORT" "$ERP_PORT" <<'PY'
import json, sys
dst, op, ep = sys.argv[1:4]
json.dump({
  "name": "statuses", "type": "order_status",
  "http": {"timeout": "5s", "retries": 1, "backoff": "50ms"},
  "omnitron": {"url": "http://127.0.0.1:" + op, "username_env": "OMNITRON_USERNAME", "password_env": "OMNITRON_PASSWORD"},
  "erp": {"login": {"type": "none"},
          "read": {"url": "http://127.0.0.1:%s/order_status" % ep, "trigger_params": {"channel": "web"},
                   "paging": {"mode": "offset", "page_size": 2}}},
  "script": {"file": "seed002_status_script.py"},
  "mapping": {"file": "order_status_mapping.jolt"},
  "row_script": {"file": "rows.py"}
}, open(dst, "w"), indent=2)
PY

"$FC" validate "$FF_FLOWS" >"$FF_TMP/validate.out" 2>&1
check "validate: the Order Status flow is valid" grep -q '^1 flow(s) valid' "$FF_TMP/validate.out"

"$FC" example statuses ORD-000002 >"$FF_TMP/page.json" 2>"$FF_TMP/example.err"
check "example by number: the ERP's page for that order, as read" python3 -c '
import json, sys
p = json.load(open(sys.argv[1]))
sys.exit(0 if [r["order"] for r in p] == ["ORD-000002"] and p[0]["orderitems"][0]["invoice_number"] == "INV-ORD-000002" else 1)' "$FF_TMP/page.json"
check "example asks as a manual run by number does (number, the custom parameter, the page)" sh -c \
    "curl -s $ERP/_control/status_requests | python3 -c '
import json, sys
r = json.load(sys.stdin)[-1]
sys.exit(0 if r.get(\"number\") == \"ORD-000002\" and r.get(\"channel\") == \"web\" and r.get(\"limit\") == \"2\" and \"modified_date__gt\" not in r else 1)'"
"$FC" example statuses >/dev/null 2>&1; rc=$?
check "example without a number: usage, exit 2" [ "$rc" = 2 ]

curl -s "$ERP/order_status?limit=10" >"$FF_TMP/all.json"
"$FC" preview statuses --input "$FF_TMP/all.json" --attr suffix=WEB --json >"$FF_TMP/preview.json" 2>"$FF_TMP/preview.err"
check "preview: one PATCH bulk_status_update per row, through the NiFi script, the mapping and the row script" python3 - "$FF_TMP/preview.json" "$OMNI_PORT" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
req = d["requests"]
ok = len(req) == 3 and all(r["method"] == "PATCH" and r["url"] == "http://127.0.0.1:%s/api/i1/order_items/bulk_status_update/" % sys.argv[2] for r in req)
bodies = [json.loads(r["body"]) for r in req]
ok = ok and [b["order"] for b in bodies] == ["ORD-000001", "ORD-000002", "ORD-000003"]
ok = ok and all(b["note"] == "checked" and b["orderitem_set"][0]["invoice_number"] == "INV-" + b["order"] + "-WEB" for b in bodies)
if not ok: print(json.dumps(d)[:600])
sys.exit(0 if ok else 1)
PY
check "preview sends nothing to Omnitron" [ "$(state_int omni bulk_updates)" = 0 ]
"$FC" preview statuses --input "$FF_TMP/all.json" --attr suffix=WEB >"$FF_TMP/preview.txt" 2>&1
check "preview as text: the requests, no (null)s" sh -c "grep -q '^PATCH ' '$FF_TMP/preview.txt' && ! grep -q '(null)' '$FF_TMP/preview.txt'"
echo '{"not": "a list"}' >"$FF_TMP/bad.json"
"$FC" preview statuses --input "$FF_TMP/bad.json" --attr suffix=WEB >"$FF_TMP/bad.out" 2>&1; rc=$?
check "preview of a page the script fails on: the script's error, exit 1" sh -c \
    "[ $rc = 1 ] && grep -q 'script: .*REL_FAILURE: TypeError' '$FF_TMP/bad.out'"
echo '[{"orderitems": []}]' >"$FF_TMP/norder.json"
"$FC" preview statuses --input "$FF_TMP/norder.json" --attr suffix=WEB >"$FF_TMP/norder.out" 2>&1; rc=$?
check "preview of a row without an order: the writer's reason, exit 1" sh -c \
    "[ $rc = 1 ] && grep -q 'row 1: the row has no \"order\"' '$FF_TMP/norder.out'"

# Omnitron down: the rows fail (5xx, retried, then failed); replay lands them
omni_fault '{"error_rate": 1.0, "error_status": 503}'
ff_start_service reader; ff_start_service transformer; ff_start_service writer
wait_assigned reader transformer writer
"$FC" trigger statuses --param suffix=WEB >/dev/null
check "with Omnitron down, the three rows fail" wait_for 60 sh -c \
    "[ \$(kcat -b $BROKERS -C -t $FF_PREFIX.order_status.failed -e -q 2>/dev/null | grep -ac 'ORD-00000') -ge 3 ]"
omni_fault '{"error_rate": 0}'
"$FC" replay statuses >"$FF_TMP/replay.out" 2>&1
check "replay republishes the three rows" sh -c "[ \$(grep -c '  replaying ORD-00000' '$FF_TMP/replay.out') = 3 ]"
for n in 1 2 3; do
    check "after the replay ORD-00000$n's items have their invoice" wait_for 60 os_items_have ORD-00000$n INV-ORD-00000$n-WEB
done
ff_done
