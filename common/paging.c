/*
 * paging.c: see paging.h. The sets of ids and URLs are small open-addressing
 * hash sets of strings, private to this file; a run's id set holds one entry
 * per record listed (a few hundred bytes per thousand orders).
 */
#include "paging.h"

#include <stdlib.h>
#include <string.h>

#include "flow.h"
#include "http.h"
#include "jsonpath.h"
#include "xalloc.h"

/* ---- a set of strings ---- */

struct paging_set {
    char **slot;
    size_t cap, n;
};

static paging_set *set_new(void)
{
    paging_set *s = xcalloc(1, sizeof *s);
    s->cap = 64;
    s->slot = xcalloc(s->cap, sizeof *s->slot);
    return s;
}

static void set_free(paging_set *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->cap; i++)
        free(s->slot[i]);
    free(s->slot);
    free(s);
}

static void set_clear(paging_set *s)
{
    for (size_t i = 0; i < s->cap; i++) {
        free(s->slot[i]);
        s->slot[i] = NULL;
    }
    s->n = 0;
}

static size_t hash(const char *k)
{
    size_t h = 1469598103934665603ULL;
    for (; *k; k++)
        h = (h ^ (unsigned char)*k) * 1099511628211ULL;
    return h;
}

static int set_has(const paging_set *s, const char *k)
{
    for (size_t i = hash(k) & (s->cap - 1); s->slot[i]; i = (i + 1) & (s->cap - 1))
        if (strcmp(s->slot[i], k) == 0)
            return 1;
    return 0;
}

/* 1 added, 0 there already. */
static int set_add(paging_set *s, const char *k)
{
    if (set_has(s, k))
        return 0;
    if ((s->n + 1) * 2 > s->cap) {
        paging_set big = { xcalloc(s->cap * 2, sizeof(char *)), s->cap * 2, 0 };
        for (size_t i = 0; i < s->cap; i++)
            if (s->slot[i]) {
                size_t j = hash(s->slot[i]) & (big.cap - 1);
                while (big.slot[j])
                    j = (j + 1) & (big.cap - 1);
                big.slot[j] = s->slot[i];
            }
        free(s->slot);
        s->slot = big.slot;
        s->cap = big.cap;
    }
    size_t i = hash(k) & (s->cap - 1);
    while (s->slot[i])
        i = (i + 1) & (s->cap - 1);
    s->slot[i] = xstrdup(k);
    s->n++;
    return 1;
}

/* ---- modes ---- */

static const char *const MODE_NAMES[] = { "keyset", "page", "offset", "next" };
static const char *const MODE_PLACEHOLDER[] = { "{after}", "{page}", "{offset}", NULL };

int paging_mode_parse(const char *text, paging_mode *out)
{
    for (int i = 0; i < 4; i++)
        if (text && strcmp(text, MODE_NAMES[i]) == 0) {
            *out = (paging_mode)i;
            return 0;
        }
    return -1;
}

const char *paging_mode_name(paging_mode m)
{
    return MODE_NAMES[m];
}

int paging_check_template(paging_mode m, const char *tmpl, strbuf *err)
{
    if (MODE_PLACEHOLDER[m] && !strstr(tmpl, MODE_PLACEHOLDER[m])) {
        strbuf_seterr(err, "paging \"%s\" needs the %s placeholder", MODE_NAMES[m], MODE_PLACEHOLDER[m]);
        return -1;
    }
    return 0;
}

void paging_init(paging *p, paging_mode mode, const char *base, const char *tmpl, long page_size,
                 long max_requests, int max_passes)
{
    memset(p, 0, sizeof *p);
    p->mode = mode;
    p->base = xstrdup(base);
    p->tmpl = xstrdup(tmpl);
    p->page_size = page_size > 0 ? page_size : 100;
    p->max_requests = max_requests > 0 ? max_requests : 10000;
    p->max_passes = mode == PAGING_KEYSET ? 1 : max_passes > 0 ? max_passes : 20;
    p->count = -1;
    p->pass = 1;
    p->page = 1;
    strbuf_init(&p->error, 0);
    strbuf_init(&p->after, 0);
    strbuf_init(&p->next, 0);
    strbuf_init(&p->last_url, 0);
    strbuf_addstr(&p->after, "0");
    p->run_ids = set_new();
    p->pass_ids = set_new();
    p->pass_urls = set_new();
}

void paging_release(paging *p)
{
    free(p->base);
    free(p->tmpl);
    strbuf_release(&p->error);
    strbuf_release(&p->after);
    strbuf_release(&p->next);
    strbuf_release(&p->last_url);
    set_free(p->run_ids);
    set_free(p->pass_ids);
    set_free(p->pass_urls);
}


void paging_fail(paging *p, const char *err)
{
    if (!p->error.len)
        strbuf_addstr(&p->error, err);
    p->done = 1;
}


/* Starts the next pass from the first page. */
static void new_pass(paging *p)
{
    p->pass++;
    p->pass_fresh = 0;
    p->page = 1;
    p->offset = 0;
    strbuf_reset(&p->next);
    set_clear(p->pass_ids);
    set_clear(p->pass_urls);
}

/* The pass is over: another one, or the end of the list. */
static void end_pass(paging *p)
{
    if (p->pass_fresh == 0 || p->mode == PAGING_KEYSET) {
        p->done = 1;
    } else if (p->pass >= p->max_passes) {
        strbuf_setf(&p->error, "the list still held records not read before after %d passes (paging \"%s\"): "
                               "stopped; the next run reads on",
                    p->pass, MODE_NAMES[p->mode]);
        p->done = 1;
    } else {
        new_pass(p);
    }
}

