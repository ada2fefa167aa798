# flowfleet NiFi/Jython compatibility layer (module _flowfleet_nifi).
#
# The product's scripts were written for NiFi's ExecuteScript processor under
# Jython: they import Java classes (java.nio.charset.StandardCharsets,
# org.apache.commons.io.IOUtils, org.apache.nifi.processor.io.StreamCallback)
# and talk to a `session` holding one flow file. This module provides those
# names as small Python classes and registers the Java package paths in
# sys.modules, so `from org.apache.commons.io import IOUtils` just works.
# It also holds the per-record runners that pyscript.c calls.
import sys
import json
import time
import types
import codecs
import traceback
import linecache
import builtins

_loads = json.loads
_dumps = json.dumps
_orig_dumps = json.dumps


class ScriptTimeout(BaseException):
    """Raised inside a script that ran past its time limit."""

    def __init__(self, *args):
        BaseException.__init__(self, *(args or ('the script ran past its time limit',)))


ScriptTimeout.__module__ = 'builtins'  # tracebacks say "ScriptTimeout: ..."


# ---------------------------------------------------------------- java.nio
class Charset(object):
    __slots__ = ('_name', '_codec')

    def __init__(self, name, codec):
        self._name = name
        self._codec = codec

    def name(self):
        return self._name

    displayName = name
    toString = name

    def __str__(self):
        return self._name

    def __repr__(self):
        return self._name

    @staticmethod
    def forName(name):
        info = codecs.lookup(str(name))
        return Charset(str(name).upper(), info.name)

    @staticmethod
    def defaultCharset():
        return StandardCharsets.UTF_8


class StandardCharsets(object):
    UTF_8 = Charset('UTF-8', 'utf-8')
    US_ASCII = Charset('US-ASCII', 'ascii')
    ISO_8859_1 = Charset('ISO-8859-1', 'latin-1')
    UTF_16 = Charset('UTF-16', 'utf-16')
    UTF_16BE = Charset('UTF-16BE', 'utf-16-be')
    UTF_16LE = Charset('UTF-16LE', 'utf-16-le')


def _codec(cs):
    if cs is None:
        return 'utf-8'
    if isinstance(cs, Charset):
        return cs._codec
    return codecs.lookup(str(cs)).name


def _to_bytes(b, off=0, length=None):
    if isinstance(b, bytes):
        data = b
    elif isinstance(b, str):
        data = b.encode('utf-8')
    else:
        try:
            data = bytes(b)
        except (TypeError, ValueError):
            data = bytes([x & 0xff for x in b])  # Java's signed byte[]
    if off or length is not None:
        end = len(data) if length is None else off + length
        data = data[off:end]
    return data


