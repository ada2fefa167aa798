#!/bin/sh
# The backlog case of the Order Status Flow, end to end with real
# processes: a backlog of 9 changed rows, a run reading at most 2 pages of
# 2 (erp.read.paging.max_requests 2). With the answer sorted by modified
# date (erp.read.sorted_by_modified_date) each automatic run that reaches
# the cap moves the cursor to the newest row it published (less 1 ms), so
# three runs work the backlog through and every order is written. Without
# it, reaching the cap fails the run with a clear log event and the cursor
# stays where it was, run after run.
. "$(dirname "$0")/lib.sh"
ff_start_infra 10
. "$(dirname "$0")/order_status_lib.sh"
ERP=http://127.0.0.1:$ERP_PORT
OM=http://127.0.0.1:$OMNI_PORT
NUMS=ORD-000001,ORD-000002,ORD-000003,ORD-000004,ORD-000005,ORD-000006,ORD-000007,ORD-000008,ORD-000009

# the 9 rows, modified one second apart an hour ago (UTC, the seed's
# format), with their real Omnitron item ids; $FF_TMP/dates gets the dates
python3 - "$OMNI_PORT" "$NUMS" "$FF_TMP/dates" >"$FF_TMP/rows.json" <<'PY'
import datetime, json, sys, urllib.request
port, nums, dates = sys.argv[1], sys.argv[2].split(","), sys.argv[3]
base = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0) - datetime.timedelta(hours=1)
out, ds = [], []
for i, n in enumerate(nums):
    o = json.load(urllib.request.urlopen("http://127.0.0.1:%s/_control/order?number=%s" % (port, n)))
    items = [{"id": it["pk"], "status": 500, "invoice_number": "BL-" + n, "product": "p"} for it in o["order"]["orderitem_set"]]
    d = (base + datetime.timedelta(seconds=i + 1)).strftime("%Y-%m-%dT%H:%M:%S.%f")
    ds.append(d)
    out.append({"order": n, "orderitems": items, "modified_date": d})
open(dates, "w").write("\n".join(ds) + "\n")
print(json.dumps(out))
PY
curl -s -X POST -d @"$FF_TMP/rows.json" "$ERP/_control/statuses" >/dev/null
for f in sorted unsorted; do
    os_write_flow $f "read['params'] = {'tag': '$f'}; read['sorted_by_modified_date'] = '$f' == 'sorted'
read['modified_date_path'] = 'modified_date'; read['paging'] = {'mode': 'offset', 'page_size': 2, 'max_requests': 2}"
done
# the unsorted flow has read before: its cursor is two hours ago
UNSORTED_CURSOR=$(python3 -c 'import datetime; print((datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S.000Z"))')
redis-cli -s "$REDIS_SOCK" set "$FF_PREFIX:cursor:unsorted" "$UNSORTED_CURSOR" >/dev/null
ff_start_services

# all_written: every order's items have status 500 and the invoice BL-<number> (one process per poll)
all_written() {
    python3 - "$OMNI_PORT" "$NUMS" <<'PY'
import json, sys, urllib.request
port, nums = sys.argv[1], sys.argv[2].split(",")
for n in nums:
    o = json.load(urllib.request.urlopen("http://127.0.0.1:%s/_control/order?number=%s" % (port, n)))["order"]
    if any(str(it["status"]) != "500" or it["invoice_number"] != "BL-" + n for it in o["orderitem_set"]):
        sys.exit(1)
PY
}
check "sorted: the backlog of 9 is worked through: every order's items updated" wait_for 90 all_written
# asked FLOW: the distinct modified_date__gt the flow's runs asked from, in order
asked() {
    curl -s "$ERP/_control/status_requests" | python3 -c '
import json, sys
seen = []
for x in json.load(sys.stdin):
    if x.get("tag") == sys.argv[1] and x.get("modified_date__gt") not in seen: seen.append(x["modified_date__gt"])
print("\n".join(seen))' "$1"
}
# the cursor after a capped run: the newest published row (the 4th, then the 7th) less 1 ms
less_1ms() { python3 -c 'import datetime,sys; d=datetime.datetime.strptime(sys.argv[1], "%Y-%m-%dT%H:%M:%S.%f"); print((d - datetime.timedelta(milliseconds=1)).strftime("%Y-%m-%dT%H:%M:%S.%f"))' "$1"; }
D4=$(sed -n 4p "$FF_TMP/dates"); D7=$(sed -n 7p "$FF_TMP/dates")
runs_from() { [ "$(asked sorted | sed -n 2,3p | tr '\n' ' ')" = "$(less_1ms $D4) $(less_1ms $D7) " ]; }
check "sorted: the 2nd and 3rd runs asked from the newest row the run before published" runs_from
[ "$FAIL" = 0 ] || { echo "asked from:"; asked sorted | head -4; echo "D4 $D4 D7 $D7"; }
cursor_moved() { grep -q "sorted: stopped after 2 requests .* the answer is sorted by modified date, so the cursor moves to $(less_1ms $D4 | cut -c1-23)Z" "$FF_TMP/reader.log"; }
check "sorted: a capped run says so in the reader's log" cursor_moved
caught_up() { [ "$(redis-cli -s "$REDIS_SOCK" get "$FF_PREFIX:cursor:sorted")" \> "$(date -u -d '-5 min' +%Y-%m-%dT%H:%M:%S)" ]; }
check "sorted: once the backlog is read the cursor is the run's start again" wait_for 30 caught_up

capped_failures() {
    n=$(log_events | grep '"flow":"unsorted"' | grep '"outcome":"failed"' | grep -c 'stopped after 2 requests (erp.read.paging.max_requests): the list did not end')
    [ "$n" -ge 2 ]
}
check "unsorted: reaching the cap fails the run, with a clear log event (twice)" wait_for 30 capped_failures
check "unsorted: the cursor stays where it was" [ "$(redis-cli -s "$REDIS_SOCK" get "$FF_PREFIX:cursor:unsorted")" = "$UNSORTED_CURSOR" ]
same_from() { [ "$(asked unsorted | wc -l)" = 1 ]; }
check "unsorted: every run asked from that same cursor" same_from
check "every finished run adds up" run_totals_add_up
ff_done
