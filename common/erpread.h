/*
 * erpread: reading a list from an ERP, page by page, the same for every
 * inbound flow type (the Order Status Flow today, the Image Flow next).
 *
 * The caller gives the request (a URL that is a plain URL or a NiFi
 * expression, the method, extra headers whose values are expressions,
 * extra params: the query for a GET, the JSON body for a POST), the run's
 * query parameters (the trigger's: `number`, the Modified Date key and the
 * custom ones, in order) and a paging mode; erpread makes the requests and
 * hands each answer, a whole page, to the caller's function. It does not
 * split pages into rows: the product runs the Script and the Mapping on a
 * whole answer, so the caller publishes pages.
 *
 * The URL. A plain URL gets the query parameters, then the extra params
 * (GET), then the paging parameters, appended (`?` or `&`), each name and
 * value percent-encoded where a query needs it (space, `"`, `#`, `%`, `&`,
 * `'`, `+`, `<`, `=`, `>`, controls and non-ASCII). An expression URL is
 * evaluated against the caller's attributes plus `http.query.param.<name>`
 * for each query parameter, `http.query.string` (them as a query string)
 * and `token.erp`; the text it gives is then encoded the way NiFi's HTTP
 * client (OkHttp's HttpUrl) sends it, so the ERP receives the same bytes:
 * in the path space " < > ^ ` { } | \ and in the query space " ' < > are
 * percent-encoded, as are controls and non-ASCII (UTF-8); a `%` followed
 * by two hex digits is kept (already encoded), another `%` is encoded.
 * Extra params (GET) and paging parameters are then appended as for a
 * plain URL.
 *
 * Paging, after the seed's three kinds:
 *   none    one request;
 *   offset  <offset_param>=start, start+page_size, ... and
 *           <limit_param>=page_size; stops on an empty or short page;
 *   seek    the first request without a marker, then <seek_param>= the
 *           value at seek_path in the page's last row (seek_in_answer: in
 *           the answer; absent, null or "" there ends the list); stops on
 *           an empty or short page;
 *   next    the value at next_path in the answer: a URL (absolute, or
 *           relative to the request's) requested next as it is, or, with
 *           next_param, a token sent as <next_param>= on the request built
 *           as the first one; stops when it is absent, null or "".
 * Guards, each stopping the run with an error before the page is handed
 * out (the ERP ignores the paging parameter, or its list pages in a
 * circle): a URL (offset, next) or a marker (seek) already requested in
 * the run, and a page with rows whose answer is the same text as a page
 * already read in the run. Reaching max_requests with the list not ended
 * is an error too, unless cap_ends_run: then the run ends there, as read
 * so far, with st->capped set (a caller that can resume from what it read
 * takes it so). On an error erpread_run returns -1 with the reason and the
 * pages handed out so far stay handed out.
 *
 * The rows of a page, for the short-page test and the seek marker, are the
 * array at rows_path ("" the answer itself); no array there: 0 rows. A
 * page whose rows are an empty array (nothing changed since the cursor,
 * or the end of the list) is not handed out: there is nothing in it to
 * transform or write.
 */
#ifndef FF_ERPREAD_H
#define FF_ERPREAD_H

#include <jansson.h>

#include "attrs.h"
#include "auth.h"
#include "flow.h"
#include "stage.h"
#include "strbuf.h"

typedef enum erpread_mode { ERPREAD_NONE, ERPREAD_OFFSET, ERPREAD_SEEK, ERPREAD_NEXT } erpread_mode;

/* "none", "offset", "seek", "next": 0, or -1. */
int erpread_mode_parse(const char *text, erpread_mode *out);
const char *erpread_mode_name(erpread_mode m);

typedef struct erpread_config {
    const flow_call *call;      /* url (an expression: a plain URL is one too), method, headers */
    int url_is_expr;            /* the URL holds ${...} */
    json_t *params;             /* extra params (an object) or NULL; borrowed */
    const char *rows_path;
    erpread_mode mode;
    long page_size;
    long start;                 /* offset: the first offset */
    const char *offset_param, *limit_param;
    const char *seek_param, *seek_path;
    int seek_in_answer;         /* seek_path is in the answer, not the last row */
    const char *next_path;
    const char *next_param;     /* next: "" or NULL: the value is a URL; else a token sent so */
    long max_requests;          /* 0: 1000 */
    int cap_ends_run;           /* reaching max_requests ends the run (st->capped), no error */
    const struct xmljson_options *xml;  /* the answers are XML, converted so (engines/xml); NULL: JSON */
} erpread_config;

/* One page: its 1-based number, the URL asked, the parsed answer
 * (borrowed), its text as JSON (the ERP's, or the XML answer's conversion;
 * borrowed) and its row count.
 * 0 to go on, -1 to stop the run with err. */
typedef int (*erpread_page_fn)(void *arg, long page, const char *url, json_t *answer, const strbuf *text,
                               size_t rows, strbuf *err);

typedef struct erpread_stats {
    long requests;
    long pages;
    long rows;
    long last_status;           /* the last answer's HTTP status (0: none) */
    int capped;                 /* cap_ends_run: the run stopped at max_requests */
} erpread_stats;

/* Reads the whole list. query: the run's query parameters in order
 * (borrowed); vars: the expression's attributes (borrowed; erpread adds
 * the http.query.* ones and token.erp to a copy). auth: the flow's ERP
 * session (NULL: none). 0 when every page was read and handed out, -1
 * with err (a request failed, a non-2xx answer, malformed JSON, a paging
 * guard, or fn said stop). st (may be NULL) gets the counts. */
int erpread_run(stage_ctx *c, const flow *f, auth_session *auth, const erpread_config *cfg, const attrs *query,
                const attrs *vars, erpread_page_fn fn, void *arg, erpread_stats *st, strbuf *err);

/* The first page's request URL, nothing sent (flowctl preview, tests):
 * 0, or -1 with err. */
int erpread_first_url(const erpread_config *cfg, const attrs *query, const attrs *vars, const char *token,
                      strbuf *url, strbuf *err);

/* Appends in, a URL as an expression gave it, encoded as OkHttp's HttpUrl
 * sends it (see above). */
void erpread_encode_url(const char *in, strbuf *out);
/* Appends "name=value" to url after '?' or '&', both encoded for a query. */
void erpread_add_param(strbuf *url, const char *name, const char *value);

#endif
