#!/bin/sh
# Omnitron revokes every token in the middle of a run: one re-login (shared
# through Redis), nothing lost, nothing written twice.
. "$(dirname "$0")/lib.sh"
ff_start_infra 150
OPEN=$(omni_state unsent_open)
omni_fault '{"slow_ms": 10}'
ff_write_flow
ff_start_services
check "the run is under way" wait_erp_orders 20 60
BEFORE=$(omni_state logins)
omni_fault '{"expire_tokens": true}'
check "every order arrives after the expiry" wait_erp_orders "$OPEN" 120
check "every order is marked sent" wait_omni_sent "$OPEN" 60
check "none written twice" [ "$(erp_state duplicates)" = "0" ]
AFTER=$(omni_state logins)
check "the expiry cost few logins, not one per request ($BEFORE -> $AFTER)" [ $((AFTER - BEFORE)) -ge 1 -a $((AFTER - BEFORE)) -le 4 ]
sleep 1
log_events > "$FF_TMP/log.jsonl"
check "no record failed" sh -c "! grep -q '\"outcome\":\"failed\"' '$FF_TMP/log.jsonl'"
ff_done
