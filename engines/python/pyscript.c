/*
 * pyscript: the embedded CPython core (interpreter, threads, compile, run).
 *
 * Init (once, pthread_once): an isolated interpreter (no environment
 * variables, no signal handlers: the host program owns those), the NiFi
 * shim module from nifi_shim.py installed into sys.modules, the watchdog
 * started, then the GIL released.
 *
 * Threads: each calling thread gets one PyThreadState, created on its first
 * call and kept in a thread-local (freed by a pthread key destructor when
 * the thread exits), so a run is PyEval_RestoreThread ... PyEval_SaveThread
 * with no per-call thread-state churn. The thread that ran init reuses the
 * main thread state.
 *
 * Compile: the source becomes a code object; its lines are registered in
 * linecache under the script's name so tracebacks show them. The shim
 * decides the form (plain or NiFi) and builds the script's base globals
 * (own builtins copy, REL_SUCCESS, REL_FAILURE, log, context).
 *
 * Run: a fresh globals dict (copy of the base), the input as bytes and the
 * attributes as a dict go to the shim's runner, which returns
 * (status, content or None, attrs, message). The attrs map is brought in
 * line with the returned dict (unchanged entries are not touched), the
 * globals dict is cleared so the record's objects die at once (class
 * definitions form cycles the collector would otherwise have to find).
 * Output validation for json_output is a small non-allocating JSON checker.
 * The module `_flowfleet_c` gives the shim reindent(), which lets
 * json.dumps(..., indent=N) use CPython's C encoder with byte-identical
 * output (see _fast_json_dumps in nifi_shim.py).
 * Nothing here calls PyErr_Print (which exits on SystemExit): errors are
 * formatted by the shim and cleared.
 */
#include <Python.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "jsontext.h"
#include "xalloc.h"
#include "pyscript_int.h"

struct pyscript {
    char *name;
    PyObject *code;    /* the script's code object */
    PyObject *globals; /* base globals, copied per run */
    PyObject *runner;  /* shim _run_nifi or _run_plain */
    PyObject *lines;   /* linecache registration token */
    int plain;
};

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_rc = -1;
static char init_msg[512];
static PyInterpreterState *interp;
static pthread_key_t ts_key;
static __thread PyThreadState *my_ts;

/* Shim functions (new references kept for the life of the process). */
static PyObject *fn_run_nifi, *fn_run_plain, *fn_script_form,
    *fn_make_globals, *fn_syntax_error_text, *fn_py2_to_3,
    *fn_register_source, *fn_unregister_source;

/* ------------------------------------------------------------- helpers */

/* Writes the pending Python exception as one line into err, and clears it. */
static void exc_to_err(strbuf *err, const char *what)
{
    PyObject *t, *v, *tb;
    PyErr_Fetch(&t, &v, &tb);
    PyErr_NormalizeException(&t, &v, &tb);
    const char *msg = NULL;
    PyObject *str = v ? PyObject_Str(v) : NULL;
    if (str)
        msg = PyUnicode_AsUTF8(str);
    if (!msg) {
        PyErr_Clear();
        msg = "unknown error";
    }
    strbuf_seterr(err, "%s: %s: %s", what,
                  t ? ((PyTypeObject *)t)->tp_name : "error", msg);
    Py_XDECREF(str);
    Py_XDECREF(t);
    Py_XDECREF(v);
    Py_XDECREF(tb);
}

/* UTF-8 of a str, bytes for lone surrogates kept (surrogateescape). Sets
 * *tmp to an object the caller releases (may stay NULL). NULL on error. */
static const char *utf8_of(PyObject *o, Py_ssize_t *n, PyObject **tmp)
{
    *tmp = NULL;
    if (!PyUnicode_Check(o)) {
        *tmp = PyObject_Str(o);
        if (!*tmp)
            return NULL;
        o = *tmp;
    }
    const char *s = PyUnicode_AsUTF8AndSize(o, n);
    if (s)
        return s;
    PyErr_Clear();
    PyObject *b = PyUnicode_AsEncodedString(o, "utf-8", "surrogateescape");
    Py_XDECREF(*tmp);
    *tmp = b;
    if (!b)
        return NULL;
    *n = PyBytes_GET_SIZE(b);
    return PyBytes_AS_STRING(b);
}

