#!/bin/sh
# The log topic as a contract, and metrics that tell the truth (issue 14).
#  - docs/log-topic.schema.json rejects an event with a missing field, an
#    unknown field, an unknown outcome, or a skip with an error and no reason;
#  - every event a real fleet writes (runs, steps, records; successes, a
#    skipped order, ERP writes that failed five times and were parked)
#    validates against it, and says what a dashboard needs;
#  - every metric the Grafana dashboard and the Prometheus rules use is one
#    the running services export; the ERP write's retries are counted;
#  - /readyz fails (and /healthz does not) when Redis goes away;
#  - metrics are on by default; FLOWFLEET_LOG_FORMAT=json makes every
#    service log line a JSON object.
. "$(dirname "$0")/lib.sh"
BIN=${FF_BIN:-$BIN}
V="python3 $FF_ROOT/tests/integration/log_schema.py"

# ---- the schema refuses what it must ----
GOOD='{"v":2,"kind":"record","ts":"2024-05-01T10:00:00.000Z","flow":"orders","flow_type":"order","run_id":"r1","key":"ORD-1","stage":"write","outcome":"success","reason":null,"http_status":201,"error":null,"duration_ms":12.5,"attempt":1,"tries":1,"attrs":{"log.channel":"1"}}'
# variant NAME PYTHON: the good event changed by PYTHON (on the dict e), in $FF_TMP/NAME.json
variant() { echo "$GOOD" | python3 -c "import json,sys; e=json.load(sys.stdin); $2; print(json.dumps(e))" >"$FF_TMP/$1.json"; }
valid() { $V "$FF_TMP/$1.json" >"$FF_TMP/$1.out"; }
variant good 'pass'
variant missing 'del e["run_id"]'
variant unknown_field 'e["colour"] = "red"'
variant unknown_outcome 'e["outcome"] = "succeeded"'
variant unknown_stage 'e["stage"] = "upload"'
variant skip_error 'e["outcome"] = "skipped"; e["error"] = "already there"'
variant skip_reason 'e["outcome"] = "skipped"; e["reason"] = "already_in_erp"'
variant old_version 'e["v"] = 1'
check "a well-formed record event validates" valid good
check "a missing field fails validation" sh -c "! $V '$FF_TMP/missing.json' >/dev/null"
check "an unknown field fails validation" sh -c "! $V '$FF_TMP/unknown_field.json' >/dev/null"
check "an unknown outcome fails validation" sh -c "! $V '$FF_TMP/unknown_outcome.json' >/dev/null"
check "an unknown stage fails validation" sh -c "! $V '$FF_TMP/unknown_stage.json' >/dev/null"
check "a skip with an error and no reason fails validation" sh -c "! $V '$FF_TMP/skip_error.json' >/dev/null"
check "a skip with a reason validates" valid skip_reason
check "an event of another schema version fails validation" sh -c "! $V '$FF_TMP/old_version.json' >/dev/null"

