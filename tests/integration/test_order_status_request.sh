#!/bin/sh
# Read Data From ERP's request settings, end to end (and the cursor's time
# zone, format and look-back as they reach the ERP): an ERP that requires
# a header (an Extra Header whose value is an expression), read with POST
# (the Extra Params are the JSON body; the query and paging parameters
# stay in the URL) and with GET (the Extra Params are query parameters).
# A flow without the header gets the ERP's 401: its run fails with the
# ERP's answer and writes nothing.
. "$(dirname "$0")/lib.sh"
ff_start_infra 6
. "$(dirname "$0")/order_status_lib.sh"
ERP=http://127.0.0.1:$ERP_PORT
os_load ORD-000001,ORD-000002,ORD-000003 500 INV-
curl -s -X POST -d '{"require_header": ["X-Api-Key", "k1"]}' "$ERP/_control/status_paging" >/dev/null
os_write_flow posted 'read.update({"method": "POST", "headers": {"X-Api-Key": "${literal(\"k\"):append(\"1\")}"},
                                   "params": {"warehouse": "W1", "channel": 2}, "paging": {"mode": "offset", "page_size": 2}})'
os_write_flow got 'read.update({"headers": {"X-Api-Key": "k1"}, "params": {"warehouse": "W2"}}); f["schedule"]["cron"] = "@every 1h"
f["cursor"] = {"timezone": "Europe/Istanbul", "first_run": "24h"}'
os_write_flow lb 'read.update({"headers": {"X-Api-Key": "k1"}, "params": {"warehouse": "LB"}}); f["schedule"]["cron"] = "@every 1h"
f["cursor"]["look_back"] = "10m"'
os_write_flow headless 'f["schedule"]["cron"] = "@every 1h"'
ff_start_services
check "POST with the header: every order's rows land" wait_state omni bulk_updates 3 60
# what the ERP saw (its requests' arguments, a POST's body as "_body")
saw() {
    curl -s "$ERP/_control/status_requests" | python3 -c '
import json, sys
want = sys.argv[1]
r = json.load(sys.stdin)
posted = [x for x in r if "_body" in x]
if want == "post":
    ok = len(posted) >= 2 and all(x["_body"] == {"warehouse": "W1", "channel": 2} for x in posted) \
        and [x.get("offset") for x in posted[:2]] == ["0", "2"] and all("modified_date__gt" in x and "warehouse" not in x for x in posted)
else:
    ok = any(x.get("warehouse") == "W2" and "_body" not in x for x in r)
sys.exit(0 if ok else 1)' "$1"
}
check "the POST's body is the Extra Params; the cursor and the paging stay in the URL" saw post
# look-back: a run asks from the cursor (UTC in Redis) less 10 minutes (a
# manual run uses the cursor too, and leaves it)
redis-cli -s "$REDIS_SOCK" set "$FF_PREFIX:cursor:lb" "2026-01-01T00:00:00.000Z" >/dev/null
"$BIN/flowctl" trigger lb >/dev/null
looked_back() {
    curl -s "$ERP/_control/status_requests" | python3 -c '
import json, sys
sys.exit(0 if any(x.get("warehouse") == "LB" and x.get("modified_date__gt") == "2025-12-31T23:50:00.000000" for x in json.load(sys.stdin)) else 1)'
}
check "a run asks from the cursor less cursor.look_back" wait_for 30 looked_back
"$BIN/flowctl" trigger got >/dev/null
check "GET: the Extra Params are query parameters" wait_for 30 saw get
check "the cursor reaches the URL in the flow's time zone and the seed's format (a first run: 24 h ago, Istanbul time)" \
    sh -c "curl -s $ERP/_control/status_requests | python3 -c '
import datetime, json, re, sys
r = [x for x in json.load(sys.stdin) if x.get(\"warehouse\") == \"W2\"][0][\"modified_date__gt\"]
ok = re.fullmatch(r\"\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}\", r) is not None
want = datetime.datetime.utcnow() + datetime.timedelta(hours=3) - datetime.timedelta(hours=24)
ok = ok and abs((datetime.datetime.strptime(r, \"%Y-%m-%dT%H:%M:%S.%f\") - want).total_seconds()) < 300
sys.exit(0 if ok else 1)'"
"$BIN/flowctl" trigger headless >/dev/null
check "without the header the ERP answers 401 and the run fails with its answer" wait_for 30 sh -c \
    "kcat -b $BROKERS -C -t $FF_PREFIX.log -e -q 2>/dev/null | grep '\"flow\":\"headless\"' | grep '\"event\":\"finished\"' | grep '\"status\":\"failed\"' | grep -q 'X-Api-Key header is missing'"
# (the other flows keep writing: the posted one re-reads its look-back each run)
wrote_nothing() { ! kcat -b "$BROKERS" -C -t "$FF_PREFIX.log" -e -q 2>/dev/null | grep '"flow":"headless"' | grep '"kind":"record"' | grep -q '"outcome":"success"'; }
check "the failed run wrote nothing" wrote_nothing
ff_done