static PyObject *str_of(const char *s, size_t n)
{
    return PyUnicode_DecodeUTF8(s, (Py_ssize_t)n, "surrogateescape");
}

/* Byte classes for the scanners: one table lookup per byte. */
#define C_WS 1      /* JSON whitespace */
#define C_STRSTOP 2 /* ends a run of plain string bytes: '"', '\\', control */
#define C_LAYOUT 4  /* reindent: '"' '{' '}' '[' ']' ',' */
static unsigned char cls[256];
static pthread_once_t cls_once = PTHREAD_ONCE_INIT;

static void cls_init(void)
{
    for (int c = 0; c < 0x20; c++)
        cls[c] |= C_STRSTOP;
    cls['"'] |= C_STRSTOP | C_LAYOUT;
    cls['\\'] |= C_STRSTOP;
    cls[' '] |= C_WS;
    cls['\t'] |= C_WS;
    cls['\n'] |= C_WS;
    cls['\r'] |= C_WS;
    for (const char *p = "{}[],"; *p; p++)
        cls[(unsigned char)*p] |= C_LAYOUT;
}

/* ------------------------------------------------------------ reindent */

static void add_newline_indent(strbuf *out, const char *ind, size_t in, int level)
{
    strbuf_addch(out, '\n');
    for (int i = 0; i < level; i++)
        strbuf_add(out, ind, in);
}

/* reindent(text, indent) -> str: the compact JSON text the C encoder wrote
 * with separators (',', ': ') laid out as json's Python encoder does with
 * that indent (newline + indent after '[', '{' and ',', before ']' and '}';
 * empty containers stay "[]" / "{}"). ValueError when text is not such
 * output (the caller then falls back to the Python encoder). */
static PyObject *py_reindent(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *text, *ind;
    if (!PyArg_ParseTuple(args, "UU", &text, &ind))
        return NULL;
    Py_ssize_t n, in;
    const char *s = PyUnicode_AsUTF8AndSize(text, &n);
    const char *is = s ? PyUnicode_AsUTF8AndSize(ind, &in) : NULL;
    if (!is) {
        PyErr_Clear();
        PyErr_SetString(PyExc_ValueError, "reindent: text is not UTF-8");
        return NULL;
    }
    pthread_once(&cls_once, cls_init);
    strbuf out;
    strbuf_init(&out, (size_t)n + (size_t)n / 2 + 16);
    int level = 0;
    Py_ssize_t i = 0;
    while (i < n) {
        Py_ssize_t j = i;
        while (j < n && !(cls[(unsigned char)s[j]] & C_LAYOUT))
            j++;
        if (j > i)
            strbuf_add(&out, s + i, (size_t)(j - i));
        if (j >= n)
            break;
        char c = s[j];
        if (c == '"') {
            Py_ssize_t k = j + 1;
            for (;;) {
                while (k < n && s[k] != '"' && s[k] != '\\')
                    k++;
                if (k >= n || s[k] == '"')
                    break;
                k += 2; /* an escape */
            }
            if (k >= n) {
                strbuf_release(&out);
                PyErr_SetString(PyExc_ValueError, "reindent: unterminated string");
                return NULL;
            }
            strbuf_add(&out, s + j, (size_t)(k - j + 1));
            i = k + 1;
            continue;
        }
        if (c == '{' || c == '[') {
            char close = c == '{' ? '}' : ']';
            strbuf_addch(&out, c);
            if (j + 1 < n && s[j + 1] == close) {
                strbuf_addch(&out, close);
                i = j + 2;
                continue;
            }
            add_newline_indent(&out, is, (size_t)in, ++level);
        } else if (c == '}' || c == ']') {
            add_newline_indent(&out, is, (size_t)in, --level);
            strbuf_addch(&out, c);
        } else { /* ',' */
            strbuf_addch(&out, ',');
            add_newline_indent(&out, is, (size_t)in, level);
        }
        i = j + 1;
    }
    PyObject *r = level == 0 ? PyUnicode_DecodeUTF8(out.buf, (Py_ssize_t)out.len, NULL) : NULL;
    if (level != 0)
        PyErr_SetString(PyExc_ValueError, "reindent: unbalanced brackets");
    strbuf_release(&out);
    return r;
}