# ----------------------------------------------------------------- streams
class InputStream(object):
    """A java.io.InputStream over the flow file's content."""
    __slots__ = ('_data', '_pos')

    def __init__(self, data):
        self._data = data
        self._pos = 0

    def _rest(self):
        data = self._data
        if self._pos:
            data = data[self._pos:]
        self._pos = len(self._data)
        return data

    def read(self, b=None, off=0, length=None):
        data, pos = self._data, self._pos
        if b is None:
            if pos >= len(data):
                return -1
            self._pos = pos + 1
            return data[pos]
        if length is None:
            length = len(b) - off
        n = min(length, len(data) - pos)
        if n <= 0:
            return -1 if length > 0 else 0
        b[off:off + n] = data[pos:pos + n]
        self._pos = pos + n
        return n

    def readAllBytes(self):
        return bytearray(self._rest())

    def readNBytes(self, n):
        chunk = self._data[self._pos:self._pos + n]
        self._pos += len(chunk)
        return bytearray(chunk)

    def available(self):
        return len(self._data) - self._pos

    def skip(self, n):
        n = max(0, min(n, len(self._data) - self._pos))
        self._pos += n
        return n

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class OutputStream(object):
    """A java.io.OutputStream collecting what the script writes."""
    __slots__ = ('_chunks',)

    def __init__(self):
        self._chunks = []

    def write(self, b, off=0, length=None):
        if isinstance(b, int):
            self._chunks.append(bytes((b & 0xff,)))
        else:
            self._chunks.append(_to_bytes(b, off, length))

    def flush(self):
        pass

    def close(self):
        pass

    def _value(self):
        chunks = self._chunks
        if len(chunks) == 1:
            return chunks[0]
        return b''.join(chunks)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class IOUtils(object):
    """org.apache.commons.io.IOUtils (the parts scripts use)."""

    @staticmethod
    def toString(src, charset=None):
        if isinstance(src, str):
            return src
        data = src._rest() if isinstance(src, InputStream) else _to_bytes(src)
        return data.decode(_codec(charset), 'replace')

    @staticmethod
    def toByteArray(src):
        if isinstance(src, InputStream):
            return bytearray(src._rest())
        return bytearray(_to_bytes(src))

    @staticmethod
    def readLines(src, charset=None):
        return IOUtils.toString(src, charset).splitlines()

    @staticmethod
    def toInputStream(text, charset=None):
        if isinstance(text, str):
            return InputStream(text.encode(_codec(charset)))
        return InputStream(_to_bytes(text))

    @staticmethod
    def write(data, out, charset=None):
        if isinstance(data, str):
            out.write(data.encode(_codec(charset)))
        else:
            out.write(_to_bytes(data))

    @staticmethod
    def copy(src, out):
        data = src._rest()
        out.write(data)
        return len(data)

    @staticmethod
    def closeQuietly(*streams):
        pass


class InputStreamReader(object):
    def __init__(self, stream, charset=None):
        self._text = IOUtils.toString(stream, charset)
        self._pos = 0

    def read(self):
        if self._pos >= len(self._text):
            return -1
        self._pos += 1
        return ord(self._text[self._pos - 1])

    def close(self):
        pass


class BufferedReader(object):
    def __init__(self, reader, size=None):
        self._lines = reader._text[reader._pos:].splitlines()
        reader._pos = len(reader._text)
        self._i = 0

    def readLine(self):
        if self._i >= len(self._lines):
            return None
        self._i += 1
        return self._lines[self._i - 1]

    def lines(self):
        rest = self._lines[self._i:]
        self._i = len(self._lines)
        return iter(rest)

    def close(self):
        pass


# ------------------------------------------------------------- callbacks
class StreamCallback(object):
    """org.apache.nifi.processor.io.StreamCallback: process(inputStream, outputStream)."""

    def process(self, inputStream, outputStream):
        raise NotImplementedError('StreamCallback.process')


class InputStreamCallback(object):
    """org.apache.nifi.processor.io.InputStreamCallback: process(inputStream)."""

    def process(self, inputStream):
        raise NotImplementedError('InputStreamCallback.process')


class OutputStreamCallback(object):
    """org.apache.nifi.processor.io.OutputStreamCallback: process(outputStream)."""

    def process(self, outputStream):
        raise NotImplementedError('OutputStreamCallback.process')


def _arity(fn):
    """Number of arguments a Python callback takes (bound self excluded)."""
    if isinstance(fn, types.MethodType):
        return fn.__func__.__code__.co_argcount - 1
    code = getattr(fn, '__code__', None)
    if code is not None:
        return code.co_argcount
    return 2


def _callback(cb):
    proc = getattr(cb, 'process', None)
    if proc is None:
        if callable(cb):
            return cb, _arity(cb)
        raise TypeError('callback has no process() method: %r' % (cb,))
    if isinstance(cb, OutputStreamCallback):
        return proc, 1
    if isinstance(cb, (StreamCallback, InputStreamCallback)):
        return proc, 2 if isinstance(cb, StreamCallback) else 1
    return proc, _arity(proc)