int paging_past_end(paging *p)
{
    if (p->done || p->mode == PAGING_KEYSET || p->page <= 1)
        return 0;
    end_pass(p);
    return 1;
}

int paging_next(paging *p, const attrs *vars, strbuf *url)
{
    if (p->done)
        return 0;
    if (p->requests >= p->max_requests) {
        strbuf_setf(&p->error, "stopped after %ld list requests (the most a run makes): the next run reads on",
                    p->requests);
        p->done = 1;
        return 0;
    }
    strbuf_reset(url);
    if (p->mode == PAGING_NEXT && p->next.len) {
        strbuf_add(url, (p->next).buf, (p->next).len);
    } else {
        attrs v = ATTRS_INIT;
        strbuf num = STRBUF_INIT;
        if (vars)
            attrs_copy(&v, vars);
        attrs_set(&v, "after", p->after.buf);
        strbuf_setf(&num, "%ld", p->page_size);
        attrs_set(&v, "limit", num.buf);
        strbuf_setf(&num, "%ld", p->page);
        attrs_set(&v, "page", num.buf);
        strbuf_setf(&num, "%ld", p->offset);
        attrs_set(&v, "offset", num.buf);
        strbuf_addstr(url, p->base);
        flow_fill_path(url, p->tmpl, &v);
        attrs_release(&v);
        strbuf_release(&num);
    }
    strbuf_reset(&p->last_url);
    strbuf_add(&p->last_url, url->buf, url->len);
    p->requests++;
    return 1;
}

/* An item's id as text ("" when it has none). */
static void item_id(json_t *it, strbuf *out)
{
    json_t *id = json_object_get(it, "pk");
    strbuf_reset(out);
    if (!id)
        id = json_object_get(it, "id");
    jsonpath_id_text(id, out);
}

json_t *paging_feed(paging *p, json_t *answer)
{
    json_t *results = json_is_array(answer) ? answer : json_object_get(answer, "results");
    json_t *next = json_is_object(answer) ? json_object_get(answer, "next") : NULL;
    strbuf id = STRBUF_INIT, first = STRBUF_INIT, last = STRBUF_INIT;
    size_t i, n = json_array_size(results), seen = 0, noid = 0;
    json_t *it;
    if (!json_is_array(results)) {
        strbuf_setf(&p->error, "%s: the answer is not a list (no \"results\" array)", p->last_url.buf);
        p->done = 1;
        return NULL;
    }
    if (p->count < 0 && json_is_integer(json_object_get(answer, "count")))
        p->count = (long)json_integer_value(json_object_get(answer, "count"));
    /* the guards first: nothing of a bad page is handed out */
    json_array_foreach(results, i, it) {
        item_id(it, &id);
        if (!id.len)
            noid++;
        else if (set_has(p->pass_ids, id.buf))
            seen++;
        if (i == 0)
            strbuf_add(&first, (id).buf, (id).len);
        strbuf_reset(&last);
        strbuf_add(&last, (id).buf, (id).len);
    }
    if (n > 0 && seen == n) {
        strbuf_setf(&p->error, "%s answered records already read in this pass (ids %s to %s): the list does not "
                               "page the way paging \"%s\" expects (does it ignore %s?); stopped before publishing them",
                    p->last_url.buf, first.buf, last.buf, MODE_NAMES[p->mode],
                    MODE_PLACEHOLDER[p->mode] ? MODE_PLACEHOLDER[p->mode] : "the next link");
        p->done = 1;
    } else if (p->mode == PAGING_KEYSET && n > 0 && noid == n) {
        strbuf_setf(&p->error, "%s: the records of a page have no \"pk\" or \"id\", so the next page cannot be asked "
                               "for (paging \"keyset\"); stopped",
                    p->last_url.buf);
        p->done = 1;
    }
    if (p->done) {
        strbuf_release(&id);
        strbuf_release(&first);
        strbuf_release(&last);
        return NULL;
    }
    set_add(p->pass_urls, p->last_url.buf);
    json_t *fresh = json_array();
    json_array_foreach(results, i, it) {
        item_id(it, &id);
        p->listed++;
        if (id.len) {
            set_add(p->pass_ids, id.buf);
            if (!set_add(p->run_ids, id.buf))
                continue;   /* handled earlier in this run */
            if (p->mode == PAGING_KEYSET) {
                strbuf_reset(&p->after);
                strbuf_add(&p->after, (id).buf, (id).len);
            }
        }
        p->pass_fresh++;
        json_array_append(fresh, it);
    }
    /* where the pass goes on: "next" decides when the answer has it */
    int end;
    if (next)
        end = json_is_null(next) || !json_is_string(next) || !json_string_length(next);
    else
        end = n < (size_t)p->page_size;
    if (!end && p->mode == PAGING_NEXT) {
        if (http_resolve_url(p->last_url.buf, json_string_value(next), &p->next) < 0) {
            strbuf_setf(&p->error, "%s: the next link \"%s\" is not a URL", p->last_url.buf, json_string_value(next));
            p->done = 1;
        } else if (set_has(p->pass_urls, p->next.buf)) {
            strbuf_setf(&p->error, "%s: the next link %s was followed already in this pass: the list loops; stopped",
                        p->last_url.buf, p->next.buf);
            p->done = 1;
        }
    }
    p->page++;
    p->offset += (long)n;
    if (end && !p->done)
        end_pass(p);
    strbuf_release(&id);
    strbuf_release(&first);
    strbuf_release(&last);
    return fresh;
}
