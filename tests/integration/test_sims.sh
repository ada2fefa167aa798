#!/bin/sh
# test_sims.sh: the Omnitron and ERP simulators (build/bin/omnitron-sim,
# build/bin/erp-sim) over real HTTP with curl and jq.
#
# Starts each simulator on a free port (--port 0 --port-file), exercises
# every endpoint and fault, checks the answers and the control state, stops
# them with SIGTERM (they must exit 0) and prints "N passed, N failed".
# Run from the repository root: sh tests/integration/test_sims.sh
# Fault tests that need a delay use long delays against short client
# timeouts, so nothing depends on how fast the machine is.

cd "$(dirname "$0")/../.." || exit 1
BIN=${BIN:-build/bin}
for t in curl jq; do
    command -v $t >/dev/null 2>&1 || { echo "test_sims: $t is required (scripts/install-deps.sh)"; echo "0 passed, 1 failed"; exit 1; }
done
for b in omnitron-sim erp-sim; do
    [ -x "$BIN/$b" ] || { echo "test_sims: $BIN/$b not built (make)"; echo "0 passed, 1 failed"; exit 1; }
done

TMP=$(mktemp -d)
PIDS=""
pass=0
fail=0
cleanup() {
    for p in $PIDS; do kill "$p" 2>/dev/null; done
    rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# start NAME ARGS...: runs build/bin/NAME on a free port; sets PORT and PID.
start() {
    name=$1
    shift
    rm -f "$TMP/$name.port"
    "$BIN/$name" --port 0 --port-file "$TMP/$name.port" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
    PID=$!
    PIDS="$PIDS $PID"
    i=0
    while [ ! -s "$TMP/$name.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
    PORT=$(cat "$TMP/$name.port" 2>/dev/null)
    [ -n "$PORT" ] || { echo "test_sims: $name did not start"; cat "$TMP/$name.err"; }
    i=0
    while ! grep -q "listening on 127.0.0.1:$PORT" "$TMP/$name.out" 2>/dev/null && [ $i -lt 40 ]; do sleep 0.05; i=$((i + 1)); done
}

# stop PID NAME: SIGTERM, expects exit status 0.
stop() {
    kill -TERM "$1"
    wait "$1"
    rc=$?
    [ "$rc" = 0 ] && ok || bad "$2 exit status after SIGTERM: $rc"
    PIDS=$(echo "$PIDS" | sed "s/ $1\b//")
}

# req METHOD URL DATA [curl args...]: DATA "" sends no body. Sets STATUS;
# body in $TMP/body, headers in $TMP/headers.
req() {
    m=$1
    u=$2
    d=$3
    shift 3
    if [ -n "$d" ]; then
        STATUS=$(curl -s -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}' -X "$m" \
            -H 'Content-Type: application/json' --data-binary "$d" "$@" "$u")
    else
        STATUS=$(curl -s -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}' -X "$m" "$@" "$u")
    fi
}

# status DESC WANT: the last request's HTTP status.
status() {
    [ "$STATUS" = "$2" ] && ok || bad "$1: status $STATUS, want $2 (body: $(head -c 300 "$TMP/body"))"
}

# jqeq DESC FILTER WANT: jq -r FILTER on the last body.
jqeq() {
    got=$(jq -r "$2" "$TMP/body" 2>&1)
    [ "$got" = "$3" ] && ok || bad "$1: $2 = '$got', want '$3'"
}

# header DESC REGEX: a response header line matches (case-insensitive).
header() {
    grep -qi "$2" "$TMP/headers" && ok || bad "$1: no header matching '$2'"
}

# =====================================================================
# omnitron-sim: 30 orders on channels 1,2; every 5th canceled (6 of them).
# =====================================================================
start omnitron-sim --orders 30 --channels 1,2 --canceled-every 5 --seed 7
OM_PID=$PID
OM=http://127.0.0.1:$PORT
grep -q "listening on 127.0.0.1:$PORT" "$TMP/omnitron-sim.out" && ok || bad "omnitron-sim: listening line"

# --- auth ---
req GET "$OM/api/v1/orders/" ""
status "orders without token" 401
jqeq "401 detail" .detail "Invalid token."
header "401 is JSON" "^content-type: application/json"
req GET "$OM/api/v1/orders/" "" -H "Authorization: Token nope"
status "orders with a bad token" 401
req POST "$OM/api/v1/auth/login/" '{"username": "flowfleet", "password": "wrong"}'
status "login, wrong password" 400
req POST "$OM/api/v1/auth/login/" '{"username": '
status "login, broken JSON" 400
req GET "$OM/api/v1/auth/login/" ""
status "login with GET" 405
req POST "$OM/api/v1/auth/login/" '{"username": "flowfleet", "password": "secret"}'
status "login" 200
TOKEN=$(jq -r .key "$TMP/body")
[ ${#TOKEN} -eq 40 ] && ok || bad "login key '$TOKEN' is not 40 characters"
AUTH="Authorization: Token $TOKEN"
oget() {
    p=$1
    shift
    req GET "$OM$p" "" -H "$AUTH" "$@"
}

# --- order list and filters ---
oget "/api/v1/orders/"
status "orders" 200
header "orders is JSON" "^content-type: application/json"
jqeq "all orders count" .count 30
jqeq "default page holds all 30" '.results | length' 30
jqeq "ordered by pk" '[.results[].pk] == ([.results[].pk] | sort)' true
jqeq "next is null on the last page" .next null
jqeq "numbers" '.results[0].number + " " + .results[29].number' "ORD-000001 ORD-000030"
jqeq "order shape" '.results[0] | [has("channel","status","is_send","amount","currency","customer","shipping_address","billing_address","created_date","modified_date")] | all' true
jqeq "status is a string 400" '.results[0].status' 400
jqeq "new orders are unsent" '[.results[].is_send] | any' false
oget "/api/v1/orders/?is_send=False&status__ne=100"
jqeq "unsent, not canceled" .count 24
oget "/api/v1/orders/?is_send=false&channel__in=1&status__in=400"
jqeq "channel__in=1, status__in=400 count" .count 12
jqeq "channel__in=1 results all on channel 1" '[.results[].channel] | unique | tostring' "[1]"
oget "/api/v1/orders/?channel__in=1,2"
jqeq "channel__in=1,2" .count 30
oget "/api/v1/orders/?status__in=100"
jqeq "canceled orders" .count 6
jqeq "canceled pks" '[.results[].pk] | tostring' "[5,10,15,20,25,30]"
oget "/api/v1/orders/?is_send=True"
jqeq "is_send=True before any patch" .count 0
oget "/api/v1/orders/?is_send=maybe"
status "is_send=maybe" 400
oget "/api/v1/orders/?channel__in=a,b"
status "channel__in=a,b" 400
oget "/api/v1/orders/?id__gt=25&sort=id"
jqeq "id__gt=25 count" .count 5
jqeq "id__gt=25 first" '.results[0].pk' 26
oget "/api/v1/orders/?sort=-id&limit=1"
jqeq "sort=-id" '.results[0].pk' 30
oget "/api/v1/orders/?number=ORD-000007"
jqeq "number filter" '.count, .results[0].pk' "1
7"
oget "/api/v1/orders/?number=ORD-7"
jqeq "unknown number" .count 0

# --- pagination ---
oget "/api/v1/orders/?limit=10&page=2&sort=id"
status "page 2" 200
jqeq "page 2 size" '.results | length' 10
jqeq "page 2 first pk" '.results[0].pk' 11
jqeq "page 2 next" '.next | test("page=3") and test("limit=10") and test("^http://127.0.0.1:[0-9]+/api/v1/orders/")' true
jqeq "page 2 previous" '.previous | test("page=1")' true
NEXT=$(jq -r .next "$TMP/body")
req GET "$NEXT" "" -H "$AUTH"
jqeq "following next" '.results[0].pk, .next' "21
null"
oget "/api/v1/orders/?limit=10&page=4"
status "page past the end" 404
oget "/api/v1/orders/?limit=5000"
jqeq "limit is capped (1000) and all fit" '.results | length' 30
oget "/api/i1/orders/?limit=1"
status "/api/i1/ prefix" 200
jqeq "/api/i1/ prefix answers" .count 30

# --- details, items, discounts ---
oget "/api/v1/orders_integration/7/detailed_integration/"
status "order detail" 200
jqeq "detail number" .number ORD-000007
jqeq "detail channel object" '.channel.pk' 1
jqeq "detail customer object" '.customer | (.pk | type) + " " + (.email | test("@") | tostring)' "number true"
jqeq "detail addresses" '(.shipping_address.city.name | length > 0) and (.billing_address.country.code == "tr")' true
jqeq "detail has no item arrays" 'has("orderitem_set") or has("discountitem_set")' false
oget "/api/v1/orders_integration/999/detailed_integration/"
status "detail of a missing order" 404
oget "/api/v1/orders_integration/7/detailed_integration"
status "detail without trailing slash" 200

oget "/api/v1/order_items/?order_id=7&limit=99999"
status "order items" 200
NITEMS=$(jq -r .count "$TMP/body")
[ "$NITEMS" -ge 1 ] && [ "$NITEMS" -le 4 ] && ok || bad "order 7 has $NITEMS items, want 1..4"
jqeq "items belong to order 7" '[.results[].order] | unique | tostring' "[7]"
jqeq "item list fields" '.results[0] | (.pk | type) + " " + (.product | type) + " " + .status + " " + (.price | type) + " " + (.quantity | type)' "number number 400 string number"
jqeq "items next" .next null
ITEM=$(jq -r '.results[0].pk' "$TMP/body")
ITEMS_JSON=$(jq -c '[.results[].pk]' "$TMP/body")
oget "/api/v1/order_items/$ITEM/detailed_integration/"
status "item detail" 200
jqeq "item detail product" '.product.sku | test("^AKN-")' true
jqeq "item detail pk" .pk "$ITEM"
oget "/api/v1/order_items/99999/detailed_integration/"
status "missing item" 404
oget "/api/v1/order_items/?order_id=x"
status "order_id=x" 400

oget "/api/v1/discount_items/?order_id=7&limit=99999"
status "discount items" 200
NDISC=$(jq -r .count "$TMP/body")
DISC=$(jq -r '.results[0].pk // empty' "$TMP/body")
# Find an order with discounts for the detail endpoint.
oget "/api/v1/discount_items/?limit=1"
jqeq "some discounts exist" '.count > 0' true
DPK=$(jq -r '.results[0].pk' "$TMP/body")
oget "/api/v1/discount_items/$DPK/detailed_integration/"
status "discount detail" 200
jqeq "discount detail" '(.pk | tostring) + " " + (.amount | type) + " " + (.promotion | type)' "$DPK string object"

oget "/api/v1/orders_integration/detailed/?limit=1&number=ORD-000007"
status "detailed by number" 200
jqeq "detailed count" .count 1
jqeq "detailed items" '.results[0].orderitem_set | length' "$NITEMS"
jqeq "detailed discounts" '.results[0].discountitem_set | length' "$NDISC"
jqeq "detailed item pks" '[.results[0].orderitem_set[].pk] | tostring' "$ITEMS_JSON"
[ -z "$DISC" ] || jqeq "detailed discount pk" '.results[0].discountitem_set[0].pk' "$DISC"
jqeq "detailed items carry products" '[.results[0].orderitem_set[].product.sku] | length' "$NITEMS"
jqeq "amount = items - discounts + shipping" \
    '.results[0] | (([.orderitem_set[] | (.price | tonumber) * .quantity] | add) - ([.discountitem_set[].amount | tonumber] | add // 0) + (.shipping_amount | tonumber) - (.amount | tonumber)) * 100 | round' 0
oget "/api/v1/orders_integration/detailed/?limit=1&number=NOPE"
jqeq "detailed, unknown number" .count 0

# --- PATCH is_send (with a state request waiting for it) ---
curl -s -o "$TMP/waited" "$OM/_control/state?brief=1&wait_for=sent&wait_min=1&timeout_ms=60000" &
WAITER=$!
req PATCH "$OM/api/v1/orders/7/" '{"is_send": true}' -H "$AUTH"
status "patch is_send" 200
wait $WAITER
got=$(jq -r .sent "$TMP/waited" 2>&1)
[ "$got" = 1 ] && ok || bad "a state request waiting for sent >= 1 answers once it is: sent = '$got'"
jqeq "patched order" '.pk, .is_send' "7
true"
req PATCH "$OM/api/v1/orders/7/" '{"is_send": true}' -H "$AUTH"
status "patch is_send again" 200
req PATCH "$OM/api/v1/orders/8/" '{"is_send": true, "status": "500"}' -H "$AUTH"
status "patch with another field" 400
req PATCH "$OM/api/v1/orders/8/" '{"number": "X"}' -H "$AUTH"
status "patch number only" 400
req PATCH "$OM/api/v1/orders/8/" '{"is_send": "yes"}' -H "$AUTH"
status "patch is_send not boolean" 400
req PATCH "$OM/api/v1/orders/8/" 'not json' -H "$AUTH"
status "patch broken JSON" 400
req PATCH "$OM/api/v1/orders/999/" '{"is_send": true}' -H "$AUTH"
status "patch missing order" 404
req PATCH "$OM/api/v1/orders/8/" '{"is_send": true}'
status "patch without token" 401
req DELETE "$OM/api/v1/orders/8/" "" -H "$AUTH"
status "DELETE order" 405
oget "/api/v1/orders/?is_send=False&status__ne=100"
jqeq "unsent after patch" .count 23
oget "/api/v1/orders/?is_send=True"
jqeq "sent after patch" '.count, .results[0].number' "1
ORD-000007"

# --- mappings ---
req POST "$OM/api/v1/order_items/$ITEM/create_mapping/" '{"code": "ERP-1-1", "update_stock": true}' -H "$AUTH"
status "item mapping" 201
jqeq "item mapping object" '.content_type + " " + (.object_id | tostring) + " " + .integration_type + " " + .code' "orderitem $ITEM external_company ERP-1-1"
MPK=$(jq -r .pk "$TMP/body")
req POST "$OM/api/v1/order_items/$ITEM/create_mapping/" '{"code": "ERP-2-1", "update_stock": true}' -H "$AUTH"
status "item mapping again" 201
jqeq "repeated mapping keeps its pk, takes the new code" '(.pk | tostring) + " " + .code' "$MPK ERP-2-1"
req POST "$OM/api/v1/order_items/$ITEM/create_mapping/" '{"update_stock": true}' -H "$AUTH"
status "item mapping without code" 400
req POST "$OM/api/v1/order_items/99999/create_mapping/" '{"code": "X"}' -H "$AUTH"
status "mapping of a missing item" 404
req GET "$OM/api/v1/order_items/$ITEM/get_mappings/" "" -H "$AUTH"
status "an item's mappings" 200
jqeq "an item's mappings list its one mapping" 'length, .[0].code' "1
ERP-2-1"
req POST "$OM/_control/faults" '{"strict_mappings": true}'
req POST "$OM/api/v1/order_items/$ITEM/create_mapping/" '{"code": "ERP-3-1", "update_stock": true}' -H "$AUTH"
status "strict_mappings: a second mapping is refused" 400
req GET "$OM/api/v1/order_items/$ITEM/get_mappings/" "" -H "$AUTH"
jqeq "strict_mappings: the refused code did not replace the mapping" '.[0].code' "ERP-2-1"
req POST "$OM/_control/faults" '{"strict_mappings": false}'
req POST "$OM/api/v1/orders/7/create_mapping/" '{"code": "ERP-7"}' -H "$AUTH"
status "order mapping" 201
jqeq "order mapping object" '.content_type + " " + (.object_id | tostring) + " " + .integration_type + " " + .code' "order 7 external_company ERP-7"

# --- bulk status update ---
BULK=$(echo "$ITEMS_JSON" | jq -c '{order: "ORD-000007", orderitem_set: [.[] | {id: ., status: 500, invoice_number: "INV-7", invoice_date: "2025-02-01T10:00:00Z", tracking_number: "TRK-7", shipping_company: "aras", shipping_date: "2025-02-02"}]}')
req PATCH "$OM/api/i1/order_items/bulk_status_update/" "$BULK" -H "$AUTH"
status "bulk status update" 200
jqeq "bulk answer items" '.orderitem_set | length' "$NITEMS"
oget "/api/v1/order_items/$ITEM/detailed_integration/"
jqeq "item after bulk update" '.status + " " + .status_display + " " + .invoice_number + " " + .tracking_number + " " + .shipping_company + " " + .shipping_date' "500 shipped INV-7 TRK-7 aras 2025-02-02"
oget "/api/v1/orders/7/"
jqeq "order status follows its items" .status 500
req PATCH "$OM/api/i1/order_items/bulk_status_update/" '{"orderitem_set": [{"id": 1, "status": 500}]}' -H "$AUTH"
status "bulk without order" 400
req PATCH "$OM/api/i1/order_items/bulk_status_update/" '{"order": "ORD-000001", "orderitem_set": [{"status": 500}]}' -H "$AUTH"
status "bulk item without id" 400
req PATCH "$OM/api/i1/order_items/bulk_status_update/" '{"order": "ORD-000001", "orderitem_set": [{"id": 99999, "status": 500}]}' -H "$AUTH"
status "bulk unknown item" 400
req PATCH "$OM/api/i1/order_items/bulk_status_update/" '{"order": "ORD-000001", "orderitem_set": [{"id": 1, "status": "shipped"}]}' -H "$AUTH"
status "bulk bad status" 400
req POST "$OM/api/i1/order_items/bulk_status_update/" '{"order": "ORD-000001", "orderitem_set": [{"id": 1}]}' -H "$AUTH"
status "bulk with POST" 405

# --- control state ---
req GET "$OM/_control/state" ""
status "control state" 200
jqeq "state orders/sent" '.orders, .sent, .unsent_open' "30
1
23"
jqeq "state sent_counts" '.sent_counts | tostring' '{"ORD-000007":2}'
jqeq "state order_mappings" '.order_mappings | tostring' '{"ORD-000007":"ERP-7"}'
jqeq "state item mappings" '.item_mappings, .item_mapping_counts_max' "1
2"
jqeq "state logins" .logins 1
jqeq "state requests counted" '.requests > 40' true
req GET "$OM/_control/state?brief=1" ""
status "control state, brief" 200
jqeq "brief state: the counters, not the per-order maps" '.sent, .unsent_open, (.sent_counts | length), (.order_mappings | length)' "1
23
0
0"
req GET "$OM/_control/state?brief=1&wait_for=sent&wait_min=1000&timeout_ms=300" ""
status "state wait that times out" 200
jqeq "a timed-out wait answers the state as it is" .sent 1
req GET "$OM/_control/state?brief=1&wait_for=no_such_field&wait_min=0&timeout_ms=300" ""
jqeq "a wait on an unknown field times out with the state" .orders 30
req GET "$OM/_control/order?number=ORD-000007" ""
jqeq "control order" '.sent_count, .mapping, .order.number' "2
ERP-7
ORD-000007"

# --- faults ---
req POST "$OM/_control/faults" '{"error_rate": 1.0, "error_status": 503}'
status "faults: error_rate" 200
oget "/api/v1/orders/?limit=1"
status "error_rate 1.0 answers error_status" 503
req POST "$OM/api/v1/auth/login/" '{"username": "flowfleet", "password": "secret"}'
status "error_rate applies to login too" 503
req POST "$OM/_control/faults" '{"error_rate": 0}'
oget "/api/v1/orders/?limit=1"
status "error_rate cleared" 200
req POST "$OM/_control/faults" '{"slow_ms": 3000}'
status "faults: slow_ms" 200
oget "/api/v1/orders/?limit=1" -m 0.5
status "slow_ms delays the answer past a short client timeout" 000
req POST "$OM/_control/faults" '{"slow_ms": 0}'
oget "/api/v1/orders/?limit=1" -m 5
status "slow_ms cleared" 200
req POST "$OM/_control/faults" '{"timeout_rate": 1.0}'
oget "/api/v1/orders/?limit=1" -m 0.5
status "timeout_rate 1.0 never answers in time" 000
req GET "$OM/_control/state" "" -m 5
status "control endpoints are not delayed" 200
req POST "$OM/_control/faults" '{"timeout_rate": 0}'
oget "/api/v1/orders/?limit=1" -m 5
status "timeout_rate cleared" 200
req POST "$OM/_control/faults" '{"expire_tokens": true}'
status "faults: expire_tokens" 200
oget "/api/v1/orders/?limit=1"
status "expired token" 401
jqeq "expired token detail" .detail "Invalid token."
req POST "$OM/api/v1/auth/login/" '{"username": "flowfleet", "password": "secret"}'
status "login after expiry" 200
TOKEN2=$(jq -r .key "$TMP/body")
[ "$TOKEN2" != "$TOKEN" ] && ok || bad "a new login gives a new token"
AUTH="Authorization: Token $TOKEN2"
oget "/api/v1/orders/?limit=1"
status "new token works" 200
# other Omnitrons' paging: id__gt ignored, limit capped
req POST "$OM/_control/faults" '{"ignore_id_gt": true, "max_limit": 3}'
status "faults: ignore_id_gt, max_limit" 200
oget "/api/v1/orders/?sort=id&id__gt=5&limit=10"
jqeq "ignore_id_gt: the list starts at the first order, max_limit caps the page" '(.results | length), .results[0].number, (.next | test("page=2"))' "3
ORD-000001
true"
req POST "$OM/_control/faults" '{"ignore_id_gt": false, "max_limit": 0}'
req POST "$OM/_control/faults" '{"bogus": 1}'
status "unknown fault" 400
req POST "$OM/_control/faults" '{"error_rate": 2}'
status "error_rate out of range" 400

# --- odd requests ---
req GET "$OM/api/v1/nothing/" "" -H "$AUTH"
status "unknown api path" 404
header "404 is JSON" "^content-type: application/json"
req GET "$OM/elsewhere" ""
status "path outside /api" 404
LONG=$(head -c 3000 /dev/zero | tr '\0' 'a')
req GET "$OM/api/v1/orders/$LONG/" "" -H "$AUTH"
status "very long path" 404
req GET "$OM/api/v1/orders/99999999999999999999999/" "" -H "$AUTH"
status "huge pk" 404

# --- reset ---
req POST "$OM/_control/reset" '{"orders": 5, "channels": [3], "canceled_every": 0}'
status "reset" 200
req GET "$OM/_control/state" ""
jqeq "after reset" '.orders, .sent, .unsent_open, (.sent_counts | length), .item_mappings' "5
0
5
0
0"
oget "/api/v1/orders/?channel__in=3"
jqeq "reset channels, token kept" '.count' 5

stop "$OM_PID" omnitron-sim

# =====================================================================
# erp-sim
# =====================================================================
start erp-sim --seed 3
ERP_PID=$PID
ERP=http://127.0.0.1:$PORT
grep -q "listening on 127.0.0.1:$PORT" "$TMP/erp-sim.out" && ok || bad "erp-sim: listening line"

req POST "$ERP/orders" '{"number": "ORD-000001", "orderitem_set": [{"sku": "a"}, {"sku": "b"}], "amount": "10.00"}'
status "erp write" 201
header "erp answers JSON" "^content-type: application/json"
jqeq "erp write answer" '.id + " " + .number + " " + ([.items[].code] | join(","))' "ERP-1 ORD-000001 ERP-1-1,ERP-1-2"
req POST "$ERP/orders" '{"number": "ORD-000002"}'
jqeq "erp write without items" '.id + " " + (.items | length | tostring)' "ERP-2 0"
req GET "$ERP/orders?number=ORD-000001" ""
status "erp query" 200
jqeq "erp query found, with its lines' codes" '.results | tostring' '[{"id":"ERP-1","number":"ORD-000001","items":[{"code":"ERP-1-1"},{"code":"ERP-1-2"}]}]'
req POST "$ERP/_control/faults" '{"query_items": false}'
req GET "$ERP/orders?number=ORD-000001" ""
jqeq "query_items off: the order without its lines" '.results | tostring' '[{"id":"ERP-1","number":"ORD-000001"}]'
req POST "$ERP/_control/faults" '{"query_items": true}'
req GET "$ERP/orders?number=ORD-000099" ""
status "erp query, unknown" 200
jqeq "erp query, not found" '.results | length' 0
req POST "$ERP/orders" '{"amount": 1}'
status "erp write without number" 400
jqeq "missing number error" .error "missing number"
req POST "$ERP/orders" '{"number": '
status "erp write broken JSON" 400
req POST "$ERP/orders" '{"number": "ORD-000001", "orderitem_set": [{}]}'
status "erp duplicate write" 201
jqeq "duplicate gets a new id" .id ERP-3
req GET "$ERP/_control/state" ""
jqeq "erp state" '.received, .orders, .duplicates, .writes["ORD-000001"], .queries' "3
2
1
2
3"
jqeq "erp last_body" '.last_body.orderitem_set | length' 1
req GET "$ERP/_control/state?brief=1&wait_for=orders&wait_min=2" ""
jqeq "erp brief state: the counters, not the writes or the last body" \
    '.orders, .duplicates, (.writes | length), .last_body' "2
1
0
null"
req GET "$ERP/_control/order?number=ORD-000002" ""
jqeq "erp stored body" '.number' ORD-000002
req GET "$ERP/_control/order?number=NOPE" ""
status "erp stored body, unknown" 404

# --- echo ---
req POST "$ERP/echo" '{"a": 1}' -H "X-Test: hello"
status "echo POST" 200
jqeq "echo POST body+headers" '(.a | tostring) + " " + .headers["X-Test"] + " " + .method' "1 hello POST"
req PUT "$ERP/echo" '[1, 2]' -H "X-Test: put"
jqeq "echo PUT" '(.body | tostring) + " " + .headers["X-Test"] + " " + .method' "[1,2] put PUT"
req PUT "$ERP/echo" 'plain text'
jqeq "echo non-JSON" .body "plain text"

# --- faults ---
req POST "$ERP/_control/faults" '{"write_errors_next": 2, "write_error_status": 503, "retry_after": 7}'
status "erp faults" 200
req POST "$ERP/orders" '{"number": "ORD-000010"}'
status "write_errors_next 1/2" 503
header "Retry-After on 503" "^retry-after: 7"
req POST "$ERP/orders" '{"number": "ORD-000010"}'
status "write_errors_next 2/2" 503
req POST "$ERP/orders" '{"number": "ORD-000010"}'
status "write after the errors" 201
req GET "$ERP/_control/state" ""
jqeq "failed writes are not received" '.received, .writes["ORD-000010"]' "4
1"
req POST "$ERP/_control/faults" '{"write_error_rate": 1.0, "write_error_status": 500, "retry_after": 0}'
req POST "$ERP/orders" '{"number": "ORD-000011"}'
status "write_error_rate 1.0" 500
grep -qi "^retry-after" "$TMP/headers" && bad "no Retry-After on a 500" || ok
req POST "$ERP/_control/faults" '{"write_error_rate": 0, "write_error_status": 429, "retry_after": 2, "write_errors_next": 1}'
req POST "$ERP/orders" '{"number": "ORD-000011"}'
status "429 write error" 429
header "Retry-After on 429" "^retry-after: 2"
req POST "$ERP/orders" '{"number": "ORD-000011"}'
status "write_error_rate cleared" 201
req POST "$ERP/_control/faults" '{"query_status": 503}'
req GET "$ERP/orders?number=ORD-000001" ""
status "query_status 503" 503
jqeq "query_status body" .error unavailable
req POST "$ERP/_control/faults" '{"query_status": 0}'
req GET "$ERP/orders?number=ORD-000001" ""
status "query_status cleared" 200
req POST "$ERP/_control/faults" '{"existing": ["ORD-000050", "ORD-000051"]}'
status "existing" 200
req GET "$ERP/orders?number=ORD-000050" ""
jqeq "existing order is found" '.results[0].number' ORD-000050
req GET "$ERP/_control/state" ""
jqeq "existing counts as received 0 times" '.writes["ORD-000050"], .duplicates, .orders' "null
1
6"
req POST "$ERP/orders" '{"number": "ORD-000050"}'
req GET "$ERP/_control/state" ""
jqeq "writing an existing order is a duplicate" '.writes["ORD-000050"], .duplicates' "1
2"
req POST "$ERP/_control/faults" '{"slow_ms": 3000}'
req GET "$ERP/orders?number=ORD-000001" "" -m 0.5
status "erp slow_ms" 000
req POST "$ERP/_control/faults" '{"slow_ms": 0, "timeout_rate": 1.0}'
req POST "$ERP/orders" '{"number": "ORD-000060"}' -m 0.5
status "erp timeout_rate" 000
req GET "$ERP/_control/state" ""
jqeq "a timed-out write is stored (answer lost)" '.writes["ORD-000060"]' 1
req POST "$ERP/_control/faults" '{"timeout_rate": 0}'
req GET "$ERP/orders?number=ORD-000060" "" -m 5
status "erp timeout cleared" 200
req POST "$ERP/_control/faults" '{"nope": 1}'
status "erp unknown fault" 400
req GET "$ERP/nothing" ""
status "erp unknown path" 404
req DELETE "$ERP/orders" ""
status "erp DELETE /orders" 405
req POST "$ERP/_control/reset" ""
status "erp reset" 200
req GET "$ERP/_control/state" ""
jqeq "erp after reset" '.received, .orders, .duplicates, (.writes | length), .queries' "0
0
0
0
0"
stop "$ERP_PID" erp-sim

# --- erp-sim with auth and custom field paths ---
start erp-sim --require-auth --number-field header.no --items-field header.lines --username u1 --password p1
ERP_PID=$PID
ERP=http://127.0.0.1:$PORT
req POST "$ERP/orders" '{"header": {"no": "X-1", "lines": [1, 2, 3]}}'
status "auth erp: write without token" 401
req POST "$ERP/auth/token" '{"username": "u1", "password": "bad"}'
status "auth erp: bad credentials" 401
req POST "$ERP/auth/token" '{"username": "u1", "password": "p1"}'
status "auth erp: token" 200
jqeq "token answer" '.token_type + " " + (.expires_in | tostring) + " " + (.access_token | length > 10 | tostring)' "Bearer 3600 true"
BEARER="Authorization: Bearer $(jq -r .access_token "$TMP/body")"
req POST "$ERP/orders" '{"header": {"no": "X-1", "lines": [1, 2, 3]}}' -H "$BEARER"
status "auth erp: write" 201
jqeq "number and items by path" '.number + " " + (.items | length | tostring)' "X-1 3"
req POST "$ERP/orders" '{"number": "X-2"}' -H "$BEARER"
status "number at the configured path only" 400
req GET "$ERP/orders?number=X-1" "" -H "$BEARER"
jqeq "auth erp: query" '.results[0].id' ERP-1
req GET "$ERP/orders?number=X-1" "" -H "Authorization: Bearer wrong"
status "auth erp: bad token" 401
req POST "$ERP/_control/faults" '{"expire_tokens": true}'
req GET "$ERP/orders?number=X-1" "" -H "$BEARER"
status "auth erp: expired token" 401
req POST "$ERP/echo" '{"x": 1}'
status "echo needs no auth" 200
stop "$ERP_PID" erp-sim

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