# ------------------------------------------------------- relationships, log
class Relationship(object):
    __slots__ = ('_name', '_description')

    def __init__(self, name, description=''):
        self._name = name
        self._description = description

    def getName(self):
        return self._name

    def getDescription(self):
        return self._description

    def __str__(self):
        return self._name

    def __repr__(self):
        return 'Relationship[%s]' % self._name


REL_SUCCESS = Relationship('success', 'FlowFiles that were successfully processed')
REL_FAILURE = Relationship('failure', 'FlowFiles that failed to be processed')


class ExecuteScript(object):
    REL_SUCCESS = REL_SUCCESS
    REL_FAILURE = REL_FAILURE


class _Key(object):
    __slots__ = ('_key',)

    def __init__(self, key):
        self._key = key

    def key(self):
        return self._key

    def __str__(self):
        return self._key


class CoreAttributes(object):
    FILENAME = _Key('filename')
    PATH = _Key('path')
    ABSOLUTE_PATH = _Key('absolute.path')
    MIME_TYPE = _Key('mime.type')
    UUID = _Key('uuid')
    DISCARD_REASON = _Key('discard.reason')
    ALTERNATE_IDENTIFIER = _Key('alternate.identifier')


def _fmt(msg, args):
    msg = str(msg)
    if args:
        if len(args) == 1 and isinstance(args[0], (list, tuple)):
            args = args[0]
        for a in args:
            if isinstance(a, BaseException):
                continue
            msg = msg.replace('{}', str(a), 1)
    return msg


class ComponentLog(object):
    """The script's `log`: warn and error go to stderr; info, debug and
    trace only when FLOWFLEET_SCRIPT_LOG=debug is set at startup."""
    __slots__ = ('_name',)
    verbose = False

    def __init__(self, name):
        self._name = name

    def _emit(self, level, msg, args):
        try:
            sys.__stderr__.write('script %s %s: %s\n' % (self._name, level, _fmt(msg, args)))
        except Exception:
            pass

    def error(self, msg, *args):
        self._emit('ERROR', msg, args)

    def warn(self, msg, *args):
        self._emit('WARN', msg, args)

    warning = warn

    def info(self, msg, *args):
        if ComponentLog.verbose:
            self._emit('INFO', msg, args)

    def debug(self, msg, *args):
        if ComponentLog.verbose:
            self._emit('DEBUG', msg, args)

    trace = debug

    def isDebugEnabled(self):
        return ComponentLog.verbose

    isTraceEnabled = isInfoEnabled = isDebugEnabled

    def isWarnEnabled(self):
        return True

    isErrorEnabled = isWarnEnabled


class PropertyValue(object):
    __slots__ = ('_v',)

    def __init__(self, v=None):
        self._v = v

    def getValue(self):
        return self._v

    def evaluateAttributeExpressions(self, *a):
        return self

    def isSet(self):
        return self._v is not None

    def asInteger(self):
        return None if self._v is None else int(self._v)

    def asBoolean(self):
        return None if self._v is None else str(self._v).lower() == 'true'


class ProcessContext(object):
    __slots__ = ('_name',)

    def __init__(self, name):
        self._name = name

    def getProperty(self, name):
        return PropertyValue()

    def getProperties(self):
        return {}

    def getName(self):
        return self._name


class _Nothing(object):
    """Accepts any method call and does nothing (provenance reporter...)."""

    def __getattr__(self, name):
        return lambda *a, **k: None


# ---------------------------------------------------------- flow file
class JavaMap(dict):
    """A dict that also answers the java.util.Map methods scripts call."""

    def keySet(self):
        return set(self.keys())

    def entrySet(self):
        return [_Entry(k, v) for k, v in self.items()]

    def containsKey(self, k):
        return k in self

    def size(self):
        return len(self)

    def isEmpty(self):
        return not self

    def put(self, k, v):
        old = self.get(k)
        self[k] = v
        return old


class _Entry(object):
    __slots__ = ('_k', '_v')

    def __init__(self, k, v):
        self._k, self._v = k, v

    def getKey(self):
        return self._k

    def getValue(self):
        return self._v


