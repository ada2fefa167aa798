#!/bin/sh
# Triggered By (schedule.after): a flow with no schedule of its own runs
# once after each finished run of the flow it names, and its run events say
# what triggered them; with after_status "success", a failed upstream run
# triggers nothing.
. "$(dirname "$0")/lib.sh"
ff_start_infra 30
ff_write_flow 'f["schedule"]["cron"] = "@every 3s"'
# the follower: the same Order Flow under another name, triggered by "orders"
python3 - "$FF_FLOWS/orders.json" "$FF_FLOWS/follower.json" <<'PY'
import json, sys
f = json.load(open(sys.argv[1]))
f["name"] = "follower"
f["schedule"] = {"after": "orders"}
json.dump(f, open(sys.argv[2], "w"), indent=2)
PY
ff_start_services
cat > "$FF_TMP/after_check.py" <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
up = [e for e in ev if e.get("kind") == "run" and e.get("event") == "finished" and e["flow"] == "orders"]
fol = [e for e in ev if e.get("kind") == "run" and e.get("event") == "started" and e["flow"] == "follower"]
ok = len(up) >= 2 and len(fol) >= 1 and all(e.get("triggered_by") == "flow:orders" for e in fol)
# one follower run per upstream run that finished (the last may be pending)
ok = ok and len(up) - 1 <= len(fol) <= len(up)
if not ok: print(len(up), "upstream runs finished;", len(fol), "follower runs:", [e.get("triggered_by") for e in fol])
sys.exit(0 if ok else 1)
PY
# the log is read until the condition holds (a loaded machine lags the
# follower's scheduling by a tick or two), at most a minute
after_holds() { log_events > "$FF_TMP/log.jsonl" && python3 "$FF_TMP/after_check.py" "$FF_TMP/log.jsonl"; }
wait_for 60 after_holds
check "the follower's runs were triggered by the upstream's finished runs" after_holds
ff_done
