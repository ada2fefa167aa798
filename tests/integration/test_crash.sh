#!/bin/sh
# kill -9 of the writer, then of the reader, in the middle of a run: after
# restart every order is in the ERP exactly once and marked sent once.
. "$(dirname "$0")/lib.sh"
ff_start_infra 300
OPEN=$(omni_state unsent_open)
omni_fault '{"slow_ms": 5}'
erp_fault '{"slow_ms": 5}'
# short leases, so orders whose lease died with the reader come back soon
ff_write_flow 'f["omnitron"]["lease_ttl"] = "5s"'
ff_start_services
check "the run is under way" wait_erp_orders 30 60
kill -9 "$(pid_of writer)"
AT_KILL=$(erp_state orders)
sleep 1
ff_start_service writer
check "the writer was killed mid-run ($AT_KILL of $OPEN written)" [ "$AT_KILL" -lt "$OPEN" ]
wait_erp_orders $((AT_KILL + 40)) 60
kill -9 "$(pid_of reader)"
sleep 1
ff_start_service reader
omni_fault '{"slow_ms": 0}'
erp_fault '{"slow_ms": 0}'
check "after the restarts every order reaches the ERP" wait_erp_orders "$OPEN" 120
check "every order is marked sent" wait_omni_sent "$OPEN" 60
check "no order was written twice" [ "$(erp_state duplicates)" = "0" ]
# Marking sent and mapping are idempotent: an order whose writer died after
# its Omnitron writes and before its outcome was recorded is redelivered,
# found by the query and marked again with the same codes. What must hold:
# one ERP write per order, and runs whose totals add up.
sleep 3
check "each run's totals add up (records, not deliveries), each run finished once" run_totals_add_up
check "every order was written to the ERP exactly once" python3 -c "
import json,urllib.request,sys
s=json.load(urllib.request.urlopen('http://127.0.0.1:$ERP_PORT/_control/state'))
sys.exit(0 if len(s['writes'])==$OPEN and max(s['writes'].values())==1 else 1)"
ff_done
