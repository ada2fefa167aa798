/*
 * paging: reading a whole list, page by page, whatever paging it offers,
 * without reading a record twice or stopping early without saying so.
 *
 * One module for every list the fleet reads (Omnitron's order list today,
 * ERP lists next). The caller asks for the next request (paging_next),
 * makes it, and feeds the answer (paging_feed), which hands back the
 * answer's records this run has not handled yet. Modes:
 *
 *   keyset  the template's {after} is the last id read (id__gt=...): stable
 *           while the list shrinks or grows, so one pass reads it all;
 *   page    {page} = 1, 2, ... ;   offset  {offset} = 0, limit, 2*limit ...;
 *   next    the first page from the template, then each answer's "next"
 *           link, followed as given (absolute or relative, resolved against
 *           the request URL).
 *
 * A page, offset or next list can shrink while it is read (orders marked
 * sent drop out of an unsent list), which shifts later pages and skips
 * records. So those modes make further passes from the first page until a
 * pass finds nothing this run has not handled (at most max_passes).
 *
 * A pass ends at an answer whose "next" is null; an answer with a non-null
 * "next" is not the end even when it is short (an Omnitron may cap limit);
 * an answer without "next" ends the pass when it is shorter than the page
 * size. Guards, each stopping the run with a clear error before anything
 * of the offending page is handed out: a page whose records were all read
 * earlier in the same pass (the list ignores the paging parameter), a next
 * link already followed in the pass, keyset records without ids, and more
 * than max_requests list requests in a run.
 */
#ifndef FF_PAGING_H
#define FF_PAGING_H

#include <jansson.h>

#include "attrs.h"
#include "strbuf.h"

typedef enum paging_mode { PAGING_KEYSET, PAGING_PAGE, PAGING_OFFSET, PAGING_NEXT } paging_mode;

/* "keyset", "page", "offset", "next": 0, or -1. */
int paging_mode_parse(const char *text, paging_mode *out);
const char *paging_mode_name(paging_mode m);
/* Checks a path template for mode's placeholder: 0, or -1 with err. */
int paging_check_template(paging_mode m, const char *tmpl, strbuf *err);

typedef struct paging_set paging_set;

typedef struct paging {
    paging_mode mode;
    char *base;               /* base URL the template is relative to */
    char *tmpl;               /* path template: {after} {page} {offset} {limit} and the caller's vars */
    long page_size;
    long max_requests;
    int max_passes;
    /* state, read by the caller for its run report */
    long requests;            /* list requests made */
    long listed;              /* records the answers held */
    long count;               /* the list's own "count" (first answer of the run), -1 if none */
    int pass;                 /* 1-based */
    int done;                 /* no more requests */
    strbuf error;             /* why the run stopped early ("" when it read the whole list) */
    /* internal */
    long page, offset;
    int pass_fresh;           /* records new to the run in this pass */
    strbuf after, next, last_url;
    paging_set *run_ids, *pass_ids, *pass_urls;
} paging;

/* base: the URL the template's paths are relative to (no trailing '/').
 * max_requests and max_passes: 0 for the defaults (10000, 20). */
void paging_init(paging *p, paging_mode mode, const char *base, const char *tmpl, long page_size,
                 long max_requests, int max_passes);
void paging_release(paging *p);

/* The next request's full URL into url (vars fill the template's other
 * placeholders): 1, or 0 when the list is done (p->error says why when the
 * run stopped early). */
int paging_next(paging *p, const attrs *vars, strbuf *url);
/* Feeds the answer to the request paging_next gave. Returns a new array
 * (caller decrefs) of the answer's records this run has not handled yet
 * (borrowed from answer, referenced), or NULL when the run must stop
 * (p->error set, p->done). */
json_t *paging_feed(paging *p, json_t *answer);
/* The request answered "no such page" (DRF's 404 "Invalid page." past the
 * end): a page, offset or next list that shrank while it was read has no
 * page there any more, which ends the pass, not the run. 1 when taken so
 * (go on with paging_next), 0 when it is an error after all (a pass's
 * first page, or keyset paging). */
int paging_past_end(paging *p);
/* Stops the run with err (a failed request). */
void paging_fail(paging *p, const char *err);

#endif
