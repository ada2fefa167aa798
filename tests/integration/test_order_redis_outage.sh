#!/bin/sh
# Redis restarts (2.5 s down, its data lost) in the middle of a run: no
# order is dropped silently, every order reaches the ERP once and is marked
# sent once, and no run stays open forever.
. "$(dirname "$0")/lib.sh"
ff_start_infra 400
OPEN=$(omni_state unsent_open)
omni_fault '{"slow_ms": 4}'
ff_write_flow 'f["omnitron"]["lease_ttl"] = "20s"'
ff_start_services
check "the run is under way" wait_erp_orders 40 60
kill -9 "$(pid_of redis)"
sleep 2.5
bg redis2 chrt -b 0 redis-server --port 0 --unixsocket "$REDIS_SOCK" --save '' --appendonly no
omni_fault '{"slow_ms": 0}'
check "every order reaches the ERP" wait_erp_orders "$OPEN" 120
check "every order is marked sent" wait_omni_sent "$OPEN" 60
check "no order written twice" [ "$(erp_state duplicates)" = "0" ]
check "no order marked sent twice, no item mapped twice" [ "$(omni_twice)" = "0 0" ]
check "the services waited for Redis instead of dropping orders" \
    sh -c "grep -q 'store: reconnected' $FF_TMP/reader.log $FF_TMP/writer.log"
check "no order was dropped without an event: the reader logged no silent skip" \
    sh -c "! grep -q 'lease for' $FF_TMP/reader.log"
ff_done
