#!/bin/sh
# The outbound Order Status Flow through the receiver, with real processes:
# the ERP logs in as the Integrator user and pushes a JSON array of rows,
# which lands in Omnitron row by row (the seed's mapping on the whole
# body). Kafka stalled: the push is answered 503, and once Kafka is back a
# push is taken while nothing of the refused one ever takes effect, even
# when Kafka got its message late. The receiver killed -9 mid-push: the
# pusher gets no 202, and its retry with the same Idempotency-Key lands
# exactly once. A per-row script changes each row before its write.
. "$(dirname "$0")/lib.sh"
ff_start_infra 10
. "$(dirname "$0")/order_status_lib.sh"
OM=http://127.0.0.1:$OMNI_PORT
export PUSH_USER=erp-pusher PUSH_PASS=s3cret

# in_topic(TEXT): how many messages of the records topic hold TEXT
in_topic() { kcat -b "$BROKERS" -C -t "$FF_PREFIX.order_status.records" -e -q 2>/dev/null | grep -ac "$1"; }

cp "$FF_ROOT/flows/examples/order_status_mapping.jolt" "$FF_FLOWS/"
# the per-row script of Write Data to Omnitron: one order object in, the final object out
cat >"$FF_FLOWS/rowscript.py" <<'PY'
def transform(row, attributes):
    for item in row["orderitem_set"]:
        item["tracking_number"] = "TRK-" + row["order"]
    return row
PY
python3 - "$FF_ROOT/flows/examples/order_status_outbound.json" "$FF_FLOWS/pushed.json" "$OMNI_PORT" <<'PY'
import json, sys
f = json.load(open(sys.argv[1]))
f["name"] = "pushed"
f["row_script"] = {"file": "rowscript.py"}
f["omnitron"]["url"] = "http://127.0.0.1:" + sys.argv[3]
f["receiver"].update({"username_env": "PUSH_USER", "password_env": "PUSH_PASS"})
json.dump(f, open(sys.argv[2], "w"), indent=2)
PY
RPORT=$(free_port)
export FLOWFLEET_RECEIVER_PORT=$RPORT FLOWFLEET_RECEIVER_ACK_TIMEOUT=2s
R=http://127.0.0.1:$RPORT
MP=$(free_port)
ff_start_service receiver --metrics-port "$MP"
ff_start_service transformer
ff_start_service writer
wait_for 20 curl -sf "$R/healthz" >/dev/null || { echo "receiver did not start"; cat "$FF_TMP/receiver.log"; exit 1; }
wait_assigned transformer writer
TOKEN=$(curl -s -d "username=$PUSH_USER&password=$PUSH_PASS" "$R/api/nifi/login")
AUTH="Authorization: Bearer $TOKEN"
# push(BODY-FILE [CURL-ARGS...]): the HTTP status of a push of that file
push() { f=$1; shift; curl -s -o "$FF_TMP/answer" -w '%{http_code}' -H "$AUTH" -X POST --data-binary @"$f" "$@" "$R/outbound/pushed"; }

# a push lands row by row
python3 - "$(os_rows ORD-000001 500 INV-A1-)" "$(os_rows ORD-000002 500 INV-A2-)" >"$FF_TMP/p1.json" <<'PY'
import json, sys
print(json.dumps(json.loads(sys.argv[1]) + json.loads(sys.argv[2])))
PY
check "a push of two orders' rows: 202" [ "$(push "$FF_TMP/p1.json")" = 202 ]
check "each row is one bulk_status_update in Omnitron" wait_state omni bulk_updates 2 60
check "ORD-000001's items have their invoice" os_items_have ORD-000001 INV-A1-ORD-000001
check "ORD-000002's items have their invoice" os_items_have ORD-000002 INV-A2-ORD-000002
tracked() {
    curl -s "$OM/_control/order?number=$1" | python3 -c '
import json, sys
o = json.load(sys.stdin)["order"]
sys.exit(0 if all(it.get("tracking_number") == "TRK-" + sys.argv[1] for it in o["orderitem_set"]) else 1)' "$1"
}
check "the row script ran on each row before its write" tracked ORD-000001
check "the run's finished event says who pushed it" wait_for 20 sh -c \
    "kcat -b $BROKERS -C -t $FF_PREFIX.log -e -q 2>/dev/null | grep '\"flow\":\"pushed\"' | grep '\"event\":\"finished\"' | grep -q '\"triggered_by\":\"erp-pusher\"'"