_ids = [0]


def _now_ms():
    return int(time.time() * 1000)


class FlowFile(object):
    """One record. Attribute reads see the session's current attributes;
    `allVar` (when not a real attribute) is all attributes as a JSON object."""
    __slots__ = ('_attrs', '_content', '_written', '_removed', '_id', '_entry')

    def __init__(self, content, attrs):
        self._attrs = attrs
        self._content = content
        self._written = False
        self._removed = False
        _ids[0] += 1
        self._id = _ids[0]
        self._entry = None

    def getAttribute(self, name):
        v = self._attrs.get(name)
        if v is None and name == 'allVar':
            return _dumps(self._attrs)
        return v

    def getAttributes(self):
        return JavaMap(self._attrs)

    def getSize(self):
        return len(self._content)

    def getId(self):
        return self._id

    def getEntryDate(self):
        if self._entry is None:
            self._entry = _now_ms()
        return self._entry

    getLineageStartDate = getLastQueueDate = getEntryDate

    def getLineageStartIndex(self):
        return 0

    getQueueDateIndex = getLineageStartIndex

    def isPenalized(self):
        return False

    def __repr__(self):
        return 'FlowFile[id=%d,size=%d]' % (self._id, len(self._content))


def _attr_str(v):
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return 'true' if v else 'false'
    if isinstance(v, (bytes, bytearray)):
        return bytes(v).decode('utf-8', 'replace')
    return str(v)


class ProcessSession(object):
    """NiFi's ProcessSession over the one record of this call."""
    __slots__ = ('_ff', '_taken', '_last', '_rolled_back', '_committed')

    def __init__(self, content, attrs):
        self._ff = FlowFile(content, attrs)
        self._taken = False
        self._last = None
        self._rolled_back = False
        self._committed = False

    def get(self, n=None):
        if n is not None and not isinstance(n, int):
            n = None  # get(FlowFileFilter)
            many = True
        else:
            many = n is not None
        if self._taken:
            return [] if many else None
        self._taken = True
        return [self._ff] if many else self._ff

    def create(self, parent=None):
        if isinstance(parent, (list, tuple)):
            parent = parent[0] if parent else None
        ff = FlowFile(b'', dict(parent._attrs) if parent is not None else {})
        ff._written = True
        return ff

    def clone(self, ff, offset=None, size=None):
        c = FlowFile(ff._content, dict(ff._attrs))
        c._written = True
        if offset is not None:
            c._content = ff._content[offset:offset + size]
        return c

    def putAttribute(self, ff, key, value):
        if value is None:
            ff._attrs.pop(str(key), None)
        else:
            ff._attrs[str(key)] = _attr_str(value)
        return ff

    def putAllAttributes(self, ff, attributes):
        for k, v in attributes.items():
            self.putAttribute(ff, k, v)
        return ff

    def removeAttribute(self, ff, key):
        ff._attrs.pop(str(key), None)
        return ff

    def removeAllAttributes(self, ff, keys):
        if hasattr(keys, 'match') and not isinstance(keys, (set, list, tuple, dict)):
            keys = [k for k in ff._attrs if keys.match(k)]
        for k in list(keys):
            ff._attrs.pop(str(k), None)
        return ff

    def write(self, ff, cb=None):
        if cb is None:
            raise TypeError('session.write(flowFile) without a callback is not supported; '
                            'pass a StreamCallback or OutputStreamCallback')
        proc, n = _callback(cb)
        out = OutputStream()
        if n == 1:
            proc(out)
        else:
            proc(InputStream(ff._content), out)
        ff._content = out._value()
        ff._written = True
        return ff

    def append(self, ff, cb):
        proc, n = _callback(cb)
        out = OutputStream()
        proc(out)
        ff._content = ff._content + out._value()
        ff._written = True
        return ff

    def read(self, ff, a=None, b=None):
        cb = b if b is not None else a
        if cb is None or isinstance(cb, bool):
            return InputStream(ff._content)
        proc, n = _callback(cb)
        proc(InputStream(ff._content))

    def importFrom(self, src, ff):
        ff._content = src._rest() if isinstance(src, InputStream) else _to_bytes(src)
        ff._written = True
        return ff

    def transfer(self, ff, rel=None):
        if isinstance(ff, (list, tuple)):
            for f in ff:
                self._last = (f, rel)
        else:
            self._last = (ff, rel)

    def remove(self, ff):
        if isinstance(ff, (list, tuple)):
            for f in ff:
                f._removed = True
        else:
            ff._removed = True

    def penalize(self, ff):
        return ff

    def commit(self):
        self._committed = True

    def commitAsync(self, *a):
        self._committed = True

    def rollback(self, penalize=False):
        self._rolled_back = True

    def adjustCounter(self, *a):
        pass

    def getProvenanceReporter(self):
        return _Nothing()

    def _finish(self):
        """(status, content or None, attrs, message): 0 success, 1 failure,
        2 dropped. The last transfer decides; no transfer at all is success
        unless the record was removed."""
        ff = self._ff
        if self._rolled_back:
            return (1, None, ff._attrs, 'script rolled the session back')
        last = self._last
        if last is not None:
            f, rel = last
            if f._removed and f is ff:
                return (2, None, ff._attrs, '')
            content = f._content if f._written else None
            if rel is REL_FAILURE or (rel is not None and getattr(rel, '_name', '') == 'failure'):
                return (1, content, f._attrs, _failure_reason(f._attrs))
            return (0, content, f._attrs, '')
        if ff._removed:
            return (2, None, ff._attrs, '')
        return (0, ff._content if ff._written else None, ff._attrs, '')


