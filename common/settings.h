/*
 * settings: reading a flow file's settings, with every read tracked.
 *
 * A flow file is a JSON object of sections ("http", "erp.query", ...). Code
 * reads it through the getters here, by full dotted path ("erp.query.url").
 * Every getter records the path it read (present or not) and makes each
 * object on the way a tracked section. When all loading is done,
 * settings_check_unread() reports every member of a tracked section that no
 * getter read as "<file>: <path>: unknown setting": a mistyped or
 * unsupported setting is never silently ignored, and no list of allowed
 * keys can drift from what the code reads. Members whose name starts with
 * '_', and "comment", are notes for people and never reported.
 *
 * Problems are collected, one line each ("<file>: <path>: <problem>"), all
 * at once, so a user fixes a file in one go.
 *
 * A settings table (struct setting) lists a flow type's settings once: key,
 * kind, default, meaning and where the value goes (or SETTING_BY_CODE). settings_load_table()
 * reads them into a struct; settings_doc_table() prints the same table as
 * Markdown for docs/flows.md. A default is written only in the table.
 */
#ifndef FF_SETTINGS_H
#define FF_SETTINGS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "strbuf.h"

typedef struct settings settings;

/* Reads root (borrowed; must outlive the settings) of file. Problems are
 * appended to errs (may be NULL: only counted). Free with settings_free. */
settings *settings_new(const char *file, json_t *root, strbuf *errs);
void settings_free(settings *s);
/* Number of problems reported so far. */
int settings_problems(const settings *s);
const char *settings_file(const settings *s);
void settings_problem(settings *s, const char *path, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A problem of this machine's own, not of the file: an environment variable
 * unset here, a file unreadable here, a script that does not compile here.
 * Counted among the problems, and also by settings_local_problems: a file
 * whose every problem is local is valid elsewhere (worker.c then keeps the
 * replica from taking work instead of failing the flow's records). */
void settings_problem_local(settings *s, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int settings_local_problems(const settings *s);

/* The value at path (borrowed), NULL when absent or null. Marks it read. */
json_t *settings_get(settings *s, const char *path);
/* The object at path (borrowed) as a section whose members are tracked;
 * NULL when absent (a problem if required) or not an object (a problem). */
json_t *settings_section(settings *s, const char *path, int required);
/* The object at path read as a whole (free-form keys, e.g. headers):
 * its members are not tracked. NULL when absent or not an object (a problem). */
json_t *settings_blob(settings *s, const char *path);
/* Typed getters. A present value of the wrong type or out of range is a
 * problem and gives the default. Strings are new copies (caller frees);
 * NULL when absent without a default. required: absent or "" is a problem. */
char *settings_str(settings *s, const char *path, const char *def, int required);
long settings_int(settings *s, const char *path, long def, long min, long max);
int settings_bool(settings *s, const char *path, int def);
/* "30s", "5m", "250ms", "1h30m" or a bare number of seconds. */
int64_t settings_duration(settings *s, const char *path, int64_t def);
/* One of GET, POST, PUT, PATCH, DELETE (new copy). */
char *settings_method(settings *s, const char *path, const char *def);
/* An HTTP status code list, [500, 503] or "500,503": *out (caller frees)
 * and *n; NULL/0 when absent. */
void settings_codes(settings *s, const char *path, int **out, size_t *n);
/* The value of the environment variable whose name is at path (new copy);
 * NULL when absent (a problem if required) or the variable is unset (a
 * local problem: settings_problem_local). */
char *settings_secret(settings *s, const char *path, int required);
/* From now on settings_secret reads the variable names but not the
 * environment (no value, no problem): for tools that only look at a flow
 * (flowctl next, flowctl settings), on a machine without its secrets. */
void settings_ignore_env(settings *s);
/* "a string", "an integer", ... for messages. */
const char *settings_type_name(const json_t *v);
/* Reports every member of a tracked section that was not read. Call once,
 * after every getter has run. */
void settings_check_unread(settings *s);

/* ---- settings tables ---- */

typedef enum setting_kind {
    SETTING_STR,      /* char *            */
    SETTING_INT,      /* long              */
    SETTING_BOOL,     /* int               */
    SETTING_DURATION, /* int64_t, ms       */
    SETTING_METHOD,   /* char *            */
    SETTING_CODES,    /* setting_codes     */
    /* kinds only code reads (offset SETTING_BY_CODE); the row documents them */
    SETTING_EXPR,     /* a NiFi expression (a URL, a header value, a body) */
    SETTING_OBJECT,   /* an object of free-form keys (headers) */
    SETTING_FILE,     /* a file path, relative to the flow file */
    SETTING_IDS,      /* "1,2" or [1, 2] */
    SETTING_ENV,      /* the name of an environment variable */
} setting_kind;

/* A row's offset when the type's own code reads it (settings_load_table
 * skips it): the row still documents the setting and holds its default. */
#define SETTING_BY_CODE ((size_t)-1)

typedef struct setting_codes {
    int *codes;
    size_t n;
} setting_codes;

typedef struct setting {
    const char *key;     /* dotted path in the flow file */
    setting_kind kind;
    const char *def;     /* default as written in a flow file; NULL: none */
    const char *meaning; /* one line for docs/flows.md */
    size_t offset;       /* where the value goes in the destination struct */
    long min, max;       /* SETTING_INT's range */
    int required;
} setting;

/* Reads every row but those read by code into dst at its offset. */
void settings_load_table(settings *s, const setting *table, void *dst);
/* Frees what settings_load_table allocated in dst. */
void settings_release_table(const setting *table, void *dst);
/* The row for key, or NULL. */
const setting *settings_row(const setting *table, const char *key);
/* A row's default (its def), for a SETTING_CUSTOM loader. */
const char *settings_default(const setting *table, const char *key);
/* Appends the table as Markdown rows ("| `key` | kind | default | meaning |"). */
void settings_doc_table(strbuf *out, const setting *table);

#endif
