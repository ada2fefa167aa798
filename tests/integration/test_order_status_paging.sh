#!/bin/sh
# The Order Status Flow's seek and next paging, end to end with real
# processes, one automatic flow per kind: seek with the marker in the last
# row and in the answer, next as a URL and as a token (offset paging is
# test_order_status_flow.sh's). Each flow reads the ERP's 5 rows in pages
# of 2. Asserts what Omnitron holds at the end (every order's items
# updated, by every flow), the requests the ERP saw for each flow's first
# run, its finished event's totals (rows are the records, pages apart),
# and, once the ERP ignores its paging parameters, that a page or a
# next link already seen in a run stops it with an error on the log topic
# and leaves the flow's cursor where it was.
. "$(dirname "$0")/lib.sh"
ff_start_infra 10
. "$(dirname "$0")/order_status_lib.sh"
ERP=http://127.0.0.1:$ERP_PORT
OM=http://127.0.0.1:$OMNI_PORT
ORDERS=ORD-000001,ORD-000002,ORD-000003,ORD-000004,ORD-000005

cursor() { redis-cli -s "$REDIS_SOCK" get "$FF_PREFIX:cursor:$1"; }

os_load $ORDERS 500 INV-
# the answers of shape=object hold the rows under "rows"
cp "$FF_ROOT/flows/examples/order_status_rows_mapping.jolt" "$FF_FLOWS/"
# flow NAME PARAMS PAGING [ROWS_PATH MAPPING]: a flow tagging its requests tag=NAME
flow() {
    os_write_flow "$1" "read['params'] = dict({'tag': '$1'}, **$2); read['paging'] = $3
if '${4:-}': read['rows_path'] = '${4:-}'; f['mapping']['file'] = '${5:-}'"
}
flow seek-row '{"order_by": "order"}' '{"mode": "seek", "page_size": 2, "seek_param": "after", "seek_path": "order"}'
flow seek-answer '{"order_by": "order", "shape": "object"}' \
    '{"mode": "seek", "page_size": 2, "seek_param": "after", "seek_path": "last_order", "seek_from": "answer"}' \
    rows order_status_rows_mapping.jolt
flow next-url '{"shape": "object", "limit": 2}' '{"mode": "next", "next_path": "next"}' rows order_status_rows_mapping.jolt
flow next-token '{"shape": "object", "limit": 2}' '{"mode": "next", "next_path": "next_token", "next_param": "page_token"}' \
    rows order_status_rows_mapping.jolt
flow offset '{}' '{"mode": "offset", "page_size": 2}'
ff_start_services

FLOWS="seek-row seek-answer next-url next-token offset"
# wrote_all FLOW: the flow wrote each of the 5 orders (a record event of its writer)
wrote_all() {
    log_events | python3 -c '
import json, sys
flow, want = sys.argv[1], set(sys.argv[2].split(","))
got = set()
for l in sys.stdin:
    try: e = json.loads(l)
    except Exception: continue
    if e.get("kind") == "record" and e.get("flow") == flow and e.get("stage") == "write" and e.get("outcome") == "success":
        got.add(e.get("key"))
sys.exit(0 if want <= got else 1)' "$1" "$ORDERS"
}
for f in $FLOWS; do
    check "$f: the first run writes each of the 5 orders" wait_for 60 wrote_all "$f"
done
for n in 1 2 3 4 5; do
    check "ORD-00000$n's items have status 500 and their invoice" os_item_check ORD-00000$n 500 INV-ORD-00000$n
done

# first_run FLOW PARAM V1 V2 V3: the flow's first run made 3 requests whose PARAM was V1, V2, V3 ("-": absent)
first_run() {
    curl -s "$ERP/_control/status_requests" | python3 -c '
import json, sys
flow, param, want = sys.argv[1], sys.argv[2], [None if v == "-" else v for v in sys.argv[3:]]
r = [x for x in json.load(sys.stdin) if x.get("tag") == flow]
first = [x for x in r if x.get("modified_date__gt") == r[0]["modified_date__gt"]]
got = [x.get(param) for x in first]
if got != want: print(flow, "asked", got, "not", want)
sys.exit(0 if got == want else 1)' "$@"
}
check "seek-row: after the first page, after= the last row's order" first_run seek-row after - ORD-000002 ORD-000004
check "seek-answer: after= the answer's last_order" first_run seek-answer after - ORD-000002 ORD-000004
check "next-url: the next links (offset 2, then 4)" first_run next-url offset - 2 4
check "next-token: page_token= the answer's next_token" first_run next-token page_token - t2 t4
check "offset: offset 0, 2, 4" first_run offset offset 0 2 4

