/*
 * seed_script.h: the example script of seed 002 (Order Status Flow, Script
 * Card), verbatim: a NiFi/Jython ExecuteScript body that reads the flow
 * file, passes the JSON through a transform() hook and writes it back with
 * indent=4. The one copy shared by tests/unit/test_pyscript.c and
 * bench/pyscript.c, so the test and the benchmark run the same script.
 * Header-only (static const), like unit.h.
 */
#ifndef FF_SEED_SCRIPT_H
#define FF_SEED_SCRIPT_H

static const char SEED_SCRIPT[] =
    "import json\n"
    "import traceback\n"
    "from java.nio.charset import StandardCharsets\n"
    "from org.apache.commons.io import IOUtils\n"
    "from org.apache.nifi.processor.io import StreamCallback\n"
    "\n"
    "def get_attribute(flow_file, attr_name):\n"
    "   all_var = flow_file.getAttribute(\"allVar\")\n"
    "   if all_var:\n"
    "       all_attributes = json.loads(all_var)\n"
    "       return all_attributes.get(attr_name, None)\n"
    "   return flow_file.getAttribute(attr_name)\n"
    "\n"
    "class TransformCallback(StreamCallback):\n"
    "   def __init__(self, flowFile):\n"
    "       self.flowFile = flowFile\n"
    "       self.omnitronToken = get_attribute(flowFile, \"token.omnitron\")\n"
    "       self.erpToken = get_attribute(flowFile, \"token.erp\")\n"
    "\n"
    "   def process(self, inputStream, outputStream):\n"
    "       input_text = IOUtils.toString(inputStream, StandardCharsets.UTF_8)\n"
    "       input_obj = json.loads(input_text)\n"
    "\n"
    "       # Transform content\n"
    "       output_obj = self.transform(input_obj)\n"
    "\n"
    "       # Write output content\n"
    "       outputStream.write(bytearray(json.dumps(output_obj, indent=4).encode('utf-8')))\n"
    "      \n"
    "   def transform(self, output_obj):\n"
    "       # Transform content\n"
    "       return output_obj\n"
    "\n"
    "flowFile = session.get()\n"
    "if flowFile != None:\n"
    "   try:\n"
    "       flowFile = session.write(flowFile, TransformCallback(flowFile))\n"
    "       # Finish by transferring the FlowFile to an output relationship\n"
    "       session.transfer(flowFile, REL_SUCCESS)\n"
    "   except:\n"
    "       var = traceback.format_exc()\n"
    "       session.putAttribute(flowFile, 'log.script.error', str(var))\n"
    "       session.transfer(flowFile, REL_FAILURE)\n"
    "   session.commit()\n";

#endif
