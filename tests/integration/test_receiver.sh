#!/bin/sh
# The receiver (services/receiver): login as the product does it, pushes
# answered 202 only once Kafka has them, every refusal with its status, a
# rate limit shared through Redis, idempotent retries, and triggers by URL.
. "$(dirname "$0")/lib.sh"
ff_start_infra 20
export RECV_USER=erp-pusher RECV_PASS=s3cret OTHER_USER=someone OTHER_PASS=else
ff_write_flow 'f["receiver"] = {"username_env": "RECV_USER", "password_env": "RECV_PASS", "push": True, "rate_limit": 4}'
# a second flow of another user, inbound only
python3 - "$FF_FLOWS/orders.json" "$FF_FLOWS/others.json" <<'PY'
import json, sys
f = json.load(open(sys.argv[1]))
f["name"] = "others"; f["enabled"] = False
f["receiver"] = {"username_env": "OTHER_USER", "password_env": "OTHER_PASS"}
json.dump(f, open(sys.argv[2], "w"))
PY
RPORT=$(free_port)
export FLOWFLEET_RECEIVER_PORT=$RPORT FLOWFLEET_RECEIVER_ACK_TIMEOUT=2s FLOWFLEET_RECEIVER_MAX_BODY=20000
R=http://127.0.0.1:$RPORT
ff_start_service receiver
ff_start_service transformer
ff_start_service writer
wait_for 20 curl -sf "$R/healthz" >/dev/null || { echo "receiver did not start"; cat "$FF_TMP/receiver.log"; exit 1; }
code() { curl -s -o "$FF_TMP/body" -w '%{http_code}' "$@"; }

check "a bad password: 400 with a plain-text reason" sh -c "[ \$(curl -s -o $FF_TMP/b1 -w '%{http_code}' -d 'username=erp-pusher&password=nope' $R/api/nifi/login) = 400 ] && grep -q 'invalid username or password' $FF_TMP/b1"
TOKEN=$(curl -s -d 'username=erp-pusher&password=s3cret' "$R/api/nifi/login")
check "login answers the token as plain text" [ ${#TOKEN} -ge 32 ]
OTOKEN=$(curl -s -d 'username=someone&password=else' "$R/api/nifi/login")
AUTH="Authorization: Bearer $TOKEN"

# a real order as the reader builds it, pushed instead of read
"$BIN/flowctl" order orders ORD-000003 > "$FF_TMP/order.json"
check "no token: 401" [ "$(code -X POST --data-binary @$FF_TMP/order.json $R/outbound/orders)" = 401 ]
check "a bad token: 401" [ "$(code -H 'Authorization: Bearer nope' -X POST --data-binary @$FF_TMP/order.json $R/outbound/orders)" = 401 ]
check "another user's token: 403" [ "$(code -H "Authorization: Bearer $OTOKEN" -X POST --data-binary @$FF_TMP/order.json $R/outbound/orders)" = 403 ]
check "an unknown flow: 404" [ "$(code -H "$AUTH" -X POST -d '{}' $R/outbound/nosuch)" = 404 ]
check "an inbound-only flow: 404" [ "$(code -H "Authorization: Bearer $OTOKEN" -X POST -d '{}' $R/outbound/others)" = 404 ]
check "a body that is not JSON: 400 with the parse error" sh -c "[ \$(curl -s -o $FF_TMP/b2 -w '%{http_code}' -H '$AUTH' -X POST -d '{\"number\": ' $R/outbound/orders) = 400 ] && grep -q 'not JSON' $FF_TMP/b2"
python3 -c 'print("{\"pad\": \"" + "x" * 30000 + "\"}")' > "$FF_TMP/big.json"
check "over the size limit: 413" [ "$(code -H "$AUTH" -X POST --data-binary @$FF_TMP/big.json $R/outbound/orders)" = 413 ]
check "JSON the type refuses (no number): 400" [ "$(code -H "$AUTH" -X POST -d '{"pk": 1}' $R/outbound/orders)" = 400 ]
sleep 1.1   # a fresh second for the rate limit
check "a push: 202 with its run id" [ "$(code -H "$AUTH" -H 'Idempotency-Key: k-1' -X POST --data-binary @$FF_TMP/order.json $R/outbound/orders)" = 202 ]
RUN=$(jget run_id < "$FF_TMP/body")
check "the same push again with its Idempotency-Key: 202, the same run, not published again" \
    sh -c "[ \$(curl -s -o $FF_TMP/b3 -w '%{http_code}' -H '$AUTH' -H 'Idempotency-Key: k-1' -X POST --data-binary @$FF_TMP/order.json $R/outbound/orders) = 202 ] && grep -q '$RUN' $FF_TMP/b3"
check "the pushed order reaches the ERP and is marked sent in Omnitron" wait_omni_sent 1 60
check "written once" [ "$(erp_state received)" = "1" ]
check "the run's finished event says who pushed it" wait_for 20 sh -c "kcat -b $BROKERS -C -t $FF_PREFIX.log -e -q 2>/dev/null | grep '\"run_id\":\"$RUN\"' | grep '\"event\":\"finished\"' | grep -q '\"triggered_by\":\"erp-pusher\"'"

# a burst over the flow's 4 pushes a second
sleep 1.1
for i in 1 2 3 4 5 6 7 8; do code -H "$AUTH" -X POST -d '{"number": "X"}' -D "$FF_TMP/h$i" $R/outbound/orders >/dev/null; done
check "a burst over the rate limit: 429 with Retry-After" sh -c "grep -l '^HTTP/1.1 429' $FF_TMP/h* >/dev/null && grep -qi '^Retry-After: 1' \$(grep -l '^HTTP/1.1 429' $FF_TMP/h* | head -1)"

# a trigger by URL: a manual run with the parameters, as flowctl trigger --param
check "a trigger by URL: 202 with a run id" [ "$(code -H "$AUTH" "$R/trigger/orders?number=ORD-000004&custom=c1")" = 202 ]
TRUN=$(jget run_id < "$FF_TMP/body")
check "the tick carries the parameters and the user" wait_for 10 sh -c "kcat -b $BROKERS -C -t $FF_PREFIX.order.ticks -e -q 2>/dev/null | grep -a '$TRUN' | grep -a 'ORD-000004' | grep -aq 'erp-pusher'"
# the same by POST (parameters in the URL, as with GET)
check "a trigger by URL with POST: 202 with a run id" [ "$(code -H "$AUTH" -X POST "$R/trigger/orders?number=ORD-000005")" = 202 ]
PRUN=$(jget run_id < "$FF_TMP/body")
check "its tick carries the parameter" wait_for 10 sh -c "kcat -b $BROKERS -C -t $FF_PREFIX.order.ticks -e -q 2>/dev/null | grep -a '$PRUN' | grep -aq 'ORD-000005'"
check "a trigger with another method: 405" [ "$(code -H "$AUTH" -X PUT "$R/trigger/orders?number=ORD-000005")" = 405 ]

# Kafka gone: 503 within the bound, nothing taken
kill -9 "$(pid_of broker)"
T0=$(date +%s)
check "Kafka stopped: 503 with Retry-After" [ "$(code -H "$AUTH" -X POST --data-binary @$FF_TMP/order.json -D $FF_TMP/h503 $R/outbound/orders)" = 503 ]
check "within the ack bound (2 s + margin)" [ $(( $(date +%s) - T0 )) -le 8 ]
check "and says to retry" grep -qi '^Retry-After' "$FF_TMP/h503"
check "the receiver keeps running" curl -sf -o /dev/null "$R/healthz"
ff_done
