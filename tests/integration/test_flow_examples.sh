#!/bin/sh
# Every example flow in flows/examples/ loads (flowctl validate), and the
# Order Status Flow has a complete example per pagination mode the seed
# names: offset, seek and next. No services: loading is the test.
. "$(dirname "$0")/lib.sh"
EX=$FF_ROOT/flows/examples
# the outbound example names its pusher's credentials (receiver.*_env)
export ERP_PUSH_USERNAME=pusher ERP_PUSH_PASSWORD=secret
"$BIN/flowctl" validate "$EX" >"$FF_TMP/validate.out" 2>&1
n=$(grep -l '"type"' "$EX"/*.json | wc -l)
check "flowctl validate loads every example ($n)" grep -qx "$n flow(s) valid" "$FF_TMP/validate.out"
[ "$FAIL" = 0 ] || cat "$FF_TMP/validate.out"
modes() {
    python3 - "$EX" <<'PY'
import glob, json, sys
m = []
for f in glob.glob(sys.argv[1] + "/*.json"):
    try: d = json.load(open(f))
    except ValueError: continue   # not a flow (a mapping written with comments)
    if isinstance(d, dict) and d.get("type") == "order_status" and "erp" in d:   # not the outbound one
        m.append(d["erp"]["read"].get("paging", {}).get("mode", "none"))
print(" ".join(sorted(m)))
PY
}
check "an Order Status example per pagination mode (offset, seek, next)" [ "$(modes)" = "next offset seek" ]
ff_done
