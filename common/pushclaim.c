/*
 * pushclaim.c: see pushclaim.h. One key per push, "push:<run id>", whose
 * first value wins; both claims are the same call with the other word.
 */
#include "pushclaim.h"

#include <string.h>

/* 1 the key holds word (set now or before), 0 it holds the other, -1 error. */
static int claim(store *s, const char *run_id, const char *word, int64_t ttl_ms, strbuf *err)
{
    strbuf k = STRBUF_INIT, holder = STRBUF_INIT;
    strbuf_addf(&k, "push:%s", run_id ? run_id : "");
    /* kept past any late delivery */
    int r = store_claim(s, k.buf, word, ttl_ms > PUSHCLAIM_MIN_MS ? ttl_ms : PUSHCLAIM_MIN_MS, &holder, err);
    if (r == 0)
        r = strcmp(holder.buf, word) == 0;
    strbuf_release(&k);
    strbuf_release(&holder);
    return r;
}

int pushclaim_take(store *s, const char *run_id, int64_t ttl_ms, strbuf *err)
{
    return claim(s, run_id, "taken", ttl_ms, err);
}

int pushclaim_refuse(store *s, const char *run_id, int64_t ttl_ms, strbuf *err)
{
    return claim(s, run_id, "refused", ttl_ms, err);
}