static PyMethodDef c_methods[] = {
    {"reindent", py_reindent, METH_VARARGS, "Lays out compact JSON text with an indent."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef c_module = {
    PyModuleDef_HEAD_INIT, "_flowfleet_c", NULL, -1, c_methods, NULL, NULL, NULL, NULL,
};

/* ------------------------------------------------------------------ init */

static void ts_destroy(void *p)
{
    PyThreadState *ts = p;
    if (!ts || !Py_IsInitialized())
        return;
    PyEval_RestoreThread(ts);
    PyThreadState_Clear(ts);
    PyThreadState_DeleteCurrent();
}

/* Takes the GIL with this thread's own thread state. */
static void enter(void)
{
    if (!my_ts) {
        my_ts = PyThreadState_New(interp);
        pthread_setspecific(ts_key, my_ts);
    }
    PyEval_RestoreThread(my_ts);
}

static void leave(void)
{
    PyEval_SaveThread();
}

static PyObject *shim_fn(PyObject *mod, const char *name)
{
    PyObject *f = PyObject_GetAttrString(mod, name);
    if (!f)
        snprintf(init_msg, sizeof init_msg, "python shim has no %s", name);
    return f;
}

static void do_init(void)
{
    PyStatus st;
    PyConfig config;
    PyConfig_InitIsolatedConfig(&config);
    config.install_signal_handlers = 0;
    config.parse_argv = 0;
    config.buffered_stdio = 0;
    st = Py_InitializeFromConfig(&config);
    PyConfig_Clear(&config);
    if (PyStatus_Exception(st)) {
        snprintf(init_msg, sizeof init_msg, "python init failed: %s",
                 st.err_msg ? st.err_msg : "unknown error");
        return;
    }
    interp = PyInterpreterState_Main();

    strbuf e = STRBUF_INIT;
    PyObject *code = Py_CompileString(pyscript_nifi_source, "<flowfleet nifi shim>",
                                      Py_file_input);
    PyObject *mod = code ? PyImport_ExecCodeModule("_flowfleet_nifi", code) : NULL;
    Py_XDECREF(code);
    if (!mod) {
        exc_to_err(&e, "python shim");
        snprintf(init_msg, sizeof init_msg, "%s", e.buf);
        strbuf_release(&e);
        PyEval_SaveThread();
        return;
    }
    const char *lv = getenv("FLOWFLEET_SCRIPT_LOG");
    PyObject *cmod = PyModule_Create(&c_module);
    PyObject *reindent = cmod ? PyObject_GetAttrString(cmod, "reindent") : NULL;
    PyObject *r = reindent ? PyObject_CallMethod(mod, "_install", "iO", lv && strcmp(lv, "debug") == 0, reindent)
                           : NULL;
    Py_XDECREF(reindent);
    Py_XDECREF(cmod);
    PyObject *timeout_exc = NULL;
    if (r && (fn_run_nifi = shim_fn(mod, "_run_nifi")) &&
        (fn_run_plain = shim_fn(mod, "_run_plain")) &&
        (fn_script_form = shim_fn(mod, "_script_form")) &&
        (fn_make_globals = shim_fn(mod, "_make_globals")) &&
        (fn_syntax_error_text = shim_fn(mod, "_syntax_error_text")) &&
        (fn_py2_to_3 = shim_fn(mod, "_py2_to_3")) &&
        (fn_register_source = shim_fn(mod, "_register_source")) &&
        (fn_unregister_source = shim_fn(mod, "_unregister_source")) &&
        (timeout_exc = shim_fn(mod, "ScriptTimeout"))) {
        if (pyscript_wd_start(timeout_exc) == 0 && pthread_key_create(&ts_key, ts_destroy) == 0)
            init_rc = 0;
        else
            snprintf(init_msg, sizeof init_msg, "cannot start the script watchdog");
    } else if (!r) {
        exc_to_err(&e, "python shim install");
        snprintf(init_msg, sizeof init_msg, "%s", e.buf);
    }
    PyErr_Clear();
    strbuf_release(&e);
    Py_XDECREF(r);
    Py_XDECREF(timeout_exc);
    Py_DECREF(mod);
    my_ts = PyEval_SaveThread();
}

int pyscript_global_init(strbuf *err)
{
    pthread_once(&init_once, do_init);
    if (init_rc != 0)
        strbuf_seterr(err, "%s", init_msg);
    return init_rc;
}

/* --------------------------------------------------------------- compile */

static PyObject *compile_source(const char *name, const char *source, strbuf *err,
                                PyObject **used_source)
{
    PyObject *code = Py_CompileStringExFlags(source, name, Py_file_input, NULL, -1);
    if (code) {
        *used_source = PyUnicode_FromString(source);
        if (!*used_source) {
            Py_DECREF(code);
            exc_to_err(err, name);
            return NULL;
        }
        return code;
    }
    PyObject *t, *v, *tb;
    PyErr_Fetch(&t, &v, &tb);
    PyErr_NormalizeException(&t, &v, &tb);
    /* Jython scripts are Python 2: try the lib2to3 conversion once. */
    if (t && PyErr_GivenExceptionMatches(t, PyExc_SyntaxError)) {
        PyObject *conv = PyObject_CallFunction(fn_py2_to_3, "s", source);
        const char *cs = conv && conv != Py_None ? PyUnicode_AsUTF8(conv) : NULL;
        if (cs && strcmp(cs, source) != 0) {
            code = Py_CompileStringExFlags(cs, name, Py_file_input, NULL, -1);
            if (code) {
                *used_source = conv;
                Py_XDECREF(t);
                Py_XDECREF(v);
                Py_XDECREF(tb);
                return code;
            }
        }
        PyErr_Clear();
        Py_XDECREF(conv);
    }
    PyObject *msg = v ? PyObject_CallFunction(fn_syntax_error_text, "Os", v, name) : NULL;
    const char *m = msg ? PyUnicode_AsUTF8(msg) : NULL;
    if (m)
        strbuf_seterr(err, "%s", m);
    else
        strbuf_seterr(err, "%s: cannot compile the script", name);
    PyErr_Clear();
    Py_XDECREF(msg);
    Py_XDECREF(t);
    Py_XDECREF(v);
    Py_XDECREF(tb);
    return NULL;
}

pyscript *pyscript_compile(const char *name, const char *source, strbuf *err)
{
    if (pyscript_global_init(err) != 0)
        return NULL;
    if (!name)
        name = "<script>";
    if (!source) {
        strbuf_seterr(err, "%s: no script source", name);
        return NULL;
    }
    pyscript *s = xcalloc(1, sizeof *s);
    s->name = xstrdup(name);
    enter();
    PyObject *src = NULL, *form = NULL;
    s->code = compile_source(name, source, err, &src);
    if (!s->code)
        goto fail;
    form = PyObject_CallFunctionObjArgs(fn_script_form, s->code, NULL);
    if (!form) {
        exc_to_err(err, name);
        goto fail;
    }
    s->plain = PyUnicode_CompareWithASCIIString(form, "plain") == 0;
    s->runner = s->plain ? fn_run_plain : fn_run_nifi;
    Py_INCREF(s->runner);
    s->globals = PyObject_CallFunction(fn_make_globals, "s", name);
    s->lines = s->globals ? PyObject_CallFunction(fn_register_source, "sO", name, src) : NULL;
    if (!s->lines) {
        exc_to_err(err, name);
        goto fail;
    }
    Py_DECREF(form);
    Py_DECREF(src);
    leave();
    return s;
fail:
    Py_XDECREF(form);
    Py_XDECREF(src);
    leave();
    pyscript_free(s);
    return NULL;
}

int pyscript_is_plain(const pyscript *s)
{
    return s && s->plain;
}

void pyscript_free(pyscript *s)
{
    if (!s)
        return;
    if (s->code || s->globals || s->runner || s->lines) {
        enter();
        if (s->lines) {
            PyObject *r = PyObject_CallFunction(fn_unregister_source, "sO", s->name, s->lines);
            Py_XDECREF(r);
            PyErr_Clear();
        }
        if (s->globals)
            PyDict_Clear(s->globals);
        Py_XDECREF(s->lines);
        Py_XDECREF(s->globals);
        Py_XDECREF(s->runner);
        Py_XDECREF(s->code);
        leave();
    }
    free(s->name);
    free(s);
}

/* ------------------------------------------------------------ json check */

/* A strict JSON syntax check that allocates nothing. Returns 0, or -1 with
 * the byte offset of the problem in *at. */
struct jscan {
    const char *p, *end;
    int depth;
};

static void js_ws(struct jscan *j)
{
    while (j->p < j->end && (cls[(unsigned char)*j->p] & C_WS))
        j->p++;
}

static int js_lit(struct jscan *j, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n) != 0)
        return -1;
    j->p += n;
    return 0;
}