# ---- a real fleet ----
free_ports() { python3 -c '
import socket
ss=[socket.socket() for _ in range(4)]
for s in ss: s.bind(("127.0.0.1",0))
print(" ".join(str(s.getsockname()[1]) for s in ss))'; }
set -- $(free_ports); SP=$1; RP=$2; TP=$3; WP=$4
ff_start_infra 12
OPEN=$(omni_state unsent_open)
# ERP writes fail with a 500 seven times in ten, and a write is tried twice
# (retries 1): about half the orders fail both writes and, with
# max_attempts 1, are parked at once; ORD-000002 is in the ERP already
erp_fault '{"write_error_status": 500, "write_error_rate": 0.7, "existing": ["ORD-000002"]}'
ff_write_flow 'f["http"]["retries"] = 1; f["http"]["backoff"] = "20ms"; f["http"]["max_backoff"] = "50ms"; f["max_attempts"] = 1'
export FLOWFLEET_LOG_FORMAT=json
ff_start_service scheduler --metrics-port "$SP"
ff_start_service reader --metrics-port "$RP"
ff_start_service transformer --metrics-port "$TP"
ff_start_service writer --metrics-port "$WP"
unset FLOWFLEET_LOG_FORMAT
check "a run finishes" wait_for 90 sh -c "kcat -b $BROKERS -C -t $FF_PREFIX.log -e -q 2>/dev/null | grep -q '\"event\":\"finished\"'"
erp_fault '{"write_error_rate": 0}'
sleep 6   # a statistics round (consumer lag), and the next runs
log_events >"$FF_TMP/log.jsonl"

check "every event the fleet wrote validates against docs/log-topic.schema.json" \
    sh -c "$V --min 20 '$FF_TMP/log.jsonl' >'$FF_TMP/validate.out' || { tail -n 20 '$FF_TMP/validate.out'; false; }"
check "the events say what a dashboard needs" python3 - "$FF_TMP/log.jsonl" <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
kinds = {e["kind"] for e in ev}
runs = [e for e in ev if e["kind"] == "run"]
recs = [e for e in ev if e["kind"] == "record"]
steps = [e for e in ev if e["kind"] == "step"]
fin = [e for e in runs if e["event"] == "finished"]
failed = [e for e in recs if e["outcome"] in ("failed", "parked")]
skipped = [e for e in recs if e["outcome"] == "skipped"]
problems = []
if kinds != {"run", "step", "record"}: problems.append("kinds %s" % kinds)
if not {"started", "published", "finished"} <= {e["event"] for e in runs}: problems.append("run events %s" % {e["event"] for e in runs})
if not all(e["triggered_by"] == "System" and e["trigger"] == "scheduled" for e in runs): problems.append("scheduled runs not by System")
if not any(e["status"] == "failed" for e in fin): problems.append("no failed run")
if not any(e["outcome"] == "parked" for e in failed): problems.append("no parked record")
bad = [e for e in failed if e["stage"] == "write_erp" and not (e["duration_ms"] > 0 and e["tries"] == 2)]
if bad or not failed: problems.append("failed ERP writes without duration or 5 tries: %s" % bad[:1])
if not skipped or not all(e["reason"] and e["error"] is None for e in skipped): problems.append("skips %s" % skipped[:1])
if not all(e["run_id"] and e["attempt"] >= 1 for e in recs): problems.append("record without run id or attempt")
if not {"read", "write_erp", "check_response", "write_omnitron"} <= {e["step"] for e in steps}: problems.append("steps %s" % {e["step"] for e in steps})
print("; ".join(problems) or "ok")
sys.exit(1 if problems else 0)
PY

for p in $SP $RP $TP $WP; do curl -s "http://127.0.0.1:$p/metrics"; done >"$FF_TMP/metrics.txt"
check "every metric the dashboard and the alert rules use is exported by the services" \
    python3 - "$FF_ROOT/deploy/grafana/flowfleet-dashboard.json" "$FF_ROOT/deploy/prometheus/flowfleet-rules.yaml" "$FF_TMP/metrics.txt" <<'PY'
import re, sys
used = set()
for f in sys.argv[1:3]:
    used |= set(re.findall(r"flowfleet_[a-z0-9_]+", open(f).read()))
exported = set()
for l in open(sys.argv[3]):
    m = re.match(r"(flowfleet_[a-z0-9_]+)[{ ]", l)
    if m:
        n = m.group(1)
        exported.add(n)
        exported.add(re.sub(r"_(bucket|sum|count)$", "", n))
missing = sorted(n for n in used if n not in exported and re.sub(r"_(bucket|sum|count)$", "", n) not in exported)
print("missing:", missing if missing else "none", "(%d used)" % len(used))
sys.exit(1 if missing or len(used) < 8 else 0)
PY
check "outcome labels are the events' words" sh -c "grep -q '^flowfleet_records_total{service=\"writer\",type=\"order\",flow=\"orders\",outcome=\"success\"} [1-9]' '$FF_TMP/metrics.txt' && ! grep -q 'outcome=\"succeeded\"' '$FF_TMP/metrics.txt'"
check "the ERP write's ask-then-write loop counts its retries" \
    sh -c "grep '^flowfleet_http_retries_total{service=\"writer\",target=\"127.0.0.1:$ERP_PORT\"}' '$FF_TMP/metrics.txt' | awk '{exit !(\$2 >= 2)}'"
check "HTTP latency per target" grep -q "^flowfleet_http_request_duration_seconds_count{service=\"reader\",target=\"127.0.0.1:$OMNI_PORT\"} [1-9]" "$FF_TMP/metrics.txt"
check "consumer lag per group" grep -q "^flowfleet_consumer_lag{service=\"writer\",group=\"$FF_PREFIX.writer.all\"} [0-9]" "$FF_TMP/metrics.txt"
check "the last successful run of the flow" sh -c "grep '^flowfleet_last_success_timestamp_seconds{service=\"[a-z]*\",type=\"order\",flow=\"orders\"}' '$FF_TMP/metrics.txt' | awk '\$2 > 1600000000 {ok=1} END {exit !ok}'"
PARKED=$(grep -c '"outcome":"parked"' "$FF_TMP/log.jsonl")
check "parked records counted by flow, as many as parked events" grep -q "^flowfleet_records_parked_total{service=\"writer\",type=\"order\",flow=\"orders\"} $PARKED\$" "$FF_TMP/metrics.txt"

check "with FLOWFLEET_LOG_FORMAT=json every service log line is a JSON object" python3 - "$FF_TMP" <<'PY'
import json, sys
bad = []
for n in ("reader", "transformer", "writer"):   # the scheduler's own lines: not yet
    for l in open("%s/%s.log" % (sys.argv[1], n)):
        try:
            o = json.loads(l)
            if not (o["service"] and o["level"] and "message" in o): bad.append(l)
        except Exception:
            bad.append(l)
print("".join(bad[:5]) or "ok")
sys.exit(1 if bad else 0)
PY

# ---- metrics on by default; a port in use does not stop a service ----
DEF_OUT=$FF_TMP/default.log
"$BIN/flowfleet-transformer" --group "$FF_PREFIX.default" >"$DEF_OUT" 2>&1 &
DEF=$!; FF_PIDS="$FF_PIDS $DEF"
check "metrics are served by default (port 9103 for the transformer), or its being taken is said" \
    wait_for 20 grep -Eq "on port 9103|port 9103 \(in use" "$DEF_OUT"
if grep -q "on port 9103" "$DEF_OUT"; then
    check "and it answers there" sh -c "curl -sf http://127.0.0.1:9103/metrics | grep -q flowfleet_messages_consumed_total"
fi
"$BIN/flowfleet-transformer" --group "$FF_PREFIX.taken" --metrics-port "$TP" >"$FF_TMP/taken.log" 2>&1 &
TAKEN=$!; FF_PIDS="$FF_PIDS $TAKEN"
check "a metrics port in use is said, and the service runs on" \
    sh -c "wait_for() { t=\$((\$1*5)); shift; while [ \$t -gt 0 ]; do \"\$@\" && return 0; sleep 0.2; t=\$((t-1)); done; return 1; }; wait_for 20 grep -q 'consuming' '$FF_TMP/taken.log' && grep -q 'in use' '$FF_TMP/taken.log' && kill -0 $TAKEN"

# ---- readiness follows Redis, liveness does not ----
check "/readyz answers ready" sh -c "curl -sf http://127.0.0.1:$WP/readyz | grep -q ready"
kill -STOP "$(pid_of redis)"
check "with Redis gone /readyz says not ready, and why" \
    wait_for 20 sh -c "[ \$(curl -s -o '$FF_TMP/readyz' -w '%{http_code}' --max-time 2 http://127.0.0.1:$WP/readyz) = 503 ] && grep -q redis '$FF_TMP/readyz'"
check "while /healthz still answers ok (a Redis blip restarts nothing)" sh -c "curl -sf --max-time 2 http://127.0.0.1:$WP/healthz | grep -q ok"
kill -CONT "$(pid_of redis)"
check "Redis back: ready again" wait_for 20 sh -c "curl -sf --max-time 2 http://127.0.0.1:$WP/readyz | grep -q '^ready'"
ff_done
