/*
 * test_auth: tokens handed out per flow (common/auth.h), against a private
 * redis-server.
 *
 * A fleet runs many flows; each flow's calls must carry that flow's token,
 * whatever the number of flows (the process-wide cache once had 64 fixed
 * slots, and the 65th flow's token was written under the 64th's name).
 */
#include "auth.h"
#include "clock.h"
#include "store.h"
#include "testsupport.h"
#include "unit.h"

#include <stdlib.h>

#define NFLOWS 150

static store *st;

/* A flow that logs in to Omnitron, named f<i>, with no credentials needed:
 * its token is put in the store by the test. */
static void make_flow(flow *f, int i)
{
    strbuf n = STRBUF_INIT;
    memset(f, 0, sizeof *f);
    strbuf_addf(&n, "f%d", i);
    f->name = strbuf_detach(&n, NULL);
    f->omnitron_auth.kind = FLOW_AUTH_OMNITRON;
    f->omnitron_auth.header_name = "Authorization";
    f->omnitron_auth.header_prefix = "Token ";
    f->omnitron_auth.token_ttl_ms = 60000;
}

/* The header the flow's session hands out, into out. */
static int header_of(stage_ctx *c, const flow *f, strbuf *out)
{
    auth_session sa;
    strbuf err = STRBUF_INIT;
    auth_init(&sa, c, f, 0);
    int rc = auth_header_fn(&sa, 0, out, &err);
    auth_release(&sa);
    strbuf_release(&err);
    return rc;
}

static void test_many_flows_own_tokens(void)
{
    static flow flows[NFLOWS];
    stage_ctx c = { .service = "test", .store = st };
    strbuf v = STRBUF_INIT, h = STRBUF_INIT, want = STRBUF_INIT, err = STRBUF_INIT;
    for (int i = 0; i < NFLOWS; i++) {
        make_flow(&flows[i], i);
        strbuf_setf(&v, "%lld Authorization: Token tok-%d", (long long)clock_wall_ms(), i);
        strbuf_setf(&want, "omnitron:f%d", i);
        CHECK_INT(store_token_set(st, want.buf, v.buf, 60000, &err), 0);
    }
    /* every flow once (fills the cache), then every flow again (from the
     * cache): each time its own token */
    int wrong = 0;
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < NFLOWS; i++) {
            strbuf_setf(&want, "Authorization: Token tok-%d", i);
            if (header_of(&c, &flows[i], &h) < 0 || strcmp(h.buf, want.buf) != 0) {
                if (!wrong++)
                    fprintf(stderr, "  round %d flow f%d got \"%s\", want \"%s\"\n", round, i, h.buf, want.buf);
            }
        }
    CHECK_INT(wrong, 0);
    for (int i = 0; i < NFLOWS; i++)
        free(flows[i].name);
    strbuf_release(&v);
    strbuf_release(&h);
    strbuf_release(&want);
    strbuf_release(&err);
}

int main(void)
{
    char sock[64];
    snprintf(sock, sizeof sock, "/tmp/ff-test-auth-%d.sock", (int)getpid());
    pid_t redis = ts_redis_start(sock, ts_free_port());
    strbuf err = STRBUF_INIT;
    CHECK(redis > 0);
    st = redis > 0 ? store_open(sock, "t:", &err) : NULL;
    CHECK(st != NULL);
    if (st)
        RUN(test_many_flows_own_tokens);
    if (st)
        store_close(st);
    ts_redis_stop(&redis, sock);
    strbuf_release(&err);
    return unit_done();
}