static int js_string(struct jscan *j)
{
    j->p++; /* opening quote */
    while (j->p < j->end) {
        while (j->p < j->end && !(cls[(unsigned char)*j->p] & C_STRSTOP))
            j->p++;
        if (j->p >= j->end)
            return -1;
        unsigned char c = (unsigned char)*j->p++;
        if (c == '"')
            return 0;
        if (c < 0x20)
            return -1;
        if (c == '\\') {
            if (j->p >= j->end)
                return -1;
            c = (unsigned char)*j->p++;
            if (c == 'u') {
                for (int i = 0; i < 4; i++, j->p++)
                    if (j->p >= j->end || !strchr("0123456789abcdefABCDEF", *j->p) || !*j->p)
                        return -1;
            } else if (!strchr("\"\\/bfnrt", c) || !c) {
                return -1;
            }
        }
    }
    return -1;
}

static int js_digits(struct jscan *j)
{
    const char *s = j->p;
    while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
        j->p++;
    return j->p > s ? 0 : -1;
}

static int js_number(struct jscan *j)
{
    if (*j->p == '-')
        j->p++;
    if (j->p < j->end && *j->p == '0')
        j->p++;
    else if (js_digits(j))
        return -1;
    if (j->p < j->end && *j->p == '.') {
        j->p++;
        if (js_digits(j))
            return -1;
    }
    if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
        j->p++;
        if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
            j->p++;
        if (js_digits(j))
            return -1;
    }
    return 0;
}

