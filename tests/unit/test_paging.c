/*
 * test_paging: the paging module (common/paging.h) fed with answers made
 * here: the URLs it asks for in each mode, where a pass ends, the guards
 * (a repeated page, a next link followed twice, records without ids, the
 * request cap) and the passes over a list that shrinks while it is read.
 */
#include "paging.h"
#include "jsontext.h"
#include "unit.h"

#include <stdlib.h>
#include <string.h>

#define BASE "http://omni:8000"

/* A DRF page of ids [from, to), with next when more is said to follow. */
static json_t *page_of(int from, int to, const char *next, long count)
{
    json_t *r = json_array();
    for (int i = from; i < to; i++)
        json_array_append_new(r, json_pack("{s:i,s:s}", "pk", i, "number", "N"));
    json_t *a = json_pack("{s:o,s:I}", "results", r, "count", (json_int_t)count);
    json_object_set_new(a, "next", next ? json_string(next) : json_null());
    return a;
}

static int ids_of(json_t *fresh, int *out, int max)
{
    size_t i;
    json_t *it;
    int n = 0;
    json_array_foreach(fresh, i, it)
        if (n < max)
            out[n++] = (int)json_integer_value(json_object_get(it, "pk"));
    return n;
}

static void test_keyset(void)
{
    paging p;
    strbuf url = STRBUF_INIT;
    attrs v = ATTRS_INIT;
    attrs_set(&v, "channels", "1,2");
    paging_init(&p, PAGING_KEYSET, BASE, "/o/?c={channels}&id__gt={after}&limit={limit}", 3, 0, 0);
    CHECK_INT(paging_next(&p, &v, &url), 1);
    CHECK_STR(url.buf, BASE "/o/?c=1,2&id__gt=0&limit=3");
    json_t *a = page_of(1, 4, "x", 5), *f = paging_feed(&p, a);
    CHECK_INT((int)json_array_size(f), 3);
    json_decref(f);
    json_decref(a);
    CHECK_INT(paging_next(&p, &v, &url), 1);
    CHECK_STR(url.buf, BASE "/o/?c=1,2&id__gt=3&limit=3");
    /* a short answer whose next is null ends the list */
    a = page_of(4, 6, NULL, 5);
    f = paging_feed(&p, a);
    CHECK_INT((int)json_array_size(f), 2);
    json_decref(f);
    json_decref(a);
    CHECK_INT(paging_next(&p, &v, &url), 0);
    CHECK_STR(p.error.buf, "");
    CHECK_INT(p.listed, 5);
    CHECK_INT(p.requests, 2);
    CHECK_INT(p.count, 5);
    paging_release(&p);
    attrs_release(&v);
    strbuf_release(&url);
}

/* A list that ignores id__gt answers page 1 again: stopped, nothing of the
 * repeated page handed out. */
static void test_keyset_repeated_page(void)
{
    paging p;
    strbuf url = STRBUF_INIT;
    paging_init(&p, PAGING_KEYSET, BASE, "/o/?id__gt={after}&limit={limit}", 3, 0, 0);
    paging_next(&p, NULL, &url);
    json_t *a = page_of(1, 4, "x", 9), *f = paging_feed(&p, a);
    json_decref(f);
    paging_next(&p, NULL, &url);
    f = paging_feed(&p, a);
    CHECK(f == NULL);
    CHECK(strstr(p.error.buf, "already read in this pass (ids 1 to 3)") != NULL);
    CHECK(strstr(p.error.buf, "ignore {after}") != NULL);
    CHECK_INT(paging_next(&p, NULL, &url), 0);
    json_decref(a);
    paging_release(&p);
    strbuf_release(&url);
}

/* Page numbers over a list that shrinks while it is read (ids 1..6, page
 * size 2; after page 1 is read, 1 and 2 are sent and drop out, so page 2
 * holds 5, 6 and 3, 4 are skipped by the first pass): the second pass from
 * page 1 finds them, the third finds nothing new and ends the list. A short
 * page with a next link is not the end (a capped limit). */