# Kafka stalled (the broker stopped, the request in its hands): 503, and
# the refused push never takes effect, even when Kafka gets it later
os_rows ORD-000003 500 INV-REFUSED- >"$FF_TMP/refused.json"
kill -STOP "$(pid_of broker)"
check "Kafka stalled: the push is answered 503 with Retry-After" sh -c \
    "[ \$(curl -s -o /dev/null -D $FF_TMP/h503 -w '%{http_code}' -H '$AUTH' -X POST --data-binary @$FF_TMP/refused.json $R/outbound/pushed) = 503 ] && grep -qi '^Retry-After' $FF_TMP/h503"
kill -CONT "$(pid_of broker)"
os_rows ORD-000004 500 INV-BACK- >"$FF_TMP/back.json"
check "Kafka back: a push is taken (202)" wait_for 30 sh -c "[ \$(curl -s -o /dev/null -w '%{http_code}' -H '$AUTH' -X POST --data-binary @$FF_TMP/back.json $R/outbound/pushed) = 202 ]"
check "and lands in Omnitron" wait_for 60 os_items_have ORD-000004 INV-BACK-ORD-000004
late=$(in_topic INV-REFUSED)
check "the refused push reached Kafka late (the case the claim is for)" [ "${late:-0}" -ge 1 ]
check "the transformer dropped it and said why" wait_for 20 grep -q "answered 503.*dropped" "$FF_TMP/transformer.log"
not_items_have() { ! os_items_have "$@"; }
check "nothing of the refused push reached Omnitron" not_items_have ORD-000003 INV-REFUSED-ORD-000003

# the receiver killed mid-push: no 202; a retry with the Idempotency-Key lands once
os_rows ORD-000005 500 INV-KILL- >"$FF_TMP/kill.json"
BEFORE=$(state_int omni bulk_updates)
kill -STOP "$(pid_of broker)"
( curl -s -o /dev/null -w '%{http_code}' -H "$AUTH" -H 'Idempotency-Key: k-kill' -X POST \
      --data-binary @"$FF_TMP/kill.json" "$R/outbound/pushed" >"$FF_TMP/killed.code" ) &
CURL=$!
check "the push is being published (its Idempotency-Key pending)" \
    wait_for 10 sh -c "redis-cli -s $REDIS_SOCK get '$FF_PREFIX:idem:pushed:k-kill' | grep -q '^pending:'"
kill -9 "$(pid_of receiver)"
wait "$CURL"
kill -CONT "$(pid_of broker)"
check "the pusher of the killed push got no 202" sh -c "[ \"\$(cat $FF_TMP/killed.code)\" != 202 ]"
ff_start_service receiver --metrics-port "$MP"
wait_for 20 curl -sf "$R/healthz" >/dev/null
check "its retry with the same Idempotency-Key is answered 202 (once the first attempt's wait is over)" \
    wait_for 40 sh -c "[ \$(curl -s -o $FF_TMP/retry -w '%{http_code}' -H '$AUTH' -H 'Idempotency-Key: k-kill' -X POST --data-binary @$FF_TMP/kill.json $R/outbound/pushed) = 202 ]"
check "the order's rows land in Omnitron" wait_for 60 os_items_have ORD-000005 INV-KILL-ORD-000005
sleep 3   # anything else of the killed push would have landed by now
check "exactly once: one bulk_status_update for it" [ "$(state_int omni bulk_updates)" = $((BEFORE + 1)) ]
check "and one message that took effect: any second one in the records topic was dropped" sh -c \
    "[ $(in_topic INV-KILL) -le 1 ] || grep -q 'answered 503.*dropped' $FF_TMP/transformer.log"
# the restarted receiver's metrics after one more push: pushes by flow and
# answer, bytes taken, the time to Kafka's acknowledgement
os_rows ORD-000006 500 INV-M- >"$FF_TMP/m.json"
push "$FF_TMP/m.json" >/dev/null
curl -s "http://127.0.0.1:$MP/metrics" >"$FF_TMP/metrics"
check "metrics: pushes by flow and answer" grep -q '^flowfleet_receiver_requests_total{.*flow="pushed",code="202"} [1-9]' "$FF_TMP/metrics"
check "metrics: bytes of the pushes taken" grep -q '^flowfleet_receiver_push_bytes_total{.*flow="pushed"} [1-9]' "$FF_TMP/metrics"
check "metrics: the publish latency" grep -q '^flowfleet_receiver_publish_ms_count{.*flow="pushed"} [1-9]' "$FF_TMP/metrics"
check "the receiver answers after all this" curl -sf -o /dev/null "$R/healthz"
ff_done