static int js_value(struct jscan *j)
{
    js_ws(j);
    if (j->p >= j->end)
        return -1;
    switch (*j->p) {
    case '"':
        return js_string(j);
    case 't':
        return js_lit(j, "true");
    case 'f':
        return js_lit(j, "false");
    case 'n':
        return js_lit(j, "null");
    case '[':
    case '{': {
        char close = *j->p == '[' ? ']' : '}';
        int obj = close == '}';
        if (++j->depth > 10000)
            return -1;
        j->p++;
        js_ws(j);
        if (j->p < j->end && *j->p == close) {
            j->p++;
            j->depth--;
            return 0;
        }
        for (;;) {
            if (obj) {
                js_ws(j);
                if (j->p >= j->end || *j->p != '"' || js_string(j))
                    return -1;
                js_ws(j);
                if (j->p >= j->end || *j->p != ':')
                    return -1;
                j->p++;
            }
            if (js_value(j))
                return -1;
            js_ws(j);
            if (j->p >= j->end)
                return -1;
            if (*j->p == ',') {
                j->p++;
                continue;
            }
            if (*j->p != close)
                return -1;
            j->p++;
            j->depth--;
            return 0;
        }
    }
    default:
        if (*j->p == '-' || (*j->p >= '0' && *j->p <= '9'))
            return js_number(j);
        return -1;
    }
}

