#!/bin/sh
# A service started with options it cannot use says which and exits 2 at
# once (it used to run on silently: --threads 0 meant 8, an unknown type in
# --types served nothing); flowctl next reads a schedule without the flow's
# secrets.
. "$(dirname "$0")/lib.sh"
for s in reader writer; do
    out=$(timeout 10 "$BIN/flowfleet-$s" --threads 0 2>&1); rc=$?
    check "$s --threads 0: exit 2 naming the option" sh -c "[ $rc = 2 ] && echo '$out' | grep -q -- '--threads wants a number from 1 to 10000, got \"0\"'"
    out=$(timeout 10 "$BIN/flowfleet-$s" --types order,nosuch 2>&1); rc=$?
    check "$s --types with an unknown type: exit 2 listing the types" sh -c "[ $rc = 2 ] && echo '$out' | grep -q 'unknown flow type \"nosuch\" (types: order'"
done
out=$(FLOWFLEET_THREADS=lots timeout 10 "$BIN/flowfleet-transformer" 2>&1); rc=$?
check "FLOWFLEET_THREADS that is not a number: exit 2" sh -c "[ $rc = 2 ] && echo '$out' | grep -q 'FLOWFLEET_THREADS wants a number'"
# flowctl next on a flow whose secrets are not set here
cat > "$FF_FLOWS/q.json" <<'JSON'
{ "name": "q", "type": "order", "schedule": { "cron": "0 0,30 * * * ? *", "timezone": "Europe/Istanbul" },
  "omnitron": { "url": "http://o", "username_env": "NOT_SET_HERE_U", "password_env": "NOT_SET_HERE_P", "channels": "1" },
  "erp": { "write": { "url": "http://e/w" } } }
JSON
check "flowctl next needs no secrets" sh -c "FLOWFLEET_FLOWS=$FF_FLOWS '$BIN/flowctl' next q 3 --from '2026-03-29 00:00' | grep -c ':00:00 +03:00\|:30:00 +03:00' | grep -q 3"
ff_done