static void test_page_shrinking(void)
{
    paging p;
    strbuf url = STRBUF_INIT;
    int ids[8], n;
    paging_init(&p, PAGING_PAGE, BASE, "/o/?page={page}&limit={limit}", 2, 0, 0);
    paging_next(&p, NULL, &url);
    CHECK_STR(url.buf, BASE "/o/?page=1&limit=2");
    json_t *a = page_of(1, 3, "p2", 6), *f = paging_feed(&p, a);
    json_decref(f);
    json_decref(a);
    paging_next(&p, NULL, &url);
    CHECK_STR(url.buf, BASE "/o/?page=2&limit=2");
    a = page_of(5, 7, NULL, 4);   /* 1, 2 gone: page 2 is 5, 6; the end */
    f = paging_feed(&p, a);
    json_decref(f);
    json_decref(a);
    CHECK_INT(paging_next(&p, NULL, &url), 1);   /* pass 2 */
    CHECK_STR(url.buf, BASE "/o/?page=1&limit=2");
    CHECK_INT(p.pass, 2);
    a = page_of(3, 4, "p2", 2);   /* a capped, short page: next decides */
    f = paging_feed(&p, a);
    n = ids_of(f, ids, 8);
    CHECK_INT(n, 1);
    CHECK_INT(ids[0], 3);
    json_decref(f);
    json_decref(a);
    CHECK_INT(paging_next(&p, NULL, &url), 1);
    CHECK_STR(url.buf, BASE "/o/?page=2&limit=2");
    a = page_of(4, 5, NULL, 2);
    f = paging_feed(&p, a);
    CHECK_INT((int)json_array_size(f), 1);
    json_decref(f);
    json_decref(a);
    CHECK_INT(paging_next(&p, NULL, &url), 1);   /* pass 3: nothing new, the end */
    a = page_of(5, 7, NULL, 2);   /* 5, 6 still listed (in flight) */
    f = paging_feed(&p, a);
    CHECK_INT((int)json_array_size(f), 0);
    json_decref(f);
    json_decref(a);
    CHECK_INT(paging_next(&p, NULL, &url), 0);
    CHECK_STR(p.error.buf, "");
    paging_release(&p);
    strbuf_release(&url);
}

/* next links: relative ones resolved against the request URL (path kept,
 * the query replaced, not doubled); a link already followed stops the run. */
static void test_next_links(void)
{
    paging p;
    strbuf url = STRBUF_INIT;
    paging_init(&p, PAGING_NEXT, BASE "/omni", "/api/o/?limit={limit}", 2, 0, 0);
    paging_next(&p, NULL, &url);
    CHECK_STR(url.buf, BASE "/omni/api/o/?limit=2");
    json_t *a = page_of(1, 3, "?limit=2&cursor=abc", 9), *f = paging_feed(&p, a);
    json_decref(f);
    json_decref(a);
    paging_next(&p, NULL, &url);
    CHECK_STR(url.buf, BASE "/omni/api/o/?limit=2&cursor=abc");
    a = page_of(3, 5, "http://other:9/o/?cursor=def", 9);
    f = paging_feed(&p, a);
    json_decref(f);
    json_decref(a);
    paging_next(&p, NULL, &url);
    CHECK_STR(url.buf, "http://other:9/o/?cursor=def");
    a = page_of(5, 7, "http://other:9/o/?cursor=def", 9);   /* points at itself */
    f = paging_feed(&p, a);
    CHECK(f == NULL || json_array_size(f) == 2);
    json_decref(f);
    json_decref(a);
    CHECK(strstr(p.error.buf, "was followed already in this pass") != NULL);
    CHECK_INT(paging_next(&p, NULL, &url), 0);
    paging_release(&p);
    strbuf_release(&url);
}

