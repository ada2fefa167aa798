#!/bin/sh
# An ERP that times out after it stored the order (the worst case: the
# writer cannot know whether the write happened). Every order still reaches
# the ERP exactly once: before writing again the writer asks the ERP; and
# every item still gets its mapping, from the order the query found.
. "$(dirname "$0")/lib.sh"
ff_start_infra 40
OPEN=$(omni_state unsent_open)
erp_fault '{"timeout_rate": 0.3}'
ff_write_flow 'f["http"]["timeout"] = "700ms"; f["http"]["retries"] = 3; f["http"]["backoff"] = "20ms"; f["http"]["max_backoff"] = "100ms"'
ff_start_services
sleep 12
erp_fault '{"timeout_rate": 0}'
check "every order reaches the ERP" wait_erp_orders "$OPEN" 120
check "every order is marked sent" wait_omni_sent "$OPEN" 60
check "no order was written twice despite timeouts after the ERP stored it" [ "$(erp_state duplicates)" = "0" ]
# An order whose write answer was lost is found by the re-query: its items
# get their mappings from the query's answer (they used to get none), and
# its event says which "skipped" it is.
check "every item of every order sent got its mapping" [ "$(omni_unmapped_items)" = "0" ]
check "no order marked sent twice, no item mapped twice" [ "$(omni_twice)" = "0 0" ]
check "a lost answer is a skip of its own kind" sh -c "kcat -b $BROKERS -C -t $FF_PREFIX.log -e -q 2>/dev/null | grep -q '\"log.skip_reason\":\"answer_lost\"'"
ff_done