static int json_check(const char *s, size_t n, size_t *at)
{
    pthread_once(&cls_once, cls_init);
    struct jscan j = {s, s + n, 0};
    int rc = js_value(&j);
    if (rc == 0) {
        js_ws(&j);
        if (j.p != j.end)
            rc = -1;
    }
    *at = (size_t)(j.p - s);
    return rc;
}

/* ------------------------------------------------------------------- run */

static PyObject *dict_of_attrs(const attrs *a)
{
    PyObject *d = PyDict_New();
    for (size_t i = 0; d && a && i < a->n; i++) {
        PyObject *k = str_of(a->keys[i], strlen(a->keys[i]));
        PyObject *v = k ? str_of(a->vals[i], strlen(a->vals[i])) : NULL;
        if (!v || PyDict_SetItem(d, k, v) < 0) {
            Py_XDECREF(k);
            Py_XDECREF(v);
            Py_DECREF(d);
            return NULL;
        }
        Py_DECREF(k);
        Py_DECREF(v);
    }
    return d;
}

/* Makes a equal to the dict d (str -> anything, values through str()).
 * Entries already equal are left alone. -1 with a Python error set. */
static int attrs_from_dict(attrs *a, PyObject *d)
{
    Py_ssize_t pos = 0;
    PyObject *k, *v;
    while (PyDict_Next(d, &pos, &k, &v)) {
        PyObject *tk, *tv;
        Py_ssize_t kn, vn;
        const char *ks = utf8_of(k, &kn, &tk);
        const char *vs = ks ? utf8_of(v, &vn, &tv) : NULL;
        if (!vs) {
            Py_XDECREF(tk);
            return -1;
        }
        if (strlen(ks) == (size_t)kn) { /* keys with NUL cannot be stored */
            size_t vlen = strnlen(vs, (size_t)vn);
            const char *old = attrs_get(a, ks);
            if (!old || strlen(old) != vlen || memcmp(old, vs, vlen) != 0)
                attrs_setn(a, ks, vs, vlen);
        }
        Py_XDECREF(tk);
        Py_XDECREF(tv);
    }
    for (size_t i = 0; i < a->n;) {
        PyObject *key = str_of(a->keys[i], strlen(a->keys[i]));
        if (!key)
            return -1;
        int has = PyDict_Contains(d, key);
        Py_DECREF(key);
        if (has < 0)
            return -1;
        if (!has)
            attrs_remove(a, a->keys[i]);
        else
            i++;
    }
    return 0;
}

static void set_timeout_error(attrs *a, const char *name, double t)
{
    const char *cur = attrs_get(a, "log.script.error");
    if (cur && strstr(cur, "ScriptTimeout"))
        return;
    strbuf m = STRBUF_INIT;
    strbuf_addf(&m, "ScriptTimeout: script %s ran longer than %g s and was interrupted", name, t);
    attrs_set(a, "log.script.error", m.buf);
    strbuf_release(&m);
}