static void test_cap_and_ids(void)
{
    paging p;
    strbuf url = STRBUF_INIT;
    paging_init(&p, PAGING_OFFSET, BASE, "/o/?offset={offset}&limit={limit}", 2, 2, 0);
    for (int i = 0; i < 2; i++) {
        CHECK_INT(paging_next(&p, NULL, &url), 1);
        json_t *a = page_of(1 + 2 * i, 3 + 2 * i, "more", 99), *f = paging_feed(&p, a);
        json_decref(f);
        json_decref(a);
    }
    CHECK_STR(url.buf, BASE "/o/?offset=2&limit=2");
    CHECK_INT(paging_next(&p, NULL, &url), 0);
    CHECK(strstr(p.error.buf, "stopped after 2 list requests") != NULL);
    paging_release(&p);
    /* keyset records without ids cannot be paged past */
    paging_init(&p, PAGING_KEYSET, BASE, "/o/?id__gt={after}", 2, 0, 0);
    paging_next(&p, NULL, &url);
    json_t *a = json_pack("{s:[{s:s},{s:s}],s:s}", "results", "number", "A", "number", "B", "next", "x");
    CHECK(paging_feed(&p, a) == NULL);
    CHECK(strstr(p.error.buf, "have no \"pk\" or \"id\"") != NULL);
    json_decref(a);
    paging_release(&p);
    strbuf err = STRBUF_INIT;
    paging_mode m;
    CHECK_INT(paging_mode_parse("offset", &m), 0);
    CHECK_INT(m, PAGING_OFFSET);
    CHECK_INT(paging_mode_parse("cursor", &m), -1);
    CHECK_INT(paging_check_template(PAGING_PAGE, "/o/?id__gt={after}", &err), -1);
    CHECK_STR(err.buf, "paging \"page\" needs the {page} placeholder");
    CHECK_INT(paging_check_template(PAGING_NEXT, "/o/", &err), 0);
    strbuf_release(&err);
    strbuf_release(&url);
}

/* DRF answers 404 "Invalid page." past the end: a page list that shrank
 * under the page number ends the pass (and the next pass finds what the
 * shift skipped); on a pass's first page it is an error. */
static void test_page_past_end(void)
{
    paging p;
    strbuf url = STRBUF_INIT;
    paging_init(&p, PAGING_PAGE, BASE, "/o/?page={page}", 2, 0, 0);
    CHECK_INT(paging_past_end(&p), 0);   /* page 1 not there: an error for the caller */
    paging_next(&p, NULL, &url);
    json_t *a = page_of(1, 3, "p2", 4), *f = paging_feed(&p, a);
    json_decref(f);
    json_decref(a);
    paging_next(&p, NULL, &url);
    CHECK_STR(url.buf, BASE "/o/?page=2");
    CHECK_INT(paging_past_end(&p), 1);   /* 1, 2 were sent: there is no page 2 now */
    CHECK_INT(paging_next(&p, NULL, &url), 1);
    CHECK_STR(url.buf, BASE "/o/?page=1");   /* the next pass */
    a = page_of(3, 5, NULL, 2);
    f = paging_feed(&p, a);
    CHECK_INT((int)json_array_size(f), 2);
    json_decref(f);
    json_decref(a);
    CHECK_INT(paging_next(&p, NULL, &url), 1);   /* one more pass: nothing new, the end */
    a = page_of(3, 5, NULL, 2);
    f = paging_feed(&p, a);
    json_decref(f);
    json_decref(a);
    CHECK_INT(paging_next(&p, NULL, &url), 0);
    CHECK_STR(p.error.buf, "");
    paging_release(&p);
    /* keyset: never "past the end" */
    paging_init(&p, PAGING_KEYSET, BASE, "/o/?id__gt={after}", 2, 0, 0);
    CHECK_INT(paging_past_end(&p), 0);
    paging_release(&p);
    strbuf_release(&url);
}

int main(void)
{
    RUN(test_keyset);
    RUN(test_keyset_repeated_page);
    RUN(test_page_shrinking);
    RUN(test_next_links);
    RUN(test_cap_and_ids);
    RUN(test_page_past_end);
    return unit_done();
}
