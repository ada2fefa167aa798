/*
 * auth: logging in to a flow's systems (Omnitron, the ERP) and handing out
 * their tokens.
 *
 * An auth_session is one worker's view of one system of one flow: it hands
 * the HTTP client the header to send (auth_header_fn) and logs in when
 * there is no token or the last one got a 401. Tokens are shared by every
 * replica through the store, under "omnitron:<flow>" and "erp:<flow>", and
 * cached in the process for a few seconds per flow (any number of flows).
 *
 * A login answered with a 4xx pauses that login for every replica (the
 * flow's omnitron.login_backoff / erp.login.backoff, doubled per refusal in
 * a row, up to the max_backoff): meanwhile the session fails at once with
 * "<ERP|Omnitron> login failed: <status> <answer excerpt> (login paused for
 * N s after a refused login)", as the refusal itself fails with
 * "<ERP|Omnitron> login failed: <status> <answer excerpt>". Either way the
 * session's stage_ctx gets login_refused = the status (stage.h): the
 * record's failure carries it and does not count as an attempt (parking.h).
 */
#ifndef FF_AUTH_H
#define FF_AUTH_H

#include "flow.h"
#include "stage.h"
#include "strbuf.h"

typedef struct auth_session {
    stage_ctx *c;
    const flow *f;
    const flow_auth *a;
    const char *name;          /* store token name: "omnitron:<flow>" / "erp:<flow>" */
    strbuf used;               /* the header handed out last */
} auth_session;

/* erp: 1 for the flow's ERP login, 0 for Omnitron's. Release with auth_release. */
void auth_init(auth_session *sa, stage_ctx *c, const flow *f, int erp);
void auth_release(auth_session *sa);
/* The http_auth_fn of a session (ctx is an auth_session): the full header
 * line into header; force logs in again. 0 or -1 with err. */
int auth_header_fn(void *ctx, int force, strbuf *header, strbuf *err);
/* The bare token (for the token.omnitron / token.erp attributes); 0 or -1. */
int auth_token(auth_session *sa, strbuf *token, strbuf *err);
/* Sets token.omnitron (and token.erp when the flow logs in to the ERP),
 * fresh from the token store, for a script run. */
void auth_script_tokens(stage_ctx *c, const flow *f, attrs *a);

#endif