def _failure_reason(attrs):
    msg = 'script transferred the record to REL_FAILURE'
    e = attrs.get('log.script.error')
    if e:
        lines = [l for l in str(e).strip().splitlines() if l.strip()]
        if lines:
            msg += ': ' + lines[-1].strip()
    return msg


# ----------------------------------------------------------------- runners
def _format_exc(e, skip=1):
    tb = e.__traceback__
    for _ in range(skip):
        if tb is not None:
            tb = tb.tb_next
    return ''.join(traceback.format_exception(type(e), e, tb))


def _last_line(text):
    lines = [l for l in text.strip().splitlines() if l.strip()]
    return lines[-1].strip() if lines else 'script failed'


def _run_nifi(code, g, content, attrs):
    s = ProcessSession(content, attrs)
    g['session'] = s
    try:
        exec(code, g)
    except BaseException as e:
        text = _format_exc(e)
        ff = s._ff
        a = ff._attrs
        if s._last is not None:
            a = s._last[0]._attrs
        a['log.script.error'] = text
        return (1, None, a, _last_line(text))
    return s._finish()


def _run_plain(code, g, content, attrs):
    try:
        exec(code, g)
        fn = g.get('transform')
        if not callable(fn):
            raise TypeError('script defines no transform(record, attributes) function')
        record = _loads(content) if content else None
        out = fn(record, attrs)
    except BaseException as e:
        text = _format_exc(e)
        attrs['log.script.error'] = text
        return (1, None, attrs, _last_line(text))
    if out is None:
        return (2, None, attrs, '')
    if isinstance(out, (bytes, bytearray)):
        data = bytes(out)
    elif isinstance(out, str):
        data = out.encode('utf-8')
    else:
        try:
            data = _dumps(out, ensure_ascii=False, separators=(',', ':')).encode('utf-8')
        except (TypeError, ValueError) as e:
            text = 'transform() returned a value that is not JSON: %s' % e
            attrs['log.script.error'] = text
            return (1, None, attrs, text)
    return (0, data, attrs, '')


