#!/bin/sh
# make bench, the receiver: pushes a second to an outbound Order Status
# flow and the latency of their 202 (which waits for Kafka's
# acknowledgement), beside the same receiver's HTTP capacity on /healthz
# (no Redis, no Kafka) measured in the same run: the ratio says what the
# token check, the rate limit, the Idempotency-Key-free publish and the
# acknowledgement cost. Every 202 must be one message on the records topic.
#   BENCH_PUSH_SECONDS=10   length of each wrk run
#   BENCH_PUSH_CONNS=16     concurrent pushers
cd "$(dirname "$0")/.." || exit 1
export FF_KEEP= FF_ROOT=$PWD
# 48 partitions: the dev broker keeps only the newest 5 MB of each
export FF_PARTITIONS=${FF_PARTITIONS:-48}
. tests/integration/lib.sh
ff_start_infra 1
export PUSH_USER=bench PUSH_PASS=bench-secret
python3 - "$FF_ROOT/flows/examples/order_status_outbound.json" "$FF_FLOWS/pushed.json" "$OMNI_PORT" <<'PY'
import json, sys
f = json.load(open(sys.argv[1]))
f["name"] = "pushed"
f["omnitron"]["url"] = "http://127.0.0.1:" + sys.argv[3]
f["receiver"].update({"username_env": "PUSH_USER", "password_env": "PUSH_PASS", "rate_limit": 100000})
del f["receiver"]["path"]
f.pop("mapping", None)
json.dump(f, open(sys.argv[2], "w"), indent=2)
PY
RPORT=$(free_port)
export FLOWFLEET_RECEIVER_PORT=$RPORT
R=http://127.0.0.1:$RPORT
ff_start_service receiver
wait_for 20 curl -sf -o /dev/null "$R/healthz" || { echo "bench: the receiver did not start"; exit 1; }
TOKEN=$(curl -s -d "username=$PUSH_USER&password=$PUSH_PASS" "$R/api/nifi/login")
# a push as an ERP sends it: ten orders' rows, about 2 KB
python3 - "$TOKEN" >"$FF_TMP/push.lua" <<'PY'
import json, sys
rows = [{"order": "ORD-%06d" % n, "orderitems": [{"id": n * 10 + i, "status": 500, "invoice_number": "INV-%d" % n,
         "shipping_company": "acme", "tracking_number": "TRK%08d" % (n * 10 + i)} for i in range(2)]} for n in range(10)]
print('wrk.method = "POST"')
print('wrk.body = [==[%s]==]' % json.dumps(rows))
print('wrk.headers["Content-Type"] = "application/json"')
print('wrk.headers["Authorization"] = "Bearer %s"' % sys.argv[1])
PY
SECS=${BENCH_PUSH_SECONDS:-10}; CONNS=${BENCH_PUSH_CONNS:-16}
wrk -t2 -c"$CONNS" -d"${SECS}s" --latency "$R/healthz" >"$FF_TMP/healthz.wrk"
wrk -t2 -c"$CONNS" -d"${SECS}s" --latency -s "$FF_TMP/push.lua" "$R/outbound/pushed" >"$FF_TMP/push.wrk"
# one message per run id (the key)
MSGS=$(kcat -b "$BROKERS" -C -t "$FF_PREFIX.order_status.records" -e -q -f '%k\n' 2>/dev/null | sort -u | grep -c push)
python3 - "$FF_TMP/healthz.wrk" "$FF_TMP/push.wrk" "$MSGS" "$CONNS" <<'PY'
import json, re, sys
def parse(path):
    t = open(path).read()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
    reqs = int(re.search(r"(\d+) requests in", t).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
    lat = {}
    for p, v, u in re.findall(r"^\s+(50|90|99)%\s+([\d.]+)(us|ms|s)\s*$", t, re.M):
        lat["p" + p] = round(float(v) * {"us": 0.001, "ms": 1, "s": 1000}[u], 2)
    return rps, reqs, int(bad.group(1)) if bad else 0, lat
h_rps, _, _, h_lat = parse(sys.argv[1])
p_rps, p_reqs, p_bad, p_lat = parse(sys.argv[2])
msgs = int(sys.argv[3] or 0)
res = {"pushes_per_s": round(p_rps, 1), "healthz_per_s": round(h_rps, 1), "ratio_to_healthz": round(p_rps / h_rps, 3),
       "push_latency_ms": p_lat, "healthz_latency_ms": h_lat, "connections": int(sys.argv[4]),
       "pushes": p_reqs, "refused": p_bad, "messages_on_topic": msgs}
print("pushes/s %.1f (%d connections), healthz/s %.1f on the same receiver, ratio %.3f" % (p_rps, res["connections"], h_rps, res["ratio_to_healthz"]))
print("latency of the 202 (Kafka's ack included): p50 %s ms, p90 %s ms, p99 %s ms" % (p_lat.get("p50"), p_lat.get("p90"), p_lat.get("p99")))
print("answered 202: %d, refused: %d, messages on the records topic: %d" % (p_reqs - p_bad, p_bad, msgs))
print(json.dumps(res))
PY
