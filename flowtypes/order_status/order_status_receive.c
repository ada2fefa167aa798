/*
 * order_status_receive.c: the outbound Order Status Flow. The ERP pushes
 * rows to the flow's Outbound Request URL (services/receiver) instead of
 * the reader asking for them. The product runs the Script and the Mapping
 * on the whole pushed body, as on a page read from the ERP, so a pushed
 * body is one page: the transformer (order_status_transform.c) makes it
 * one record per order object, and the writer writes each row.
 *
 * The receiver has already checked that the body is JSON; what a page
 * must become (an array of order objects) is the transformer's check,
 * after the script and the mapping have had their say, since an existing
 * script may take any shape the ERP sends.
 */
#include "order_status.h"

int order_status_receive(const flow *f, envelope *in, strbuf *err)
{
    (void)f;
    (void)err;
    /* the record's key stays the run id; it is the push's one page */
    attrs_set(&in->attrs, "erp.page", "1");
    return 0;
}
