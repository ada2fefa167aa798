#!/bin/sh
# make demo: the whole fleet on one machine. redis-server on a private port
# without persistence, the dev broker, both simulators seeded with orders,
# the four services running the example Order Flow (with the example's
# Script Step and Mapping Step: flows/examples/transform.py, mapping.json),
# and `flowctl tail` in the foreground. Ctrl-C stops everything this script
# started.
#   DEMO_ORDERS=1000  how many orders the simulated Omnitron holds
#   DEMO_TAIL=all     every record event (default: the runs and the records
#                     that did not succeed, so the banner stays readable)
# Each demo has its own run directory (run/demo.XXXXXX, kept after it
# stops, with every process's log): two demos in one checkout share nothing.
cd "$(dirname "$0")/.." || exit 1
BIN=$PWD/build/bin
ORDERS=${DEMO_ORDERS:-1000}
mkdir -p "$PWD/run" && RUN=$(mktemp -d "$PWD/run/demo.XXXXXX") && mkdir -p "$RUN/flows" || exit 1
PIDS=""
stop() {
    trap - INT TERM EXIT
    echo; echo "demo: stopping"; [ -s "$RUN/banner.txt" ] && cat "$RUN/banner.txt"
    # newest first: the tail, the services, then what they depend on
    for p in $(echo $PIDS | tr ' ' '\n' | tac); do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    echo "demo: logs are in $RUN"
    exit 0
}
trap stop INT TERM EXIT
# Each process in its own session: Ctrl-C reaches only this script and the
# tail, and stop() ends the rest in order (services before the broker).
start() { name=$1; shift; setsid "$@" >"$RUN/$name.log" 2>&1 & PIDS="$PIDS $!"; }
waitfile() { i=0; while [ ! -s "$1" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done; [ -s "$1" ]; }

export OMNITRON_USERNAME=flowfleet OMNITRON_PASSWORD=secret
start redis chrt -b 0 redis-server --port 0 --unixsocket "$RUN/redis.sock" --save '' --appendonly no
start broker "$BIN/flowfleet-devbroker" --flow-types order,order_status --prefix ff --partitions 4 --bootstrap-file "$RUN/bootstrap"
# the simulators take free ports and say which (18001/18002 when free)
port_or_free() { python3 -c "import socket,sys
s=socket.socket()
try: s.bind(('127.0.0.1', int(sys.argv[1])))
except OSError: s.bind(('127.0.0.1', 0))
print(s.getsockname()[1])" "$1"; }
OPORT=$(port_or_free 18001); EPORT=$(port_or_free 18002)
start omnitron "$BIN/omnitron-sim" --port "$OPORT" --port-file "$RUN/omni.port" --orders "$ORDERS" --channels 1,2
# the example mapping sends the ERP "order_number" and "lines"
start erp "$BIN/erp-sim" --port "$EPORT" --port-file "$RUN/erp.port" --number-field order_number --items-field lines
waitfile "$RUN/bootstrap" || { echo "demo: the dev broker did not start:"; cat "$RUN/broker.log"; exit 1; }
waitfile "$RUN/omni.port" && waitfile "$RUN/erp.port" || { echo "demo: a simulator did not start:"; cat "$RUN/omnitron.log" "$RUN/erp.log"; exit 1; }
export FLOWFLEET_BROKERS=$(cat "$RUN/bootstrap") FLOWFLEET_REDIS=$RUN/redis.sock FLOWFLEET_FLOWS=$RUN/flows FLOWFLEET_PREFIX=ff
# the dev broker answers an empty fetch only when its wait is over (docs/operations.md)
export FLOWFLEET_KAFKA=${FLOWFLEET_KAFKA:-consumer.fetch.wait.max.ms=100}
# the example flow, pointed at the simulators, with its script and mapping
# next to it (one flat folder, as a Kubernetes ConfigMap is)
cp flows/examples/transform.py flows/examples/mapping.json "$RUN/flows/"
python3 - flows/examples/orders.json "$RUN/flows/orders.json" "$OPORT" "$EPORT" <<'PY' || exit 1
import json, sys
src, dst, op, ep = sys.argv[1:5]
t = open(src).read().replace("127.0.0.1:18001", "127.0.0.1:" + op).replace("127.0.0.1:18002", "127.0.0.1:" + ep)
f = json.loads(t)
f["schedule"]["cron"] = "@every 5s"
f.setdefault("script", {"file": "transform.py", "timeout": "5s"})
f.setdefault("mapping", {"file": "mapping.json"})
json.dump(f, open(dst, "w"), indent=2)
PY
# the Order Status Flow: the ERP simulator holds a "shipped" status with an
# invoice for the first 50 orders; the flow reads it every 10 s and writes it
# to Omnitron item by item (bulk_status_update)
cp flows/examples/order_status_mapping.jolt "$RUN/flows/"
python3 - flows/examples/order_status.json "$RUN/flows/order_status.json" "$OPORT" "$EPORT" <<'PY' || exit 1
import json, sys, urllib.request
src, dst, op, ep = sys.argv[1:5]
t = open(src).read().replace("127.0.0.1:18001", "127.0.0.1:" + op).replace("127.0.0.1:18002", "127.0.0.1:" + ep)
f = json.loads(t)
f["schedule"]["cron"] = "@every 10s"
json.dump(f, open(dst, "w"), indent=2)
rows = []
for n in range(1, 51):
    num = "ORD-%06d" % n
    o = json.load(urllib.request.urlopen("http://127.0.0.1:%s/_control/order?number=%s" % (op, num)))
    rows.append({"order": num, "orderitems": [{"id": it["pk"], "status": 500, "invoice_number": "INV-%d" % n,
                                               "product": "p"} for it in o["order"]["orderitem_set"]]})
req = urllib.request.Request("http://127.0.0.1:%s/_control/statuses" % ep, data=json.dumps(rows).encode(), method="POST")
urllib.request.urlopen(req).read()
PY
# the outbound Order Status Flow: the ERP pushes rows to the receiver
# (flows/examples/order_status_outbound.json, its pusher's credentials below)
export ERP_PUSH_USERNAME=demo-erp ERP_PUSH_PASSWORD=demo-secret
python3 - flows/examples/order_status_outbound.json "$RUN/flows/order_status_outbound.json" "$OPORT" <<'PY' || exit 1
import json, sys
src, dst, op = sys.argv[1:4]
f = json.loads(open(src).read().replace("127.0.0.1:18001", "127.0.0.1:" + op))
json.dump(f, open(dst, "w"), indent=2)
PY
"$BIN/flowctl" validate "$RUN/flows" || exit 1
# the receiver: ERP pushes and trigger URLs (docs/operations.md)
export FLOWFLEET_RECEIVER_PORT=${FLOWFLEET_RECEIVER_PORT:-$(port_or_free 18088)}
for s in scheduler reader transformer writer receiver; do start "$s" "$BIN/flowfleet-$s"; done
python3 - "$OPORT" >"$RUN/push-example.json" <<'PY'
import json, sys, urllib.request
o = json.load(urllib.request.urlopen("http://127.0.0.1:%s/_control/order?number=ORD-000051" % sys.argv[1]))
print(json.dumps([{"order": "ORD-000051", "orderitems": [{"id": it["pk"], "status": 550, "invoice_number": "INV-PUSHED-51"}
                                                         for it in o["order"]["orderitem_set"]]}]))
PY
# what the transformer does to an order: the ERP's body for the first one
"$BIN/flowctl" order orders ORD-000001 >"$RUN/ORD-000001.json" 2>"$RUN/preview.log" &&
    "$BIN/flowctl" preview orders --input "$RUN/ORD-000001.json" --json >"$RUN/preview.json" 2>>"$RUN/preview.log"
BODY=$(python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
w = [r for r in d["requests"] if r["step"] == "write_erp"][0]
print(w["method"], w["url"]); print(json.dumps(json.loads(w["body"]))[:300])' "$RUN/preview.json" 2>/dev/null)
cat >"$RUN/banner.txt" <<MSG
------------------------------------------------------------------------------
demo: Omnitron simulator http://127.0.0.1:$OPORT ($ORDERS orders), ERP simulator http://127.0.0.1:$EPORT
demo: run directory $RUN (logs, flows)
demo: the transformer runs transform.py then mapping.json; ORD-000001 goes to the ERP as
  ${BODY:-(flowctl preview failed: see $RUN/preview.log)}
demo: point flowctl at this demo from another terminal:
  export FLOWFLEET_BROKERS=$FLOWFLEET_BROKERS FLOWFLEET_REDIS=$FLOWFLEET_REDIS
  export FLOWFLEET_FLOWS=$FLOWFLEET_FLOWS FLOWFLEET_PREFIX=$FLOWFLEET_PREFIX
  export FLOWFLEET_KAFKA=$FLOWFLEET_KAFKA
  then: $BIN/flowctl runs | run RUN_ID | tail orders | show-failed orders KEY
demo: state: curl -s 127.0.0.1:$OPORT/_control/state   curl -s 127.0.0.1:$EPORT/_control/state
demo: the Order Status Flow (order-statuses) writes the ERP's statuses of ORD-000001..50 to Omnitron
      every 10 s; the receiver listens on 127.0.0.1:$FLOWFLEET_RECEIVER_PORT. Push statuses as the ERP would:
  T=\$(curl -s -d 'username=$ERP_PUSH_USERNAME&password=$ERP_PUSH_PASSWORD' 127.0.0.1:$FLOWFLEET_RECEIVER_PORT/api/nifi/login)
  curl -s -H "Authorization: Bearer \$T" -d @$RUN/push-example.json 127.0.0.1:$FLOWFLEET_RECEIVER_PORT/outbound/pushed
demo: the first run starts within 5 seconds. Below: runs, and records that did not succeed
      (DEMO_TAIL=all for every record). Ctrl-C stops the demo.
------------------------------------------------------------------------------
MSG
cat "$RUN/banner.txt"
if [ "${DEMO_TAIL:-}" = all ]; then
    "$BIN/flowctl" tail &
else
    "$BIN/flowctl" tail --outcome failed,parked,error &
fi
PIDS="$PIDS $!"
wait
