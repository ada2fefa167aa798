#!/bin/sh
# make bench, the Order Status Flow inbound, end to end: the ERP simulator
# holds status rows for BENCH_STATUS_ROWS orders (20,000), a manual run reads
# them page by page (offset paging, BENCH_STATUS_PAGE rows a page), the
# transformer maps each page (the seed's mapping) into rows and the writer
# PATCHes each row to Omnitron. Reported: rows a second, the HTTP requests
# a row costs, and the ratio to the HTTP-bound limit (the simulators' own
# capacity on those calls, measured with wrk in the same run), as for the
# Order Flow; and the reader's peak memory after a run of a tenth of the
# rows beside after the whole run: flat, as the reader holds one page at a
# time.
cd "$(dirname "$0")/.." || exit 1
N=${BENCH_STATUS_ROWS:-20000}
PAGE=${BENCH_STATUS_PAGE:-100}
FIRST=$((N / 10))
export FF_KEEP= FF_ROOT=$PWD
# 48 partitions: the dev broker keeps only the newest 5 MB of each
export FF_PARTITIONS=${FF_PARTITIONS:-48}
. tests/integration/lib.sh
ff_start_infra "$N"
ERP=http://127.0.0.1:$ERP_PORT
# the rows of orders [from, to], in the seed's shape with the real item ids,
# loaded into the ERP simulator in chunks
load_rows() {
    python3 - "$OMNI_PORT" "$ERP_PORT" "$1" "$2" <<'PY'
import http.client, json, sys
op, ep, lo, hi = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
om = http.client.HTTPConnection("127.0.0.1", int(op))
erp = http.client.HTTPConnection("127.0.0.1", int(ep))
chunk = []
def flush():
    erp.request("POST", "/_control/statuses", body=json.dumps(chunk))
    erp.getresponse().read()
    chunk.clear()
for n in range(lo, hi + 1):
    num = "ORD-%06d" % n
    om.request("GET", "/_control/order?number=" + num)
    o = json.loads(om.getresponse().read())["order"]
    chunk.append({"order": num, "orderitems": [{"id": it["pk"], "status": 500, "invoice_number": "INV-%d" % n,
                                                "product": "p"} for it in o["orderitem_set"]]})
    if len(chunk) == 2000:
        flush()
if chunk:
    flush()
PY
}
load_rows 1 "$FIRST"
cp flows/examples/order_status_mapping.jolt "$FF_FLOWS/"
python3 - "$FF_FLOWS/statuses.json" "$OMNI_PORT" "$ERP_PORT" "$PAGE" <<'PY'
import json, sys
dst, op, ep, page = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
json.dump({"name": "statuses", "type": "order_status",
           "http": {"timeout": "10s", "retries": 2, "backoff": "50ms"},
           "omnitron": {"url": "http://127.0.0.1:" + op, "username_env": "OMNITRON_USERNAME",
                        "password_env": "OMNITRON_PASSWORD"},
           "erp": {"login": {"type": "none"},
                   "read": {"url": "http://127.0.0.1:%s/order_status" % ep,
                            "paging": {"mode": "offset", "page_size": page, "max_requests": 100000}}},
           "mapping": {"file": "order_status_mapping.jolt"}}, open(dst, "w"), indent=2)
