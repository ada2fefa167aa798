#!/bin/sh
# make demo: the whole fleet on one machine. redis-server on a private port
# without persistence, the dev broker, both simulators seeded with orders,
# the four services running the example Order Flow, and `flowctl tail` in the
# foreground. Ctrl-C stops everything this script started.
#   DEMO_ORDERS=1000  how many orders the simulated Omnitron holds
cd "$(dirname "$0")/.." || exit 1
BIN=$PWD/build/bin
RUN=$PWD/run/demo
ORDERS=${DEMO_ORDERS:-1000}
rm -rf "$RUN" && mkdir -p "$RUN/flows"
PIDS=""
stop() {
    trap - INT TERM EXIT
    echo; echo "demo: stopping"
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
start broker "$BIN/flowfleet-devbroker" --flow-types order --prefix ff --partitions 4 --bootstrap-file "$RUN/bootstrap"
# the simulators take free ports and say which (18001/18002 when free)
port_or_free() { python3 -c "import socket,sys
s=socket.socket()
try: s.bind(('127.0.0.1', int(sys.argv[1])))
except OSError: s.bind(('127.0.0.1', 0))
print(s.getsockname()[1])" "$1"; }
OPORT=$(port_or_free 18001); EPORT=$(port_or_free 18002)
start omnitron "$BIN/omnitron-sim" --port "$OPORT" --port-file "$RUN/omni.port" --orders "$ORDERS" --channels 1,2
start erp "$BIN/erp-sim" --port "$EPORT" --port-file "$RUN/erp.port"
waitfile "$RUN/bootstrap" || { echo "demo: the dev broker did not start:"; cat "$RUN/broker.log"; exit 1; }
waitfile "$RUN/omni.port" && waitfile "$RUN/erp.port" || { echo "demo: a simulator did not start:"; cat "$RUN/omnitron.log" "$RUN/erp.log"; exit 1; }
export FLOWFLEET_BROKERS=$(cat "$RUN/bootstrap") FLOWFLEET_REDIS=$RUN/redis.sock FLOWFLEET_FLOWS=$RUN/flows FLOWFLEET_PREFIX=ff
# the dev broker answers an empty fetch only when its wait is over (docs/operations.md)
export FLOWFLEET_KAFKA=${FLOWFLEET_KAFKA:-consumer.fetch.wait.max.ms=100}
sed -e 's/"@every 10s"/"@every 5s"/' -e "s/127.0.0.1:18001/127.0.0.1:$OPORT/" -e "s/127.0.0.1:18002/127.0.0.1:$EPORT/" \
    flows/examples/orders.json >"$RUN/flows/orders.json"
"$BIN/flowctl" validate "$RUN/flows" || exit 1
for s in scheduler reader transformer writer; do start "$s" "$BIN/flowfleet-$s"; done
cat <<MSG
demo: broker $FLOWFLEET_BROKERS, redis $FLOWFLEET_REDIS
demo: Omnitron simulator http://127.0.0.1:$OPORT ($ORDERS orders), ERP simulator http://127.0.0.1:$EPORT
demo: state:   curl -s 127.0.0.1:$OPORT/_control/state   curl -s 127.0.0.1:$EPORT/_control/state
demo: the first run starts within 5 seconds; the log topic follows. Ctrl-C stops the demo.
MSG
"$BIN/flowctl" tail &
PIDS="$PIDS $!"
wait
