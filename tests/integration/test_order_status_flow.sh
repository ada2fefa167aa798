#!/bin/sh
# The Order Status Flow, inbound, with real processes: the ERP's order
# status API read page by page (offset paging), the seed's mapping on each
# page, one bulk_status_update per order in Omnitron. Asserts what Omnitron
# holds at the end: every item got its status and invoice; a second run
# reads only what changed since the first (the cursor, in the flow's
# format); a manual run by number reads that order and leaves the cursor;
# a status Omnitron refuses (going backwards) fails its row with
# Omnitron's answer while the other rows are written.
. "$(dirname "$0")/lib.sh"
ff_start_infra 10
. "$(dirname "$0")/order_status_lib.sh"
ERP=http://127.0.0.1:$ERP_PORT
OM=http://127.0.0.1:$OMNI_PORT

bulk() { state_int omni bulk_updates; }
requests() { curl -s "$ERP/_control/status_requests"; }
cursor() { redis-cli -s "$REDIS_SOCK" get "$FF_PREFIX:cursor:statuses"; }

os_load ORD-000001,ORD-000002,ORD-000003,ORD-000004,ORD-000005 500 INV-
cp "$FF_ROOT/flows/examples/order_status_mapping.jolt" "$FF_FLOWS/"
python3 - "$FF_FLOWS/statuses.json" "$OMNI_PORT" "$ERP_PORT" <<'PY'
import json, sys
dst, op, ep = sys.argv[1:4]
json.dump({
  "name": "statuses", "type": "order_status",
  "schedule": {"cron": "@every 2s"},
  "http": {"timeout": "5s", "retries": 2, "backoff": "50ms"},
  "omnitron": {"url": "http://127.0.0.1:" + op, "username_env": "OMNITRON_USERNAME", "password_env": "OMNITRON_PASSWORD"},
  "erp": {"login": {"type": "none"},
          "read": {"url": "http://127.0.0.1:%s/order_status" % ep,
                   "trigger_params": {"channel": "web"},
                   "paging": {"mode": "offset", "page_size": 2}}},
  "cursor": {"timezone": "UTC"},
  "mapping": {"file": "order_status_mapping.jolt"}
}, open(dst, "w"), indent=2)
# the same flow without a schedule: manual runs only
f = json.load(open(dst)); f["name"] = "manual-statuses"; del f["schedule"]
json.dump(f, open(dst.replace("statuses.json", "manual.json"), "w"), indent=2)
PY
ff_start_services
check "the first run writes the 5 orders' rows to Omnitron" wait_state omni bulk_updates 5 60
for n in 1 2 3 4 5; do
    check "ORD-00000$n's items have status 500 and their invoice" os_item_check ORD-00000$n 500 INV-ORD-00000$n
done
untouched() { ! os_item_check ORD-000006 500 INV-ORD-000006 >/dev/null; }
check "Omnitron's other orders are untouched" untouched
first_run_pages() {
    requests | python3 -c '
import json,sys
r=json.load(sys.stdin)
first=[x for x in r if x.get("modified_date__gt")==r[0]["modified_date__gt"]]
ok=[x.get("offset") for x in first]==["0","2","4"] and all(x.get("limit")=="2" and x.get("channel")=="web" for x in first)
print(first) if not ok else None
sys.exit(0 if ok else 1)'
}
check "the first run read 3 pages of 2 (offset 0, 2, 4), with the custom parameter" first_run_pages
cursor_utc() { cursor | grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{3}Z$'; }
check "the cursor is kept in UTC" wait_for 10 cursor_utc
sleep 3   # a few more automatic runs: nothing changed, nothing written again
check "runs after it read nothing new" [ "$(bulk)" = 5 ]
os_load ORD-000002 550 NEW-
check "a status changed in the ERP reaches Omnitron" wait_state omni bulk_updates 6 30
check "ORD-000002 has the new status" wait_for 30 os_item_check ORD-000002 550 NEW-ORD-000002
# two more runs after it (each asks the ERP once when nothing changed),
# then: no other order was written again. (ORD-000002 may be written twice:
# a run that started before the change and asked after it reads it, and so
# does the next, from that run's start: rows read twice are harmless.)
asked_n() { requests | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
N=$(asked_n)
more_asked() { [ "$(asked_n)" -ge $((N + 2)) ]; }
wait_for 30 more_asked
others_once() {
    log_events | python3 -c '
import collections, json, sys
n = collections.Counter()
for l in sys.stdin:
    try: e = json.loads(l)
    except Exception: continue
    if e.get("kind") == "record" and e.get("flow") == "statuses" and e.get("stage") == "write" and e.get("outcome") == "success":
        n[e.get("key")] += 1
bad = {k: n[k] for k in ("ORD-000001", "ORD-000003", "ORD-000004", "ORD-000005") if n[k] != 1}
if bad: print("written more than once:", bad)
sys.exit(1 if bad else 0)'
}
check "only the changed order was written again" others_once
seed_format() {
    requests | python3 -c '
import json,re,sys
r=json.load(sys.stdin)
ok=len(r)>3 and all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}", x.get("modified_date__gt","")) for x in r)
sys.exit(0 if ok else 1)'
}
check "automatic runs send the cursor in the seed's format" seed_format
B=$(bulk)
"$BIN/flowctl" trigger manual-statuses --param number=ORD-000003 >"$FF_TMP/trigger.log" 2>&1
asked_number() { requests | grep -Eq '"number": ?"ORD-000003"'; }
check "a manual run by number asks for that order" wait_for 20 asked_number
check "... and writes it again (idempotent)" wait_state omni bulk_updates $((B + 1)) 30
# the status going backwards is refused by Omnitron
curl -s -X POST -d "$(python3 -c 'import json,sys; a=json.loads(sys.argv[1]); b=json.loads(sys.argv[2]); print(json.dumps(a+b))' "$(os_rows ORD-000004 300 BACK-)" "$(os_rows ORD-000001 600 FWD-)")" "$ERP/_control/statuses" >/dev/null
check "the other row of that run is written" wait_for 30 os_item_check ORD-000001 600 FWD-ORD-000001
refused_logged() { log_events | grep '"key":"ORD-000004"' | grep '"outcome":"failed"' | grep -q 'cannot change from 500 to 300'; }
check "the refused row failed with Omnitron's answer" wait_for 20 refused_logged
check "the refused row is in the failed topic" wait_for 10 sh -c "kcat -b $BROKERS -C -t $FF_PREFIX.order_status.failed -e -q 2>/dev/null | grep -q ORD-000004"
check "ORD-000004 kept its status" os_item_check ORD-000004 500 INV-ORD-000004
manual_cursor() { redis-cli -s "$REDIS_SOCK" get "$FF_PREFIX:cursor:manual-statuses"; }
check "the manual run did not set a cursor" [ -z "$(manual_cursor)" ]
check "every finished run adds up" run_totals_add_up
ff_done