PY
TOKEN=$(curl -s -X POST -d '{"username":"flowfleet","password":"secret"}' "http://127.0.0.1:$OMNI_PORT/api/v1/auth/login/" | jget key)
export FLOWFLEET_TYPES=order_status
ff_start_service reader; ff_start_service transformer; ff_start_service writer --threads 32
wait_assigned reader transformer writer || echo "bench: a service got no partitions"
B0=$(state_int omni bulk_updates)
"$BIN/flowctl" trigger statuses >/dev/null
wait_state omni bulk_updates $((B0 + FIRST)) 600 || echo "bench: the first run did not finish in time"
RSS_SMALL=$(peak_rss reader)
# the whole set: the rest loaded, a second manual run reads all N rows
load_rows $((FIRST + 1)) "$N"
sleep 1   # the first run's last events settle before the counters are read
# the simulators' raw capacity on a row's calls, with every row loaded:
# a page of the ERP's status API, and one bulk_status_update (the same row
# again: accepted)
ROW=$(curl -s "$ERP/order_status?number=ORD-000001" | python3 -c 'import json,sys; r=json.load(sys.stdin)[0]
print(json.dumps({"order": r["order"], "orderitem_set": r["orderitems"]}))')
printf 'wrk.method = "PATCH"\nwrk.body = [==[%s]==]\nwrk.headers["Content-Type"] = "application/json"\nwrk.headers["Authorization"] = "Token %s"\n' \
    "$ROW" "$TOKEN" >"$FF_TMP/patch.lua"
omni_rps=$(wrk -t2 -c32 -d5s -s "$FF_TMP/patch.lua" "http://127.0.0.1:$OMNI_PORT/api/i1/order_items/bulk_status_update/" | awk '/Requests\/sec/ {print int($2)}')
erp_rps=$(wrk -t2 -c32 -d5s "$ERP/order_status?modified_date__gt=2000-01-01T00:00:00.000000&offset=0&limit=$PAGE" | awk '/Requests\/sec/ {print int($2)}')
CPU0=$(cpu_ticks)
B1=$(state_int omni bulk_updates); R1=$(omni_state requests)
E1=$(curl -s "$ERP/_control/status_requests" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
t0=$(date +%s.%N)
"$BIN/flowctl" trigger statuses >/dev/null
wait_state omni bulk_updates $((B1 + N)) 900 || echo "bench: not every row was written in time"
t1=$(date +%s.%N)
CPU1=$(cpu_ticks)
R2=$(omni_state requests)
E2=$(curl -s "$ERP/_control/status_requests" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
python3 - "$N" "$t0" "$t1" "$omni_rps" "$erp_rps" "$R1" "$R2" "$E1" "$E2" "$RSS_SMALL" "$(peak_rss reader)" "$(peak_rss transformer)" "$(peak_rss writer)" "$CPU0" "$CPU1" "$(getconf CLK_TCK)" "$FIRST" <<'PY'
import json, sys
n, t0, t1, orps, erps, r1, r2, e1, e2, rss_small, rss_reader, rss_t, rss_w, c0, c1, hz, first = sys.argv[1:18]
n = int(n); secs = float(t1) - float(t0)
# each simulator's share of a row's time at its measured capacity: the
# Omnitron calls (bulk_status_update, logins) and the ERP's pages
om_req = (int(r2) - int(r1)) / n
erp_req = (int(e2) - int(e1)) / n
req = om_req + erp_req
rate = n / secs
busy = (om_req / int(orps) if int(orps or 0) else 0) + (erp_req / int(erps) if int(erps or 0) else 0)
limit = 1 / busy if busy else 0
res = {"rows": n, "seconds": round(secs, 2), "rows_per_s": round(rate, 1), "http_requests_per_row": round(req, 3),
       "omnitron_requests_per_row": round(om_req, 3), "erp_requests_per_row": round(erp_req, 4),
       "sim_capacity_rps": {"omnitron_bulk_status_update": int(orps or 0), "erp_status_page": int(erps or 0)},
       "http_bound_rows_per_s": round(limit, 1), "ratio_to_limit": round(rate / limit, 3) if limit else None,
       "reader_peak_rss_kb": {"after %s rows" % first: int(rss_small or 0), "after %d rows" % n: int(rss_reader or 0)},
       "reader_rss_growth": round(int(rss_reader or 0) / int(rss_small or 1), 3),
       "peak_rss_kb": {"transformer": int(rss_t or 0), "writer": int(rss_w or 0)}}
names = "reader transformer writer omnitron erp redis broker".split()
res["cpu_ms_per_row"] = {k: round((int(b) - int(a)) * 1000.0 / int(hz) / n, 3) for k, a, b in zip(names, c0.split(), c1.split())}
print("CPU ms per row: " + ", ".join("%s %.3f" % kv for kv in res["cpu_ms_per_row"].items()))
print("rows/s %.1f over %d rows, %.3f HTTP requests per row, HTTP-bound limit %.1f rows/s, ratio %.3f"
      % (rate, n, req, limit, res["ratio_to_limit"] or 0))
print("reader peak RSS %s kB after %s rows, %s kB after %d rows (x%.3f)" % (rss_small, first, rss_reader, n, res["reader_rss_growth"]))
print(json.dumps(res))
PY