# first_totals FLOW: the first run's finished event counts rows as its
# records (5 published, 5 written) and says the pages apart (3 pages, 3
# requests, 5 rows listed)
first_totals() {
    log_events | python3 -c '
import json, sys
runs, fin = set(), {}
for l in sys.stdin:
    try: e = json.loads(l)
    except Exception: continue
    if e.get("kind") != "run" or e.get("flow") != sys.argv[1]: continue
    runs.add(e["run_id"])
    if e.get("event") == "finished": fin[e["run_id"]] = e
# the first run: the earliest tick (run ids end with it; the log topic is
# ordered per partition only)
e = fin.get(min(runs, key=lambda r: int(r.rsplit("-", 1)[1]))) if runs else None
if not e: sys.exit(1)   # the first run has not finished yet (a later, empty one may have)
c, li = e.get("counts", {}), e.get("list", {})
got = (c.get("published"), c.get("succeeded"), c.get("failed"), li.get("pages"), li.get("requests"), li.get("listed"))
if got != (5, 5, 0, 3, 3, 5): print(sys.argv[1], "published, succeeded, failed, pages, requests, listed:", got)
sys.exit(0 if got == (5, 5, 0, 3, 3, 5) else 1)' "$1"
}
for f in $FLOWS; do
    check "$f: the first run's totals: 5 rows published and written, 3 pages apart" wait_for 20 first_totals "$f"
done
[ "$FAIL" = 0 ] || for f in $FLOWS; do first_totals $f; done
check "every finished run adds up" run_totals_add_up

# The ERP now ignores its paging parameters: each request gets the first page
# (and a next link to itself). A change makes the next runs read 3 pages.
curl -s -X POST -d '{"ignore_paging": true}' "$ERP/_control/status_paging" >/dev/null
os_load $ORDERS 550 LOOP-
N1=$(curl -s "$ERP/_control/status_requests" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
# runs_since FLOW N: the flow's runs started N times since both changes (the
# requests without its paging parameter, each a run's first)
runs_since() {
    curl -s "$ERP/_control/status_requests" | python3 -c '
import json, sys
flow, n1, want = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
param = {"seek-row": "after", "seek-answer": "after", "next-url": "offset", "next-token": "page_token", "offset": "offset"}[flow]
r = [x for x in json.load(sys.stdin)[n1:] if x.get("tag") == flow and x.get(param) in (None, "0")]
sys.exit(0 if len(r) >= want else 1)' "$1" "$N1" "$2"
}
# a run, started after both changes, is over once the next one has started
for f in $FLOWS; do wait_for 60 runs_since "$f" 2; done
for f in $FLOWS; do eval "cur_$(echo $f | tr - _)=\$(cursor $f)"; done
for f in $FLOWS; do check "$f: two more runs" wait_for 60 runs_since "$f" 4; done
# failed FLOW TEXT: how many of the flow's runs failed saying TEXT (log topic)
failed() { log_events | grep "\"flow\":\"$1\"" | grep '"stage":"read"' | grep '"outcome":"failed"' | grep -c "$2"; }
for f in seek-row offset; do
    check "$f: the same page again stops each run with an error" [ "$(failed $f 'answered the same page as an earlier request of this run')" -ge 3 ]
done
check "seek-answer: the marker asked for again stops each run" [ "$(failed seek-answer 'the marker .*ORD-000002.* was asked for already in this run')" -ge 3 ]
check "next-url: the next link seen already stops each run" [ "$(failed next-url 'order_status?.* was asked for already in this run')" -ge 3 ]
check "next-token: the token seen already stops each run" [ "$(failed next-token 'page_token=t0 was asked for already in this run')" -ge 3 ]
for f in $FLOWS; do
    eval "was=\$cur_$(echo $f | tr - _)"
    check "$f: the failed runs left the cursor where it was ($was)" [ "$(cursor $f)" = "$was" ]
done
# the first page of each failed run was written: only ORD-000001 and 2 are at 550
check "the first page's rows were written" wait_for 30 os_item_check ORD-000002 550 LOOP-ORD-000002
check "the rows past the first page were not" os_item_check ORD-000003 500 INV-ORD-000003
ff_done
