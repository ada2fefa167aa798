#!/bin/sh
# A misconfigured replica takes no work (issue 13): a writer started with
# the flow's ERP password variable unset is not ready, says why on /readyz
# and in its log, and consumes nothing (no record fails "no flow named ...
# is loaded here"); a well configured writer does the work. A flow file
# invalid everywhere is still reported and left out, the others running.
. "$(dirname "$0")/lib.sh"
ff_start_infra 10
OPEN=$(omni_state unsent_open)
kill9 erp
bg erp2 "$BIN/erp-sim" --port "$ERP_PORT" --require-auth --username erpuser --password right
wait_for 10 curl -sf "http://127.0.0.1:$ERP_PORT/_control/state"
export ERP_USER=erpuser ERP_PASS=right
ff_write_flow "f['erp']['login'] = {'type': 'token', 'url': 'http://127.0.0.1:$ERP_PORT/auth/token', 'username_env': 'ERP_USER', 'password_env': 'ERP_PASS'}"
MPORT=$(free_port)
bg badwriter env -u ERP_PASS "$BIN/flowfleet-writer" --metrics-port "$MPORT"
ff_start_service scheduler; ff_start_service reader; ff_start_service transformer
check "the misconfigured writer says why in its log" wait_for 20 grep -q "not ready: .*environment variable ERP_PASS is not set" "$FF_TMP/badwriter.log"
check "and on /readyz (503)" sh -c "[ \$(curl -s -o '$FF_TMP/readyz' -w '%{http_code}' http://127.0.0.1:$MPORT/readyz) = 503 ] && grep -q 'ERP_PASS is not set' '$FF_TMP/readyz'"
check "/healthz still answers" sh -c "curl -sf http://127.0.0.1:$MPORT/healthz >/dev/null"
check "the records wait in Kafka" wait_for 30 sh -c "[ \$(kcat -b $BROKERS -C -t $FF_PREFIX.order.mapped -e -q -f '%k\n' 2>/dev/null | grep -c .) -ge $OPEN ]"
sleep 3
check "the misconfigured writer consumed nothing" sh -c "! grep -q 'partition(s) assigned' '$FF_TMP/badwriter.log'"
check "nothing failed for its configuration" sh -c "! kcat -b $BROKERS -C -t $FF_PREFIX.log -e -q 2>/dev/null | grep -q 'is loaded here'"
check "nothing was written yet" [ "$(erp_state received)" = "0" ]
ff_start_service writer
check "a well configured writer does the work" wait_erp_orders "$OPEN" 60
check "the misconfigured writer is still not ready" sh -c "[ \$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$MPORT/readyz) = 503 ]"
ff_done
