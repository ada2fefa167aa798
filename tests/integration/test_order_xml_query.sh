#!/bin/sh
# The Order Flow's Query Check Order against an ERP that answers in XML
# (erp.query.response_type xml, issue 15): an order the ERP has is found in
# the converted answer and not written again, its item mappings come from
# the XML's lines; the others are written once.
. "$(dirname "$0")/lib.sh"
ff_start_infra 6
OPEN=$(omni_state unsent_open)
erp_fault '{"existing": ["ORD-000002"]}'
ff_write_flow 'f["erp"]["query"] = {"url": "http://127.0.0.1:%s/orders?number=${_order.number:urlEncode()}&format=xml" % ep, "response_type": "xml", "xml": {"records_as_array": True, "always_array": ["results.order.items"]}, "response_path": ""}'
ff_start_services
check "every order is marked sent" wait_omni_sent "$OPEN" 60
check "the order the XML says the ERP has was not written again" [ "$(erp_state received)" = "$((OPEN - 1))" ]
check "no order written twice" [ "$(erp_state duplicates)" = "0" ]
check "every item of every order sent got its mapping (the found one's from the XML)" [ "$(omni_unmapped_items)" = "0" ]
check "the found order is a skip: already in the ERP" sh -c "kcat -b $BROKERS -C -t $FF_PREFIX.log -e -q 2>/dev/null | grep '\"key\":\"ORD-000002\"' | grep -q '\"reason\":\"already_in_erp\"'"
ff_done
