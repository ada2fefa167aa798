# Default Check Response Script of the Order Flow.
#
# Runs once per order after "Write Data to ERP" (or straight after "Query
# Check Order" when the order already exists in the ERP). It reproduces the
# built-in behaviour: it pairs the Omnitron order and its items with the
# codes the ERP gave them, for "Write Data to Omnitron" to map and mark the
# order as sent.
#
# Input (the flow file content): the ERP request body merged with the ERP
# response. The attributes `request_data` and `response_data` hold the two
# separately as JSON and are preferred when present; otherwise the merged
# content is read for both (request keys: pk, number, orderitem_set; response
# keys: id, number, items), and {"request": ..., "response": ...} or
# {"request_data": ..., "response_data": ...} wrappers are understood too.
#
# Output (the new content), this structure:
#
#   {
#     "order": {"pk": <omnitron order pk>, "number": "<order number>",
#               "code": "<erp order code or null>"},
#     "items": [{"pk": <omnitron order item pk>, "code": "<erp item code>"}],
#     "order_exists": true | false
#   }
#
#   - order.pk / order.number: from the request (number falls back to the
#     response's number);
#   - order.code: the response's `id` (null when the ERP gave none);
#   - items: request orderitem_set[i].pk paired with response items[i].code,
#     by position (code null when the response has fewer items);
#   - order_exists: the `order_exists` attribute is "true" (set by the Query
#     Check Order step or by the Script step).
#
# Relationship: REL_SUCCESS, or REL_FAILURE (traceback in log.script.error)
# when the input cannot be read, or when the ERP answered with a non-2xx
# invokehttp.status.code for an order that did not already exist.
# Attributes written: order_exists ("true"/"false"), log.erp.order_code.
import json
import traceback
from java.nio.charset import StandardCharsets
from org.apache.commons.io import IOUtils
from org.apache.nifi.processor.io import StreamCallback


def get_attribute(flow_file, attr_name):
    all_var = flow_file.getAttribute("allVar")
    if all_var:
        all_attributes = json.loads(all_var)
        return all_attributes.get(attr_name, None)
    return flow_file.getAttribute(attr_name)


def parse_json(text):
    if text is None or text == "":
        return None
    if isinstance(text, (dict, list)):
        return text
    return json.loads(text)


def first_object(value):
    # An ERP may answer with a one-element list; a request is one order.
    if isinstance(value, list):
        return value[0] if value and isinstance(value[0], dict) else {}
    return value if isinstance(value, dict) else {}


class CheckResponseCallback(StreamCallback):
    def __init__(self, flowFile):
        self.flowFile = flowFile
        self.request = parse_json(get_attribute(flowFile, "request_data"))
        self.response = parse_json(get_attribute(flowFile, "response_data"))
        self.order_exists = str(get_attribute(flowFile, "order_exists")).lower() == "true"
        self.order_code = None

    def process(self, inputStream, outputStream):
        input_text = IOUtils.toString(inputStream, StandardCharsets.UTF_8)
        merged = parse_json(input_text) if input_text.strip() else None
        output_obj = self.transform(merged)
        outputStream.write(bytearray(json.dumps(output_obj).encode('utf-8')))

    def transform(self, merged):
        merged = first_object(merged) if merged is not None else {}
        request = self.request
        response = self.response
        if "request" in merged or "response" in merged:
            request = request if request is not None else merged.get("request")
            response = response if response is not None else merged.get("response")
        if "request_data" in merged or "response_data" in merged:
            request = request if request is not None else parse_json(merged.get("request_data"))
            response = response if response is not None else parse_json(merged.get("response_data"))
        request = first_object(request if request is not None else merged)
        response = first_object(response if response is not None else merged)

        request_items = request.get("orderitem_set") or []
        response_items = response.get("items") or []
        items = []
        for i, item in enumerate(request_items):
            code = None
            if i < len(response_items) and isinstance(response_items[i], dict):
                code = response_items[i].get("code")
            items.append({"pk": item.get("pk") if isinstance(item, dict) else None,
                          "code": code})

        number = request.get("number")
        if number is None:
            number = response.get("number")
        self.order_code = response.get("id")
        return {
            "order": {"pk": request.get("pk"), "number": number, "code": self.order_code},
            "items": items,
            "order_exists": self.order_exists,
        }


flowFile = session.get()
if flowFile != None:
    try:
        callback = CheckResponseCallback(flowFile)
        flowFile = session.write(flowFile, callback)
        flowFile = session.putAttribute(flowFile, "order_exists",
                                        "true" if callback.order_exists else "false")
        if callback.order_code is not None:
            flowFile = session.putAttribute(flowFile, "log.erp.order_code", str(callback.order_code))
        status = get_attribute(flowFile, "invokehttp.status.code")
        if status and not callback.order_exists and not str(status).startswith("2"):
            session.putAttribute(flowFile, "log.script.error",
                                 "ERP answered HTTP %s to the order write" % status)
            session.transfer(flowFile, REL_FAILURE)
        else:
            session.transfer(flowFile, REL_SUCCESS)
    except:
        var = traceback.format_exc()
        session.putAttribute(flowFile, 'log.script.error', str(var))
        session.transfer(flowFile, REL_FAILURE)
    session.commit()
