#!/bin/sh
# Login lockouts (issue 13): with a wrong ERP password, the ERP's login is
# not called once per record per tick but once per backoff, by the whole
# fleet; the records fail with "ERP login failed: 401 ..." and the status,
# do not count toward parking, and go through once the login works again.
. "$(dirname "$0")/lib.sh"
ff_start_infra 20
OPEN=$(omni_state unsent_open)
kill9 erp
bg erp2 "$BIN/erp-sim" --port "$ERP_PORT" --require-auth --username erpuser --password right
wait_for 10 curl -sf "http://127.0.0.1:$ERP_PORT/_control/state"
export ERP_USER=erpuser ERP_PASS=wrong
ff_write_flow "f['erp']['login'] = {'type': 'token', 'url': 'http://127.0.0.1:$ERP_PORT/auth/token', 'username_env': 'ERP_USER', 'password_env': 'ERP_PASS', 'backoff': '6s', 'max_backoff': '6s'}; f['max_attempts'] = 2"
ff_start_services
# a second writer: a replica shares the pause through Redis
bg writer2 "$BIN/flowfleet-writer"
check "the login is refused" wait_for 60 state_at_least erp login_refusals 1
sleep 10
REF=$(erp_state login_refusals)
check "at most one refused login per backoff for the fleet ($REF in ~10 s, $OPEN orders)" [ "$REF" -ge 1 -a "$REF" -le 3 ]
log_events > "$FF_TMP/log.jsonl"
check "records fail with the login's status and answer, and are not parked" python3 - "$FF_TMP/log.jsonl" <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
bad = [e for e in ev if e.get("kind") == "record" and e.get("outcome") in ("failed", "parked")]
ok = len(bad) >= 2 and all(e["stage"] == "login" and e["http_status"] == 401 and "ERP login failed: 401" in e["error"]
                           and "invalid_client" in e["error"] for e in bad)
ok = ok and not any(e.get("outcome") == "parked" for e in bad) and any("login paused" in e["error"] for e in bad)
if not ok: print(bad[:3])
sys.exit(0 if ok else 1)
PY
check "the writer says the login is paused" grep -q "ERP login of flow orders refused (HTTP 401)" "$FF_TMP/writer.log" "$FF_TMP/writer2.log"
erp_fault '{"password": "wrong"}'
check "once the ERP takes the password, every order goes through after the pause" wait_erp_orders "$OPEN" 60
check "none written twice" [ "$(erp_state duplicates)" = "0" ]
ff_done
