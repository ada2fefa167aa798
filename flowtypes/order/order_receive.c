/*
 * order_receive.c: an order pushed to the fleet (receiver.push) instead of
 * read from Omnitron: an ERP or a middleware hands over an order record as
 * the reader would have built it (the order's detail with its
 * "orderitem_set"), and the rest of the Order Flow (script, mapping, the
 * ERP write, the mappings and is_send in Omnitron) runs on it as on a read
 * one. The record's key is its number.
 */
#include "order.h"

#include "jsontext.h"

int order_receive(const flow *f, envelope *in, strbuf *err)
{
    (void)f;
    strbuf e = STRBUF_INIT;
    json_t *o = jsontext_parse_shallow(in->body.buf, in->body.len, 2, &e);
    int rc = -1;
    json_t *num = json_object_get(o, "number");
    if (!json_is_object(o))
        strbuf_seterr(err, "an Order Flow takes one order object, got %s", o ? "another JSON value" : e.buf);
    else if (!json_is_string(num) || !json_string_length(num))
        strbuf_seterr(err, "the pushed order has no \"number\"");
    else if (!json_is_array(json_object_get(o, "orderitem_set")))
        strbuf_seterr(err, "the pushed order has no \"orderitem_set\" list");
    else {
        envelope_set(&in->key, json_string_value(num));
        rc = 0;
    }
    json_decref(o);
    strbuf_release(&e);
    return rc;
}