# ------------------------------------------------------------ compile time
def _script_form(code):
    """'nifi' or 'plain'. Plain: the top-level code defines `transform` and
    the script never reads the global `session`. Everything else is NiFi."""
    reads_session = False
    stack = [code]
    while stack and not reads_session:
        c = stack.pop()
        if 'session' in c.co_names:
            import dis
            for ins in dis.get_instructions(c):
                if ins.opname in ('LOAD_NAME', 'LOAD_GLOBAL') and ins.argval == 'session':
                    reads_session = True
                    break
        stack.extend(k for k in c.co_consts if isinstance(k, types.CodeType))
    if not reads_session and 'transform' in code.co_names:
        import dis
        for ins in dis.get_instructions(code):
            if ins.opname == 'STORE_NAME' and ins.argval == 'transform':
                return 'plain'
    return 'nifi'


def _syntax_error_text(e, name):
    if isinstance(e, SyntaxError):
        msg = '%s line %s: %s' % (name, e.lineno, e.msg)
        if e.text:
            msg += ': ' + e.text.strip()
        return msg
    return '%s: %s' % (name, _last_line(_format_exc(e, 0)))


def _py2_to_3(source):
    """Jython scripts are Python 2; returns the source converted by lib2to3
    (print statement, `except E, e`, ...), or None when it cannot."""
    try:
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            from lib2to3 import refactor
        fixers = refactor.get_fixers_from_package('lib2to3.fixes')
        tool = refactor.RefactoringTool(fixers)
        src = source if source.endswith('\n') else source + '\n'
        return str(tool.refactor_string(src, '<script>'))
    except Exception:
        return None


_builtins_extra = {
    'unicode': str, 'basestring': str, 'long': int, 'xrange': range,
    'unichr': chr, 'raw_input': input,
}


def _make_globals(name):
    b = dict(builtins.__dict__)
    b.update(_builtins_extra)
    import functools
    b['reduce'] = functools.reduce
    return {
        '__builtins__': b,
        '__name__': '__main__',
        '__doc__': None,
        'REL_SUCCESS': REL_SUCCESS,
        'REL_FAILURE': REL_FAILURE,
        'log': ComponentLog(name),
        'context': ProcessContext(name),
    }


def _register_source(name, source):
    lines = source.splitlines(True)
    linecache.cache[name] = (len(source), None, lines, name)
    return lines


def _unregister_source(name, lines):
    e = linecache.cache.get(name)
    if e is not None and e[2] is lines:
        del linecache.cache[name]


# ---------------------------------------------------------------- install
def _module(name, attrs, package=False):
    m = types.ModuleType(name)
    m.__dict__.update(attrs)
    if package:
        m.__path__ = []
    sys.modules[name] = m
    return m


class _JString(object):
    """java.lang.String(bytes, charset) -> str."""

    def __new__(cls, value=b'', charset=None):
        if isinstance(value, str):
            return value
        return _to_bytes(value).decode(_codec(charset), 'replace')

    @staticmethod
    def valueOf(v):
        return _attr_str(v)


class _JSystem(object):
    @staticmethod
    def currentTimeMillis():
        return _now_ms()

    @staticmethod
    def nanoTime():
        return time.monotonic_ns()

    @staticmethod
    def getenv(name=None):
        import os
        return dict(os.environ) if name is None else os.environ.get(name)

    @staticmethod
    def getProperty(name, default=None):
        return default


class _JThread(object):
    @staticmethod
    def sleep(ms):
        time.sleep(ms / 1000.0)


