# The example flow's Script Step (docs/scripts.md, the plain form): adds
# what the ERP wants and Omnitron does not have, and says what it did in
# the record's log event (log.* attributes reach the log topic).
def transform(record, attributes):
    channel = record.get("channel") or {}
    channel_pk = channel.get("pk") if isinstance(channel, dict) else channel
    record["channel_code"] = "WEB" if channel_pk == 1 else "MARKETPLACE"
    customer = record.get("customer") or {}
    record["customer_name"] = ("%s %s" % (customer.get("first_name") or "", customer.get("last_name") or "")).strip()
    attributes["log.channel"] = record["channel_code"]
    return record          # None drops the record; raising fails it