int pyscript_run(pyscript *s, const char *input, size_t len, attrs *a,
                 const pyscript_opts *opts, strbuf *output, strbuf *err)
{
    double timeout = opts && opts->timeout_s > 0 ? opts->timeout_s : 10.0;
    int json_output = opts ? opts->json_output : 0;
    strbuf_reset(output);
    if (!s) {
        strbuf_seterr(err, "no script");
        return PYSCRIPT_FAILURE;
    }
    if (!input)
        len = 0;
    attrs scratch = ATTRS_INIT;
    if (!a)
        a = &scratch;

    enter();
    int rc = PYSCRIPT_FAILURE;
    PyObject *g = PyDict_Copy(s->globals);
    PyObject *content = g ? PyBytes_FromStringAndSize(input ? input : "", (Py_ssize_t)len) : NULL;
    PyObject *ad = content ? dict_of_attrs(a) : NULL;
    PyObject *res = NULL;
    if (ad) {
        struct pyscript_wd_slot slot;
        pyscript_wd_enter(&slot, timeout);
        res = PyObject_CallFunctionObjArgs(s->runner, s->code, g, content, ad, NULL);
        pyscript_wd_leave(&slot);
        if (slot.fired) {
            /* Timed out: whatever the script did after the raise, fail. */
            if (!res)
                PyErr_Clear();
            if (res && PyTuple_Check(res) && PyTuple_GET_SIZE(res) == 4 &&
                PyDict_Check(PyTuple_GET_ITEM(res, 2)))
                attrs_from_dict(a, PyTuple_GET_ITEM(res, 2));
            PyErr_Clear();
            set_timeout_error(a, s->name, timeout);
            strbuf_seterr(err, "script %s timed out after %g s", s->name, timeout);
            strbuf_add(output, input ? input : "", len);
            goto out;
        }
    }
    if (!res) {
        exc_to_err(err, s->name);
        attrs_set(a, "log.script.error", err ? err->buf : "script engine error");
        strbuf_add(output, input ? input : "", len);
        goto out;
    }
    if (!PyTuple_Check(res) || PyTuple_GET_SIZE(res) != 4) {
        strbuf_seterr(err, "%s: script runner returned an unexpected value", s->name);
        goto out;
    }
    long status = PyLong_AsLong(PyTuple_GET_ITEM(res, 0));
    PyObject *out = PyTuple_GET_ITEM(res, 1);
    PyObject *rattrs = PyTuple_GET_ITEM(res, 2);
    PyObject *msg = PyTuple_GET_ITEM(res, 3);
    if (PyDict_Check(rattrs) && attrs_from_dict(a, rattrs) < 0) {
        exc_to_err(err, s->name);
        goto out;
    }
    if (status == PYSCRIPT_DROPPED) {
        rc = PYSCRIPT_DROPPED;
        goto out;
    }
    int written = PyBytes_Check(out);
    if (written)
        strbuf_add(output, PyBytes_AS_STRING(out), (size_t)PyBytes_GET_SIZE(out));
    else
        strbuf_add(output, input ? input : "", len);
    if (status != PYSCRIPT_SUCCESS) {
        const char *m = PyUnicode_Check(msg) ? PyUnicode_AsUTF8(msg) : NULL;
        strbuf_seterr(err, "%s: %s", s->name, m && *m ? m : "script failed");
        PyErr_Clear();
        goto out;
    }
    rc = PYSCRIPT_SUCCESS;
    if (json_output && written) { /* an unchanged input is the caller's business */
        size_t at;
        if (json_check(output->buf, output->len, &at) != 0) {
            /* jsontext_parse also accepts comments: defer to it. */
            strbuf perr = STRBUF_INIT;
            json_t *v = jsontext_parse(output->buf, output->len, &perr);
            if (v) {
                json_decref(v);
            } else {
                strbuf_seterr(err, "%s: script output is not valid JSON: %s", s->name, perr.buf);
                attrs_set(a, "log.script.error", err ? err->buf : "script output is not valid JSON");
                rc = PYSCRIPT_FAILURE;
            }
            strbuf_release(&perr);
        }
    }
out:
    Py_XDECREF(res);
    if (g) {
        PyDict_Clear(g);
        Py_DECREF(g);
    }
    Py_XDECREF(content);
    Py_XDECREF(ad);
    if (PyErr_Occurred())
        PyErr_Clear();
    leave();
    if (a == &scratch)
        attrs_release(&scratch);
    return rc;
}
