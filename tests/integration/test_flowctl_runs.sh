#!/bin/sh
# The operator's view of a run through flowctl: `runs` lists it with its
# counts, `run` shows its records, `tail` reads it in order with the run id
# and the attempt on each line, filters it (--run, --key, --outcome), prints
# JSON (--json) and shows a message that is not ours as foreign, and
# `show-failed` prints a failed record's body and context.
. "$(dirname "$0")/lib.sh"
FC=$BIN/flowctl
ff_start_infra 6
OPEN=$(omni_state unsent_open)
erp_fault '{"query_status": 503}'
ff_write_flow 'del f["schedule"]'
ff_start_service reader; ff_start_service transformer; ff_start_service writer
wait_assigned reader transformer writer
RUN=$("$FC" trigger orders | sed -n 's/.*run \(.*\)$/\1/p')
check "a manual run was triggered" [ -n "$RUN" ]
check "every order fails in the query" wait_for 60 sh -c "[ \$(kcat -b $BROKERS -C -t $FF_PREFIX.order.failed -e -q 2>/dev/null | grep -c .) -ge $OPEN ]"
check "the run finishes" wait_for 30 sh -c "kcat -b $BROKERS -C -t $FF_PREFIX.log -e -q 2>/dev/null | grep '\"finished\"' | grep -q '$RUN'"
echo 'hello, not a log event' | kcat -b "$BROKERS" -P -t "$FF_PREFIX.log" 2>/dev/null

"$FC" runs >"$FF_TMP/runs.out" 2>&1
check "runs lists the run with its counts and who triggered it" \
    sh -c "grep '$RUN' '$FF_TMP/runs.out' | grep -q ' failed  *$OPEN  *0  *$OPEN  *0  *[^ ]* (manual)'" 
"$FC" run "$RUN" >"$FF_TMP/run.out" 2>&1
check "run shows its status, counts from Redis and one event per record" sh -c \
    "grep -q '^status    failed' '$FF_TMP/run.out' && grep -q 'published $OPEN, succeeded 0, failed $OPEN, skipped 0 (Redis)' '$FF_TMP/run.out' && [ \$(grep -c '  ORD-.* query .*failed .*attempt 1 HTTP 503' '$FF_TMP/run.out') = $OPEN ]"
"$FC" run nosuch-run >"$FF_TMP/norun.out" 2>&1; rc=$?
check "run of an unknown run id says so" sh -c "[ $rc = 1 ] && grep -q 'no run \"nosuch-run\"' '$FF_TMP/norun.out'"

"$FC" tail --from-beginning --no-follow >"$FF_TMP/tail.out" 2>&1
grep "$RUN" "$FF_TMP/tail.out" >"$FF_TMP/tail.run"
check "tail: the run in order: started first, finished last, a record per order between" sh -c \
    "head -1 '$FF_TMP/tail.run' | grep -q 'RUN started' && tail -1 '$FF_TMP/tail.run' | grep -q 'RUN finished failed' && [ \$(grep -c 'ORD-.*attempt 1' '$FF_TMP/tail.run') = $OPEN ]"
check "tail: a foreign message is shown as such" grep -q "foreign message.*hello, not a log event" "$FF_TMP/tail.out"
check "tail: no line of (null)s" sh -c "! grep -q '(null)' '$FF_TMP/tail.out'"
# Three events of one run in the same millisecond, in one partition in the
# reverse order: tail still reads started, the record, finished.
TS=2026-01-01T00:00:00.000Z
for ev in '"kind":"run","event":"finished","status":"success"' '"kind":"record","key":"ORD-TIE","stage":"write","outcome":"success"' \
          '"kind":"run","event":"started","status":"in_progress"'; do
    echo "{\"v\":1,\"ts\":\"$TS\",\"flow\":\"orders\",\"run_id\":\"run-tie\",$ev}"
done | kcat -b "$BROKERS" -P -p 0 -t "$FF_PREFIX.log" 2>/dev/null
"$FC" tail --from-beginning --no-follow --run run-tie >"$FF_TMP/tail.tie" 2>&1
check "tail: within one millisecond a run's started comes first and its finished last" sh -c \
    "sed -n 1p '$FF_TMP/tail.tie' | grep -q 'RUN started' && sed -n 2p '$FF_TMP/tail.tie' | grep -q 'ORD-TIE' && sed -n 3p '$FF_TMP/tail.tie' | grep -q 'RUN finished' && [ \$(grep -c . '$FF_TMP/tail.tie') = 3 ]"
"$FC" tail orders --from-beginning --no-follow --key ORD-000002 >"$FF_TMP/tail.key" 2>&1
check "tail --key: only that record" sh -c "[ \$(grep -c . '$FF_TMP/tail.key') -ge 1 ] && ! grep -v 'ORD-000002' '$FF_TMP/tail.key' | grep -q ."
"$FC" tail --from-beginning --no-follow --run "$RUN" --outcome failed --json >"$FF_TMP/tail.json" 2>&1
check "tail --json --outcome failed --run: JSON lines, the run's events and its failed records only" python3 - "$FF_TMP/tail.json" "$RUN" "$OPEN" <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
rec = [e for e in ev if e["kind"] == "record"]
ok = all(e["run_id"] == sys.argv[2] for e in ev) and len(rec) == int(sys.argv[3]) \
     and all(e["outcome"] == "failed" for e in rec) and any(e["kind"] == "run" for e in ev)
if not ok: print(ev[:3])
sys.exit(0 if ok else 1)
PY
"$FC" show-failed orders ORD-000002 >"$FF_TMP/failed.out" 2>&1; rc=$?
check "show-failed: the failure, its context and the body" sh -c \
    "[ $rc = 0 ] && grep -q '^failed .* in stage query, HTTP 503' '$FF_TMP/failed.out' && grep -q 'Failure Status Code' '$FF_TMP/failed.out' && grep -q '\"number\": \"ORD-000002\"' '$FF_TMP/failed.out' && grep -q '^run       $RUN, attempt 1' '$FF_TMP/failed.out'"
"$FC" show-failed orders ORD-999999 >"$FF_TMP/nofailed.out" 2>&1; rc=$?
check "show-failed of a record that did not fail says so" sh -c "[ $rc = 1 ] && grep -q 'no failed record \"ORD-999999\"' '$FF_TMP/nofailed.out'"
ff_done
