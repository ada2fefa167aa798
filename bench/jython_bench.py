# jython_bench.py: the baseline for bench-pyscript, run under Debian's Jython.
#
#   jython -Dpython.cachedir.skip=false -Dpython.cachedir=DIR \
#       bench/jython_bench.py ORDER.json SCRIPT.py WARMUP_S MEASURE_S
#
# Runs SCRIPT (the seed 002 example script) once per record on ORDER as NiFi's
# ExecuteScript would: compiled once, executed per record in a fresh globals
# dict with `session`, `REL_SUCCESS`, `REL_FAILURE` and `log`. java.* and
# org.apache.commons.io are the real Java classes (commons-io is put on
# sys.path; the package cache must be enabled for `from org.apache... import`);
# only NiFi's own classes (StreamCallback, the session, the flow file) are
# stubbed here, with real java.io byte streams. The record's attributes carry
# `allVar` as a real attribute, as in the product's flows.
#
# Warms up for WARMUP_S seconds (the JVM JIT), then times whole records for
# MEASURE_S seconds and prints one JSON line: {"us_per_record": ..., "records": N}.
import sys
import time
import types
import json

sys.path.append('/usr/share/java/commons-io.jar')

from java.io import ByteArrayInputStream, ByteArrayOutputStream


def _stub(name, **attrs):
    m = types.ModuleType(name)
    m.__dict__.update(attrs)
    sys.modules[name] = m
    return m


class StreamCallback(object):
    def process(self, inputStream, outputStream):
        raise NotImplementedError()


class InputStreamCallback(object):
    def process(self, inputStream):
        raise NotImplementedError()


class OutputStreamCallback(object):
    def process(self, outputStream):
        raise NotImplementedError()


_io = _stub('org.apache.nifi.processor.io', StreamCallback=StreamCallback,
            InputStreamCallback=InputStreamCallback, OutputStreamCallback=OutputStreamCallback)
_proc = _stub('org.apache.nifi.processor', io=_io)
_nifi = _stub('org.apache.nifi', processor=_proc)
import org.apache
org.apache.__dict__['nifi'] = _nifi


class Relationship(object):
    def __init__(self, name):
        self.name = name


REL_SUCCESS = Relationship('success')
REL_FAILURE = Relationship('failure')


class FlowFile(object):
    def __init__(self, content, attributes):
        self.content = content
        self.attributes = attributes

    def getAttribute(self, name):
        return self.attributes.get(name)

    def getAttributes(self):
        return dict(self.attributes)

    def getSize(self):
        return len(self.content)


class Session(object):
    def __init__(self, content, attributes):
        self.ff = FlowFile(content, attributes)
        self.taken = False
        self.relationship = None

    def get(self):
        if self.taken:
            return None
        self.taken = True
        return self.ff

    def write(self, ff, callback):
        out = ByteArrayOutputStream()
        callback.process(ByteArrayInputStream(ff.content), out)
        ff.content = out.toByteArray()
        return ff

    def putAttribute(self, ff, key, value):
        ff.attributes[key] = value
        return ff

    def transfer(self, ff, rel):
        self.relationship = rel

    def remove(self, ff):
        self.relationship = None

    def commit(self):
        pass


class Log(object):
    def info(self, *a):
        pass

    debug = warn = error = info


def main():
    order_path, script_path, warm_s, measure_s = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
    with open(order_path, 'rb') as f:
        order = bytearray(f.read())
    with open(script_path) as f:
        code = compile(f.read(), script_path, 'exec')
    base_attrs = {
        'token.omnitron': 'b5f3c9a1e27d4c0f8a6b2e9d1c3f5a7b9d0e2f41',
        'token.erp': 'erp-7f2a91c4d8e3b6a5',
        'filename': '4242.json', 'uuid': '0d9f5a4e-3b1c-4e8f-9a2d-6c7b8e1f0a3d',
        'path': './', 'flow.name': 'order-status', 'channel': '3',
        'invokehttp.status.code': '200', 'last.request': '2024-10-01T12:30:59.000001',
    }
    base_attrs['allVar'] = json.dumps(base_attrs)
    log = Log()

    def one():
        session = Session(order, dict(base_attrs))
        g = {'session': session, 'REL_SUCCESS': REL_SUCCESS, 'REL_FAILURE': REL_FAILURE,
             'log': log, '__name__': '__main__'}
        exec code in g
        if session.relationship is not REL_SUCCESS:
            raise Exception('script failed: %s' % session.ff.attributes.get('log.script.error'))
        return session.ff.content

    out = one()
    if json.loads(out.tostring() if hasattr(out, 'tostring') else str(bytearray(out))) != json.loads(str(order)):
        raise Exception('unexpected script output')
    end = time.time() + warm_s
    while time.time() < end:
        for _ in range(100):
            one()
    n = 0
    t0 = time.time()
    end = t0 + measure_s
    while time.time() < end:
        for _ in range(100):
            one()
        n += 100
    dt = time.time() - t0
    print(json.dumps({'us_per_record': dt * 1e6 / n, 'records': n}))


main()
