#!/bin/sh
# Faults a user would notice: an ERP answering 500 for a while, a broken
# flow file next to a good one, a malformed message in a topic.
. "$(dirname "$0")/lib.sh"
N=40
ff_start_infra $N
OPEN=$(omni_state unsent_open)
# a second, broken flow file: the good one must keep running
cat >"$FF_FLOWS/broken.json" <<'JSON'
{ "name": "broken", "type": "order", "omnitron": { "url": "http://127.0.0.1:1", "username_env": "OMNITRON_USERNAME",
  "password_env": "OMNITRON_PASSWORD", "channels": "1" }, "erp": { "write": { "url": "http://x/", "method": "PUTT" } } }
JSON
check "flowctl validate names the file and the field" sh -c \
    "'$BIN/flowctl' validate '$FF_FLOWS' 2>&1 | grep -q 'broken.json: erp.write.method: expected one of GET, POST, PUT, PATCH, DELETE, got \"PUTT\"'"
check "flowctl validate fails on a broken file" sh -c "! '$BIN/flowctl' validate '$FF_FLOWS' >/dev/null 2>&1"

# the ERP answers 500 to the first 25 writes
erp_fault '{"write_errors_next": 25, "write_error_status": 500}'
ff_write_flow 'f["http"]["retries"] = 6; f["http"]["backoff"] = "20ms"; f["http"]["max_backoff"] = "100ms"'
ff_start_services
check "the broken flow is reported by the services, naming file and field" \
    wait_for 10 grep -q "broken.json: erp.write.method" "$FF_TMP/writer.log"
check "despite 500s every order reaches the ERP" wait_erp_orders "$OPEN" 90
check "none written twice" [ "$(erp_state duplicates)" = "0" ]
check "all marked sent" wait_omni_sent "$OPEN" 30

# a malformed message on the records topic: logged with where it is, skipped
printf 'not msgpack at all' | kcat -b "$BROKERS" -P -t "$FF_PREFIX.order.records" -k junk 2>/dev/null
check "a malformed message is logged with its topic and offset" wait_for 20 sh -c \
    "kcat -b $BROKERS -C -t $FF_PREFIX.log -e -q 2>/dev/null | grep '\"stage\":\"decode\"' | grep -q 'malformed message at $FF_PREFIX.order.records'"
check "the transformer keeps running" kill -0 "$(pid_of transformer)"
ff_done
