# lib.sh: what every integration test shares. Sourced, not run.
#
# Starts real processes on private ports in a private directory: redis-server
# (unix socket, no persistence), the dev broker (librdkafka's mock cluster),
# both simulators, and the four services with the example Order Flow pointed
# at the simulators. Everything started is killed on exit.
#   ff_start_infra [ORDERS]     redis, broker, simulators
#   ff_write_flow [jq-ish edits via python]   flow file into $FF_FLOWS
#   ff_start_services           scheduler, reader, transformer, writer
#   omni_state KEY / erp_state KEY   read the simulators' control state
#   check NAME COND...          record a pass or a failure
#   ff_done                     prints "N passed, N failed" and exits

set -u
FF_ROOT=${FF_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BIN=$FF_ROOT/build/bin
FF_TMP=$(mktemp -d /tmp/ff-it.XXXXXX)
FF_FLOWS=$FF_TMP/flows
FF_PREFIX=it$$
mkdir -p "$FF_FLOWS"
PASS=0; FAIL=0
FF_PIDS=""
export OMNITRON_USERNAME=flowfleet OMNITRON_PASSWORD=secret

ff_cleanup() {
    for p in $FF_PIDS; do kill -9 "$p" 2>/dev/null; done
    wait 2>/dev/null
    if [ "$FAIL" -ne 0 ] || [ -n "${FF_KEEP:-}" ]; then
        echo "logs kept in $FF_TMP"
    else
        rm -rf "$FF_TMP"
    fi
}
trap ff_cleanup EXIT

check() {
    name=$1; shift
    if "$@"; then PASS=$((PASS + 1)); echo "ok - $name"
    else FAIL=$((FAIL + 1)); echo "not ok - $name"; fi
}

ff_done() {
    echo "$PASS passed, $FAIL failed"
    [ "$FAIL" -eq 0 ]
    exit $?
}

# wait_for SECONDS CMD...: polls CMD every 0.2 s until it succeeds.
wait_for() {
    t=$(($1 * 5)); shift
    while [ $t -gt 0 ]; do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.2; t=$((t - 1))
    done
    return 1
}

# bg NAME CMD...: runs CMD in the background with its output in $FF_TMP/NAME.log.
bg() {
    name=$1; shift
    "$@" >"$FF_TMP/$name.log" 2>&1 &
    eval "PID_$(echo "$name" | tr -c 'a-zA-Z0-9\n' _)=$!"
    FF_PIDS="$FF_PIDS $!"
}
pid_of() { eval "echo \$PID_$(echo "$1" | tr -c 'a-zA-Z0-9\n' _)"; }
# free_port: a TCP port nothing listens on now, for a process given --port
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# For benchmarks: cpu_ticks: the CPU time (utime + stime, in ticks) of each
# process of a run, in this order: reader transformer writer omnitron erp
# redis broker; peak_rss NAME: a process's peak resident memory, in kB.
cpu_ticks() { for n in reader transformer writer omnitron erp redis broker; do awk '{printf "%s ", $14 + $15}' "/proc/$(pid_of $n)/stat"; done; }
peak_rss() { awk '/VmHWM/ {print $2}' "/proc/$(pid_of "$1")/status" 2>/dev/null; }
# kill9 NAME: kill -9 a process started with bg and reap it, so that its
# port is free again for a replacement (binding it before the old process
# is gone fails with "Address already in use")
kill9() { _p=$(pid_of "$1"); kill -9 "$_p" 2>/dev/null; wait "$_p" 2>/dev/null; return 0; }

jget() { python3 -c 'import json,sys
d=json.load(sys.stdin)
for k in sys.argv[1].split("."):
    d = d.get(k) if isinstance(d, dict) else (d[int(k)] if isinstance(d, list) else None)
print(json.dumps(d) if isinstance(d, (dict, list)) else ("" if d is None else d))' "$1"; }

omni_state() { curl -s "http://127.0.0.1:$OMNI_PORT/_control/state" | jget "$1"; }
erp_state() { curl -s "http://127.0.0.1:$ERP_PORT/_control/state" | jget "$1"; }
omni_fault() { curl -s -X POST -d "$1" "http://127.0.0.1:$OMNI_PORT/_control/faults" >/dev/null; }
erp_fault() { curl -s -X POST -d "$1" "http://127.0.0.1:$ERP_PORT/_control/faults" >/dev/null; }

ff_start_infra() {
    orders=${1:-50}
    REDIS_SOCK=$FF_TMP/redis.sock
    # batch, as every process of the fleet (common/cpupolicy.h)
    bg redis chrt -b 0 redis-server --port 0 --unixsocket "$REDIS_SOCK" --save '' --appendonly no
    wait_for 10 test -S "$REDIS_SOCK" || { echo "redis did not start"; cat "$FF_TMP/redis.log"; exit 1; }
    bg broker "$BIN/flowfleet-devbroker" --flow-types order,order_status --prefix "$FF_PREFIX" --partitions "${FF_PARTITIONS:-4}" \
        --bootstrap-file "$FF_TMP/bootstrap"
    wait_for 10 test -s "$FF_TMP/bootstrap" || { echo "broker did not start"; cat "$FF_TMP/broker.log"; exit 1; }
    BROKERS=$(cat "$FF_TMP/bootstrap")
    bg omnitron "$BIN/omnitron-sim" --port 0 --port-file "$FF_TMP/omni.port" --orders "$orders" --channels 1,2 ${SIM_ARGS:-}
    bg erp "$BIN/erp-sim" --port 0 --port-file "$FF_TMP/erp.port" ${SIM_ARGS:-}
    wait_for 10 test -s "$FF_TMP/omni.port" && wait_for 10 test -s "$FF_TMP/erp.port" ||
        { echo "simulators did not start"; exit 1; }
    OMNI_PORT=$(cat "$FF_TMP/omni.port"); ERP_PORT=$(cat "$FF_TMP/erp.port")
    export FLOWFLEET_BROKERS=$BROKERS FLOWFLEET_PREFIX=$FF_PREFIX FLOWFLEET_REDIS=$REDIS_SOCK FLOWFLEET_FLOWS=$FF_FLOWS
    # the dev broker answers an empty fetch only when its wait is over, even
    # if data arrives meanwhile (docs/operations.md): keep the wait short
    export FLOWFLEET_KAFKA=${FLOWFLEET_KAFKA:-consumer.fetch.wait.max.ms=100}
}

# ff_write_flow [PYTHON-EDIT]: the example order flow pointed at the
# simulators, with a fast schedule; PYTHON-EDIT may change the dict `f`.
ff_write_flow() {
    python3 - "$FF_ROOT/flows/examples/orders.json" "$FF_FLOWS/orders.json" "$OMNI_PORT" "$ERP_PORT" "${1:-}" <<'PY'
import json, sys
src, dst, op, ep, edit = sys.argv[1:6]
t = open(src).read().replace("127.0.0.1:18001", "127.0.0.1:" + op).replace("127.0.0.1:18002", "127.0.0.1:" + ep)
f = json.loads(t)
f["schedule"]["cron"] = "@every 2s"
# the example's script and mapping stay beside the example (tests that want
# them set their own)
f.pop("script", None); f.pop("mapping", None)
exec(edit)
json.dump(f, open(dst, "w"), indent=2)
PY
}

ff_start_service() {
    name=$1; shift
    bg "$name" "$BIN/flowfleet-$name" "$@"
}

ff_start_services() {
    ff_start_service scheduler
    ff_start_service reader
    ff_start_service transformer
    ff_start_service writer
}

# wait_assigned SERVICE...: each service's consumer got its partitions (the
# dev broker's first group join takes about 3 s).
wait_assigned() {
    for n in "$@"; do wait_for 30 grep -q "partition(s) assigned" "$FF_TMP/$n.log" || return 1; done
}

# state_int omni|erp FIELD: one top-level integer of a simulator's state,
# read with curl and sed alone: the waits below poll it several times a
# second, and a benchmark must not spend its CPU starting interpreters.
state_int() {
    port=$OMNI_PORT; [ "$1" = erp ] && port=$ERP_PORT
    curl -s "http://127.0.0.1:$port/_control/state?brief=1" | sed -n "s/.*\"$2\": *\(-\{0,1\}[0-9][0-9]*\).*/\1/p"
}
# state_at_least omni|erp FIELD N: the simulator's state FIELD is >= N.
state_at_least() { v=$(state_int "$1" "$2"); [ "${v:-0}" -ge "$3" ] 2>/dev/null; }
# wait_state omni|erp FIELD N SECS: waits until the simulator's state FIELD
# is >= N, with one request the simulator holds until then (no poll loop to
# take CPU from the processes being measured). 0 when reached.
wait_state() {
    port=$OMNI_PORT; [ "$1" = erp ] && port=$ERP_PORT
    curl -s --max-time $(($4 + 10)) \
        "http://127.0.0.1:$port/_control/state?brief=1&wait_for=$2&wait_min=$3&timeout_ms=$(($4 * 1000))" >/dev/null
    state_at_least "$1" "$2" "$3"
}
# The ERP simulator holds N distinct orders; Omnitron has N orders marked sent.
wait_erp_orders() { wait_state erp orders "$1" "${2:-60}"; }
wait_omni_sent() { wait_state omni sent "$1" "${2:-60}"; }

# log_events: every log-topic event so far, one JSON per line.
log_events() { kcat -b "$BROKERS" -C -t "$FF_PREFIX.log" -e -q 2>/dev/null; }
failed_count() { kcat -b "$BROKERS" -C -t "$FF_PREFIX.order.failed" -e -q -f '%o\n' 2>/dev/null | wc -l; }

# omni_twice: "<orders marked sent more than once> <extra mappings of the
# most-mapped item>" from Omnitron's state; "0 0" when every side effect
# happened once.
omni_twice() {
    curl -s "http://127.0.0.1:$OMNI_PORT/_control/state" | python3 -c '
import json,sys
s=json.load(sys.stdin)
print(sum(1 for v in s["sent_counts"].values() if v > 1), max(0, s["item_mapping_counts_max"] - 1))'
}
# run_totals_add_up: every finished run event has published = succeeded + failed + skipped,
# and no run finished twice.
run_totals_add_up() {
    log_events | python3 -c '
import json,sys
runs={}
bad=0
for l in sys.stdin:
    try: e=json.loads(l)
    except Exception: continue
    if e.get("kind")=="run" and e.get("event")=="finished":
        c=e.get("counts",{})
        if c.get("published",0)!=c.get("succeeded",0)+c.get("failed",0)+c.get("skipped",0):
            print("run", e["run_id"], "does not add up:", c); bad=1
        runs[e["run_id"]]=runs.get(e["run_id"],0)+1
for r,n in runs.items():
    if n>1: print("run", r, "finished", n, "times"); bad=1
sys.exit(bad)'
}
# omni_unmapped_items: items of orders marked sent that have no mapping (0 when all have one).
omni_unmapped_items() {
    python3 - "$OMNI_PORT" <<'PY'
import json, sys, urllib.request
port = sys.argv[1]
s = json.load(urllib.request.urlopen("http://127.0.0.1:%s/_control/state" % port))
n = 0
for num in s["sent_counts"]:
    o = json.load(urllib.request.urlopen("http://127.0.0.1:%s/_control/order?number=%s" % (port, num)))
    n += sum(1 for m in o["item_mappings"].values() if m["code"] is None)
print(n)
PY
}
