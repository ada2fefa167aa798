#!/bin/sh
# make bench: the benchmarks, each reporting ratios against a baseline
# measured in the same run.
#   BENCH_ORDERS=20000   orders for the end-to-end Order Flow run
#   JOLT_CASE=DIR        also run the Jolt bench on DIR/{input,spec}.json
#                        (default: ../shared/bench/jolt-order-chain when the
#                        Java library is there)
#   JOLT_ROUNDS=5        alternating Java/flowfleet rounds of the Jolt bench
cd "$(dirname "$0")/.." || exit 1
BIN=$PWD/build/bin
# Jolt: side by side with the Java library in the same run (alternating
# rounds) when ../shared/bench/jolt-java is there (JOLT_JAVA=path/to/run to
# override); without it bench-jolt prints our figures and no ratio.
JOLT_JAVA=${JOLT_JAVA:-../shared/bench/jolt-java/run}
jolt_java=
if [ -x "$JOLT_JAVA" ]; then
    command -v java >/dev/null 2>&1 || sh scripts/install-deps.sh java
    jolt_java=1
    JOLT_CASE=${JOLT_CASE:-$(dirname "$JOLT_JAVA")/../jolt-order-chain}
fi
bench_jolt() {
    if [ -n "$jolt_java" ]; then "$BIN/bench-jolt" --java "$JOLT_JAVA" --rounds "${JOLT_ROUNDS:-5}" "$@"
    else "$BIN/bench-jolt" --rounds "${JOLT_ROUNDS:-5}" "$@"; fi
}
echo "== jolt (built-in order chain)"; bench_jolt
[ -n "${JOLT_CASE:-}" ] && { echo "== jolt ($JOLT_CASE)"; bench_jolt "$JOLT_CASE"; }
echo "== python script step vs jython"; "$BIN/bench-pyscript"
echo "== receiver: pushes (scripts/bench-receiver.sh)"; sh scripts/bench-receiver.sh
echo "== order status flow, inbound, end to end (scripts/bench-order-status.sh)"; sh scripts/bench-order-status.sh
echo "== order flow end to end"
N=${BENCH_ORDERS:-20000}
# 48 partitions: the dev broker keeps only the newest 5 MB of each, and the
# reader runs ahead of the writer (see tools/devbroker/main.c)
export FF_PARTITIONS=${FF_PARTITIONS:-48}
export FF_KEEP= FF_ROOT=$PWD
. tests/integration/lib.sh
ff_start_infra "$N"
OPEN=$(omni_state unsent_open)
TOKEN=$(curl -s -X POST -d '{"username":"flowfleet","password":"secret"}' "http://127.0.0.1:$OMNI_PORT/api/v1/auth/login/" | jget key)
# the simulators' raw capacity, measured with wrk on the calls an order makes
omni_rps=$(wrk -t2 -c32 -d5s -H "Authorization: Token $TOKEN" "http://127.0.0.1:$OMNI_PORT/api/v1/orders_integration/1/detailed_integration/" | awk '/Requests\/sec/ {print int($2)}')
erp_rps=$(wrk -t2 -c32 -d5s "http://127.0.0.1:$ERP_PORT/orders?number=ORD-000001" | awk '/Requests\/sec/ {print int($2)}')
ff_write_flow 'del f["schedule"]; f["omnitron"]["page_size"] = 500; f["omnitron"]["concurrency"] = 16'
# the services serve the order type only, as the per-type Deployments in
# deploy/k8s do (FLOWFLEET_TYPES=order): no fetches on the other types' topics
export FLOWFLEET_TYPES=order
ff_start_service reader; ff_start_service transformer; ff_start_service writer --threads 32
# timed from when every consumer has its partitions: the dev broker's first
# group join alone takes 3 s, a start-up cost, not throughput
wait_assigned reader transformer writer || echo "bench: a service got no partitions"
CPU0=$(cpu_ticks)
REQ0=$(omni_state requests); EQ0=$(erp_state queries)
t0=$(date +%s.%N)
"$BIN/flowctl" trigger orders >/dev/null
wait_omni_sent "$OPEN" 900 || echo "bench: not every order was sent in time"
t1=$(date +%s.%N)
CPU1=$(cpu_ticks)
REQ1=$(omni_state requests); EQ=$(( $(erp_state queries) - EQ0 )); EW=$(erp_state received)
# side effects in Omnitron: orders marked sent twice, items mapped twice (both 0)
TWICE=$(omni_twice)
python3 - "$OPEN" "$t0" "$t1" "$omni_rps" "$erp_rps" "$REQ0" "$REQ1" "$EQ" "$EW" "$(peak_rss reader)" "$(peak_rss transformer)" "$(peak_rss writer)" "$(erp_state duplicates)" "$CPU0" "$CPU1" "$(getconf CLK_TCK)" "$TWICE" <<'PY'
import json, sys
n, t0, t1, orps, erps, r0, r1, eq, ew, rr, rt, rw, dup, c0, c1, hz, twice = sys.argv[1:18]
sent_twice, mapped_twice = twice.split()
n = int(n); secs = float(t1) - float(t0)
req = (int(r1) - int(r0) + int(eq) + int(ew)) / n
cap = min(int(orps or 0), int(erps or 0)) or int(orps or 0)
rate = n / secs
limit = cap / req if req else 0
res = {"orders": n, "seconds": round(secs, 2), "orders_per_s": round(rate, 1), "http_requests_per_order": round(req, 2),
       "sim_capacity_rps": {"omnitron": int(orps or 0), "erp": int(erps or 0)}, "http_bound_orders_per_s": round(limit, 1),
       "ratio_to_limit": round(rate / limit, 3) if limit else None,
       "peak_rss_kb": {"reader": int(rr or 0), "transformer": int(rt or 0), "writer": int(rw or 0)}, "duplicates": int(dup),
       "orders_marked_sent_twice": int(sent_twice), "extra_mappings_of_an_item": int(mapped_twice)}
names = "reader transformer writer omnitron erp redis broker".split()
res["cpu_ms_per_order"] = {k: round((int(b) - int(a)) * 1000.0 / int(hz) / n, 3) for k, a, b in zip(names, c0.split(), c1.split())}
print("CPU ms per order: " + ", ".join("%s %.3f" % kv for kv in res["cpu_ms_per_order"].items()))
print("orders/s %.1f over %d orders, %.2f HTTP requests per order, HTTP-bound limit %.1f orders/s, ratio %.3f"
      % (rate, n, req, limit, res["ratio_to_limit"] or 0))
print("ERP duplicates %s, orders marked sent twice %s, extra mappings of an item %s" % (dup, sent_twice, mapped_twice))
print(json.dumps(res))
PY
