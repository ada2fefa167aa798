#!/bin/sh
# The Order Flow against Omnitrons that page differently from the
# simulator's default: every eligible order is read, none twice, and a list
# the flow's paging does not fit stops the run with a clear reason before
# anything of the offending page is published.
. "$(dirname "$0")/lib.sh"
ff_start_infra 180
OPEN=$(omni_state unsent_open)

# 1. A list that ignores id__gt (pages by number only), read with the
#    default keyset paging: page 1 comes back for "the next page".
omni_fault '{"ignore_id_gt": true, "max_limit": 50}'
# one run, triggered: with a schedule, a second run that starts while a
# slow reader still publishes page 1 takes part of it, and this run's own
# count is then below 50 (the lease lets each order go out once either way)
ff_write_flow 'del f["schedule"]; f["omnitron"]["page_size"] = 50'
ff_start_services
"$BIN/flowctl" trigger orders >/dev/null
wait_for 60 sh -c "kcat -b $BROKERS -C -t $FF_PREFIX.log -e -q 2>/dev/null | grep -q '\"event\":\"finished\"'"
sleep 2
FIN=$(log_events | grep '"event":"finished"' | head -1)
check "the run is failed, not a success" sh -c "echo '$FIN' | grep -q '\"status\":\"failed\"'"
check "with the reason: the list does not page as keyset expects" sh -c "echo '$FIN' | grep -q 'already read in this pass'"
check "the reason names the paging setting's placeholder" sh -c "echo '$FIN' | grep -q 'ignore {after}'"
check "the run reports what it listed: one page, two requests" sh -c "echo '$FIN' | grep -q '\"list\":{\"listed\":50,\"requests\":2'"
check "only the first page was published, nothing of the repeated one" sh -c "echo '$FIN' | grep -q '\"published\":50,'"
check "no order marked sent twice, no item mapped twice" [ "$(omni_twice)" = "0 0" ]
for s in scheduler reader transformer writer; do kill -9 "$(pid_of $s)"; done

# 2. The same list read by page number: it shrinks while it is read (orders
#    are marked sent), and it caps limit at 50 although the flow asks 100
#    (a short page with a next link is not the end).
ff_write_flow 'f["schedule"]["cron"] = "@every 3s"; f["omnitron"]["paging"] = "page"; f["omnitron"]["paths"] = {"orders": "/api/v1/orders/?is_send=False&channel__in={channels}&status__ne=100&sort=id&page={page}&limit={limit}"}'
omni_fault '{"slow_ms": 3}'
ff_start_services
check "every order reaches the ERP" wait_erp_orders "$OPEN" 120
check "every order is marked sent" wait_omni_sent "$OPEN" 60
check "no order written twice" [ "$(erp_state duplicates)" = "0" ]
check "no order marked sent twice, no item mapped twice" [ "$(omni_twice)" = "0 0" ]
# its finished event comes once the writer has counted the last record,
# a moment after Omnitron shows it sent (longer on a loaded machine)
success_run() { log_events | grep '"event":"finished"' | grep -q '"status":"success"'; }
check "a page-numbered run finishes as a success" wait_for 30 success_run
sleep 2
check "run totals add up, each run finished once" run_totals_add_up
for s in scheduler reader transformer writer; do kill -9 "$(pid_of $s)"; done

# 3. Next links, absolute, on a fresh data set.
curl -s -X POST -d '{"orders": 120}' "http://127.0.0.1:$OMNI_PORT/_control/reset" >/dev/null
curl -s -X POST -d '{}' "http://127.0.0.1:$ERP_PORT/_control/reset" >/dev/null
redis-cli -s "$REDIS_SOCK" flushall >/dev/null   # the new data set reuses the order numbers
omni_fault '{"ignore_id_gt": true, "max_limit": 30, "slow_ms": 0}'
OPEN=$(omni_state unsent_open)
ff_write_flow 'f["schedule"]["cron"] = "@every 3s"; f["omnitron"]["paging"] = "next"; f["omnitron"]["page_size"] = 30; f["omnitron"]["paths"] = {"orders": "/api/v1/orders/?is_send=False&channel__in={channels}&status__ne=100&sort=id&limit={limit}"}'
ff_start_services
check "next links: every order reaches the ERP" wait_erp_orders "$OPEN" 120
check "next links: every order is marked sent" wait_omni_sent "$OPEN" 60
check "next links: no order marked sent twice, no item mapped twice" [ "$(omni_twice)" = "0 0" ]
ff_done