def _fast_json_dumps(reindent):
    """json.dumps with indent runs CPython's pure-Python encoder (a 5 KB
    order: ~160 us, most of the example script's cost). This keeps the exact
    same output: the C encoder writes the compact form with ': ' between key
    and value, then reindent() (C, pyscript.c) inserts the newlines and the
    indentation outside strings, as the Python encoder lays them out. Any
    argument it does not model (cls, separators, extra keywords) goes to
    the original."""
    from json import encoder as _enc
    if _enc.c_make_encoder is None:
        return

    def dumps(obj, *, skipkeys=False, ensure_ascii=True, check_circular=True,
              allow_nan=True, cls=None, indent=None, separators=None,
              default=None, sort_keys=False, **kw):
        if (indent is not None and cls is None and separators is None and not kw
                and (type(indent) is int or type(indent) is str)):
            text = json.JSONEncoder(
                skipkeys=skipkeys, ensure_ascii=ensure_ascii,
                check_circular=check_circular, allow_nan=allow_nan,
                separators=(',', ': '), default=default,
                sort_keys=sort_keys).encode(obj)
            try:
                return reindent(text, indent if type(indent) is str else ' ' * indent)
            except ValueError:
                pass
        return _orig_dumps(obj, skipkeys=skipkeys, ensure_ascii=ensure_ascii,
                           check_circular=check_circular, allow_nan=allow_nan,
                           cls=cls, indent=indent, separators=separators,
                           default=default, sort_keys=sort_keys, **kw)

    dumps.__doc__ = _orig_dumps.__doc__
    dumps.__module__ = 'json'
    json.dumps = dumps


def _install(verbose, reindent=None):
    ComponentLog.verbose = bool(verbose)
    if reindent is not None:
        _fast_json_dumps(reindent)
    mods = {
        'java': ({}, True),
        'java.lang': ({'String': _JString, 'System': _JSystem, 'Thread': _JThread,
                       'Integer': type('Integer', (), {'parseInt': staticmethod(lambda s, r=10: int(s, r))}),
                       'Long': type('Long', (), {'parseLong': staticmethod(lambda s, r=10: int(s, r))}),
                       'Exception': Exception, 'RuntimeException': RuntimeException}, False),
        'java.io': ({'InputStream': InputStream, 'OutputStream': OutputStream,
                     'InputStreamReader': InputStreamReader, 'BufferedReader': BufferedReader,
                     'IOException': IOError}, False),
        'java.nio': ({}, True),
        'java.nio.charset': ({'StandardCharsets': StandardCharsets, 'Charset': Charset}, False),
        'java.util': ({'HashMap': JavaMap, 'Map': JavaMap, 'ArrayList': list, 'List': list,
                       'HashSet': set}, False),
        'org': ({}, True),
        'org.apache': ({}, True),
        'org.apache.commons': ({}, True),
        'org.apache.commons.io': ({'IOUtils': IOUtils}, False),
        'org.apache.nifi': ({}, True),
        'org.apache.nifi.processor': ({'Relationship': Relationship}, True),
        'org.apache.nifi.processor.io': ({'StreamCallback': StreamCallback,
                                          'InputStreamCallback': InputStreamCallback,
                                          'OutputStreamCallback': OutputStreamCallback}, False),
        'org.apache.nifi.processors': ({}, True),
        'org.apache.nifi.processors.script': ({'ExecuteScript': ExecuteScript}, False),
        'org.apache.nifi.flowfile': ({'FlowFile': FlowFile}, True),
        'org.apache.nifi.flowfile.attributes': ({'CoreAttributes': CoreAttributes}, False),
        'org.python': ({}, True),
        'org.python.core': ({}, True),
        'org.python.core.util': ({'StringUtil': StringUtil}, False),
    }
    made = {}
    for name in sorted(mods, key=lambda n: n.count('.')):
        attrs, package = mods[name]
        made[name] = _module(name, attrs, package)
        parent, _, leaf = name.rpartition('.')
        if parent:
            setattr(made[parent], leaf, made[name])
    # Script print() output must never mix with a program's stdout protocol.
    sys.stdout = sys.stderr


class RuntimeException(Exception):
    pass


class StringUtil(object):
    """org.python.core.util.StringUtil: bytes <-> str."""

    @staticmethod
    def fromBytes(b):
        data = _to_bytes(b)
        try:
            return data.decode('utf-8')
        except UnicodeDecodeError:
            return data.decode('latin-1')

    @staticmethod
    def toBytes(s):
        return s.encode('utf-8')
