/*
 * pyscript: the product's Python scripts (Script step, Check Response Script,
 * Custom Response Script, Post Script, per-row scripts) run in an embedded
 * CPython, unmodified.
 *
 * One interpreter per process (pyscript_global_init). A flow's script is
 * compiled once (pyscript_compile) and run once per record (pyscript_run):
 * each run executes the script's code object in a fresh globals dict copied
 * from the script's own base dict, so neither another flow's names nor the
 * previous record's leak in. Callable from any thread: a run takes the GIL
 * with the calling thread's own Python thread state (created on first use).
 * A watchdog thread raises ScriptTimeout inside a run that passes its time
 * limit; the interpreter stays usable.
 *
 * Two script forms, told apart at compile time by one rule:
 *   - plain: the top-level code defines a function `transform` and the
 *     script never reads the global name `session`. Per record the module
 *     body runs, then transform(record, attributes) is called with the
 *     parsed JSON record and the attributes as a dict of str (modify it in
 *     place to set/remove attributes; values are converted with str()). It
 *     returns the new record (dict/list/any JSON value; a str or bytes is
 *     taken as the output text as is), or None to drop the record.
 *     Raising an exception fails the record.
 *   - NiFi: everything else. The script runs as under NiFi's ExecuteScript
 *     with Jython: `session`, `REL_SUCCESS`, `REL_FAILURE`, `log`, `context`
 *     are globals; java.nio.charset, java.io, java.lang, java.util,
 *     org.apache.commons.io, org.apache.nifi.processor(.io),
 *     org.apache.nifi.processors.script, org.apache.nifi.flowfile(.attributes)
 *     and org.python.core.util import as built-in shim modules
 *     (engines/python/nifi_shim.py). The last session.transfer() decides: REL_FAILURE
 *     fails the record (its attributes kept), anything else succeeds;
 *     session.remove() drops it; no transfer at all is success.
 *     A script that is Python 2 (print statements, `except E, e`) and fails
 *     to compile is converted once with lib2to3 at compile time.
 *
 * Attributes: the attrs map is exposed as the flow file's attributes, plus
 * `allVar` (unless it is a real attribute): all attributes as one JSON object,
 * recomputed on each read. After the run, attrs holds exactly the script's
 * final attributes (allVar is not written back unless the script put it).
 * On failure, `log.script.error` holds the Python traceback (for a timeout:
 * "ScriptTimeout: ...").
 *
 * Limits: a script blocked inside a C call (time.sleep, a socket read) is
 * interrupted when control returns to Python code; a script that catches
 * every exception in an endless loop cannot be stopped in-process (the
 * watchdog re-raises every 200 ms). Imported modules (sys.modules) are
 * shared by all scripts, as in any Python process. print() goes to stderr.
 * json.dumps(obj, indent=N) is routed through CPython's C encoder plus a C
 * re-indenter, byte-identical to the pure-Python encoder it replaces (which
 * was most of the example script's cost).
 */
#ifndef FF_PYSCRIPT_H
#define FF_PYSCRIPT_H

#include <stddef.h>

#include "attrs.h"
#include "strbuf.h"

/* Starts the interpreter and the watchdog. Idempotent and thread-safe; call
 * once from main before any other thread uses pyscript. 0 or -1 with err.
 * FLOWFLEET_SCRIPT_LOG=debug makes log.info/log.debug print too. */
int pyscript_global_init(strbuf *err);

typedef struct pyscript pyscript;

/* Compiles source (NUL-terminated). name is used in messages and tracebacks
 * (e.g. "orders.json: transform.script"). Returns a new script the caller
 * frees with pyscript_free, or NULL with "name line N: message" in err.
 * Initializes the interpreter if needed. */
pyscript *pyscript_compile(const char *name, const char *source, strbuf *err);
/* Frees s (NULL is fine). No run of s may be in progress. */
void pyscript_free(pyscript *s);
/* 1 when the script is in the plain transform(record, attributes) form. */
int pyscript_is_plain(const pyscript *s);

enum pyscript_result {
    PYSCRIPT_SUCCESS = 0,
    PYSCRIPT_FAILURE = 1,
    PYSCRIPT_DROPPED = 2 /* session.remove(), or transform() returned None */
};

typedef struct pyscript_opts {
    double timeout_s; /* 0: 10 */
    int json_output;  /* output must be valid JSON */
} pyscript_opts;

/* Runs one record. input: the record body (JSON text) of len bytes; a: the
 * attributes, in/out. output is replaced by what the script wrote (or the
 * input unchanged if it never wrote; empty when dropped). err (may be NULL)
 * gets a one-line reason on failure. opts may be NULL. Returns enum
 * pyscript_result. Safe to call from any thread, concurrently. */
int pyscript_run(pyscript *s, const char *input, size_t len, attrs *a,
                 const pyscript_opts *opts, strbuf *output, strbuf *err);

#endif
