/*
 * pyscript_int.h: internals shared by the pyscript*.c files (not a public
 * header; pyscript.h is the one public header of engines/python).
 *
 * The NiFi/Jython API the product's scripts are written against lives in
 * nifi_shim.py, Python source compiled into the interpreter at init as the
 * module `_flowfleet_nifi`. Its _install() registers java.*,
 * org.apache.commons.io, org.apache.nifi.* and org.python.core.util as
 * modules in sys.modules (each a handful of small Python classes:
 * StandardCharsets, IOUtils, StreamCallback, ...), so scripts import them
 * unmodified. ProcessSession/FlowFile model one record: its content (bytes)
 * and its attributes (a dict shared with the C side). _run_nifi/_run_plain
 * are the per-record runners pyscript.c calls; they return (status, content
 * or None, attrs, message) and never raise except for a timeout landing
 * outside the script. Keeping this in Python keeps it obviously faithful to
 * the Java API; the per-record cost is a few object allocations, measured by
 * bench-pyscript.
 *
 * The watchdog (pyscript_watchdog.c) is driven through the pyscript_wd_*
 * calls below.
 */
#ifndef FF_PYSCRIPT_INT_H
#define FF_PYSCRIPT_INT_H

#include "pyscript.h"

/* The text of nifi_shim.py (NUL-terminated), compiled into the library at
 * build time: the Makefile turns the .py into a C array under $(B)/gen/
 * with embed.sh. */
extern const char pyscript_nifi_source[];

struct pyscript_wd_slot {
    unsigned long thread_id;   /* PyThread_get_thread_ident() of the runner */
    double deadline;           /* monotonic seconds; next time to fire */
    int fired;                 /* how many times ScriptTimeout was raised */
    struct pyscript_wd_slot *next;
};
/* Starts the watchdog thread; exc is the exception class to raise (a new
 * reference the watchdog keeps). 0 or -1. Called once, GIL held. */
int pyscript_wd_start(void *exc);
/* Registers/unregisters a running call. Both with the GIL held. */
void pyscript_wd_enter(struct pyscript_wd_slot *slot, double timeout_s);
void pyscript_wd_leave(struct pyscript_wd_slot *slot);

#endif
