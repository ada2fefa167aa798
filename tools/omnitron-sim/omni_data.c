/*
 * omni_data.c: the Omnitron simulator's generated orders and their JSON.
 *
 * Orders, items and discount items are small C structs in three arrays,
 * indexed by pk - 1 (pks are dense, from 1). Only what the API can change
 * is stored: status, is_send, mappings, modification time and the fields a
 * bulk status update wrote (a jansson object per touched item). Everything
 * else (customer, addresses, channel, product, dates, names) is derived on
 * the fly from a per-order hash of the seed and pk, and the JSON text is
 * written straight into a strbuf: no jansson tree per order, so a million
 * orders take a few tens of MB and answering costs a few microseconds.
 *
 * The list filters (is_send, channel, status) are answered from an index
 * instead of a scan: every order is in exactly one class, keyed by its
 * (is_send, channel, status); a class is a bitmap over order indices plus a
 * Fenwick tree of its words' popcounts. The classes a filter accepts are
 * disjoint, so the matches in an id range are counted by summing their
 * ranks, and the k-th match is found by descending all their Fenwick trees
 * together: O(classes * log N) per page, whatever N is (the number of
 * classes depends on the channels and statuses in use, not on N). Moving an
 * order between classes (PATCH is_send, a status change) is O(log N). The
 * counters and the text of the control state are kept the same way: counts
 * as the data changes, and the sent_counts/order_mappings text per block of
 * 1024 orders, re-rendered only for blocks touched since the last state.
 *
 * Shapes follow the Omnitron objects of seed 004 (order, order item,
 * product, channel, customer, price list, stock list); addresses follow
 * Omnitron's address object (country/city/township/district inline).
 * Money is a string with two decimals; statuses are strings ("400").
 */
#include "omni.h"
#include "xalloc.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "jsontext.h"

#define NPRODUCTS 97
#define BASE_EPOCH 1735689600LL   /* 2025-01-01T00:00:00Z */

static const char *const first_names[] = { "Ayşe", "Mehmet", "Zeynep", "Ahmet", "Elif", "Mustafa",
                                           "Fatma", "Emre", "Deniz", "Can", "Selin", "Burak" };
static const char *const last_names[] = { "Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Yıldız",
                                          "Aydın", "Öztürk", "Arslan", "Doğan" };
static const char *const cities[] = { "İstanbul", "Ankara", "İzmir", "Bursa", "Antalya", "Eskişehir" };
static const char *const townships[] = { "Kadıköy", "Çankaya", "Karşıyaka", "Nilüfer", "Muratpaşa", "Tepebaşı" };
static const char *const districts[] = { "Moda", "Kızılay", "Bostanlı", "Görükle", "Lara", "Bağlar" };
static const char *const colors[] = { "Siyah", "Beyaz", "Lacivert", "Kırmızı", "Yeşil", "Gri", "Bej" };
static const char *const nouns[] = { "Çorap", "Tişört", "Gömlek", "Kazak", "Pantolon", "Ceket",
                                     "Elbise", "Etek", "Şort", "Mont", "Sweatshirt" };
static const char *const sizes[] = { "XS", "S", "M", "L", "XL" };
static const char *const cargo[] = { "yurtici", "aras", "mng", "ups" };
#define NELEM(a) ((int)(sizeof(a) / sizeof((a)[0])))

static unsigned long long mix(unsigned long long x)
{
    return simhttp_rand_next(&x);
}

long long omni_now_us(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (long long)tv.tv_sec * 1000000LL + tv.tv_usec;
}

static void add_time(strbuf *sb, long long us)
{
    time_t t = (time_t)(us / 1000000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strbuf_addf(sb, "\"%04d-%02d-%02dT%02d:%02d:%02d.%06dZ\"", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(us % 1000000));
}

static void add_money(strbuf *sb, long long cents)
{
    const char *sign = cents < 0 ? "-" : "";
    if (cents < 0)
        cents = -cents;
    strbuf_addf(sb, "\"%s%lld.%02lld\"", sign, cents / 100, cents % 100);
}

static void add_uuid(strbuf *sb, unsigned long long h)
{
    unsigned long long a = mix(h), b = mix(a);
    strbuf_addf(sb, "\"%08llx-%04llx-4%03llx-a%03llx-%012llx\"", a >> 32, (a >> 16) & 0xffff,
                a & 0xfff, b >> 52, b & 0xffffffffffffull);
}

static const char *status_display(int st)
{
    switch (st) {
    case 50: return "cancellation_waiting";
    case 100: return "cancelled";
    case 200: return "waiting";
    case 300: return "payment_waiting";
    case 350: return "confirmation_waiting";
    case 400: return "approved";
    case 450: return "preparing";
    case 500: return "shipped";
    case 510: return "shipped_and_informed";
    case 520: return "ready_for_pickup";
    case 540: return "attempted_delivery";
    case 544: return "review_started";
    case 545: return "review_waiting";
    case 550: return "delivered";
    case 600: return "refunded";
    default: return "unknown";
    }
}

void omni_number(strbuf *sb, long long pk)
{
    strbuf_addf(sb, "ORD-%06lld", pk);
}

long long omni_number_pk(const omni_data *d, const char *number)
{
    if (strncmp(number, "ORD-", 4) != 0)
        return 0;
    const char *p = number + 4;
    long long pk = 0;
    int digits = 0;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (++digits > 12)
            return 0;
        pk = pk * 10 + (*p - '0');
    }
    if (*p || pk < 1 || pk > d->norders)
        return 0;
    char buf[32];
    snprintf(buf, sizeof(buf), "ORD-%06lld", pk);
    return strcmp(buf, number) == 0 ? pk : 0;
}

int omni_parse_channels(const char *s, omni_config *cfg)
{
    int n = 0;
    while (*s) {
        char *end;
        long v = strtol(s, &end, 10);
        if (end == s || v <= 0 || v > 1000000000 || n >= OMNI_MAX_CHANNELS)
            return -1;
        cfg->channels[n++] = (int)v;
        s = end;
        if (*s == ',')
            s++;
        else if (*s)
            return -1;
    }
    if (!n)
        return -1;
    cfg->nchannels = n;
    return 0;
}

static long long product_price(const omni_data *d, int p)
{
    unsigned long long h = mix(d->cfg.seed ^ (0x9d0c0000ull + (unsigned long long)p));
    return 4990 + (long long)(h % 300) * 500;   /* 49.90 .. 1544.90 */
}

/* ---- the order index ---- */

struct omni_class {
    int is_send, channel, status;
    long long count;
    unsigned long long *bits;    /* bit i of word i / 64: order index i is here */
    int *fen;                    /* Fenwick tree (1-based) of the words' popcounts */
};

#define STATE_BLOCK 1024         /* orders per block of cached state text */

struct omni_state_cache {
    pthread_mutex_t lock;        /* readers of the data share it: rendering is a write */
    int nblocks;
    unsigned char *dirty;        /* block touched since rendered */
    strbuf *counts, *maps;       /* per block, members without braces */
};

static int in_list(int v, const int *list, int n)
{
    for (int i = 0; i < n; i++)
        if (list[i] == v)
            return 1;
    return 0;
}

static int is_open(int is_send, int status)
{
    return !is_send && status != 100;
}

/* The class of (is_send, channel, status); -1 when there is none and not
 * create. Creating may move d->classes. */
static int class_find(omni_data *d, int is_send, int channel, int status, int create)
{
    for (int c = 0; c < d->nclasses; c++) {
        const omni_class *k = &d->classes[c];
        if (k->is_send == is_send && k->channel == channel && k->status == status)
            return c;
    }
    if (!create)
        return -1;
    if (d->nclasses == d->class_cap) {
        d->class_cap = d->class_cap ? d->class_cap * 2 : 8;
        d->classes = xrealloc(d->classes, (size_t)d->class_cap * sizeof(omni_class));
    }
    omni_class *k = &d->classes[d->nclasses];
    k->is_send = is_send;
    k->channel = channel;
    k->status = status;
    k->count = 0;
    k->bits = xcalloc((size_t)d->nwords + 1, sizeof(*k->bits));
    k->fen = xcalloc((size_t)d->nwords + 1, sizeof(*k->fen));
    return d->nclasses++;
}

/* Members of k with index below p. */
static long long class_rank(const omni_class *k, int p)
{
    long long n = 0;
    int w = p >> 6;
    for (int i = w; i > 0; i -= i & -i)
        n += k->fen[i];
    if (p & 63)
        n += __builtin_popcountll(k->bits[w] & ((1ull << (p & 63)) - 1));
    return n;
}

static void class_put(const omni_data *d, omni_class *k, int idx, int on)
{
    unsigned long long bit = 1ull << (idx & 63);
    int w = idx >> 6, delta = on ? 1 : -1;
    if (on)
        k->bits[w] |= bit;
    else
        k->bits[w] &= ~bit;
    for (int i = w + 1; i <= d->nwords; i += i & -i)
        k->fen[i] += delta;
    k->count += delta;
}

static void index_build(omni_data *d)
{
    d->nwords = (d->norders + 63) / 64;
    for (int i = 0; i < d->norders; i++) {
        const omni_order *o = &d->orders[i];
        int c = class_find(d, o->is_send, o->channel, o->status, 1);   /* may move d->classes */
        omni_class *k = &d->classes[c];
        k->bits[i >> 6] |= 1ull << (i & 63);
        k->count++;
        d->sent += o->is_send;
        d->unsent_open += is_open(o->is_send, o->status);
    }
    for (int c = 0; c < d->nclasses; c++) {
        omni_class *k = &d->classes[c];
        for (int i = 1; i <= d->nwords; i++)
            k->fen[i] += __builtin_popcountll(k->bits[i - 1]);
        for (int i = 1; i <= d->nwords; i++) {
            int j = i + (i & -i);
            if (j <= d->nwords)
                k->fen[j] += k->fen[i];
        }
    }
}

void omni_order_set(omni_data *d, int idx, int is_send, int status)
{
    omni_order *o = &d->orders[idx];
    if (o->is_send == is_send && o->status == status)
        return;
    int to = class_find(d, is_send, o->channel, status, 1);
    int from = class_find(d, o->is_send, o->channel, o->status, 0);
    class_put(d, &d->classes[from], idx, 0);
    class_put(d, &d->classes[to], idx, 1);
    d->sent += is_send - o->is_send;
    d->unsent_open += is_open(is_send, status) - is_open(o->is_send, o->status);
    o->is_send = is_send;
    o->status = status;
}

void omni_match_init(omni_match *m, const omni_data *d, const omni_filter *f, int first, int end)
{
    m->d = d;
    m->cls = xmalloc(((size_t)d->nclasses + 1) * sizeof(int));
    m->ncls = 0;
    m->base = m->count = 0;
    for (int c = 0; c < d->nclasses; c++) {
        const omni_class *k = &d->classes[c];
        if (!k->count || (f->is_send >= 0 && k->is_send != f->is_send) ||
            (f->nch && !in_list(k->channel, f->ch, f->nch)) || (f->nst && !in_list(k->status, f->st, f->nst)) ||
            (f->has_ne && k->status == f->ne))
            continue;
        long long below = class_rank(k, first);
        m->cls[m->ncls++] = c;
        m->base += below;
        m->count += class_rank(k, end) - below;
    }
}

void omni_match_release(omni_match *m)
{
    free(m->cls);
    m->cls = NULL;
    m->ncls = 0;
}

/* Word w of the union of the matching classes. */
static unsigned long long match_word(const omni_match *m, int w)
{
    unsigned long long u = 0;
    for (int c = 0; c < m->ncls; c++)
        u |= m->d->classes[m->cls[c]].bits[w];
    return u;
}

int omni_match_index(const omni_match *m, long long r, int near, int step)
{
    const omni_data *d = m->d;
    if (near >= 0) {
        int w = near >> 6, b = near & 63;
        unsigned long long u = match_word(m, w);
        if (step > 0) {
            u = b == 63 ? 0 : u & (~0ull << (b + 1));
            if (u)
                return w * 64 + __builtin_ctzll(u);
            if (w + 1 < d->nwords && (u = match_word(m, w + 1)))
                return (w + 1) * 64 + __builtin_ctzll(u);
        } else {
            u &= (1ull << b) - 1;
            if (u)
                return w * 64 + 63 - __builtin_clzll(u);
            if (w > 0 && (u = match_word(m, w - 1)))
                return (w - 1) * 64 + 63 - __builtin_clzll(u);
        }
    }
    /* The word holding the match of global rank base + r: descend the
     * Fenwick trees of all the classes at once (their sum is the union's). */
    long long rem = m->base + r;
    int pos = 0, top = 1;
    while (top * 2 <= d->nwords)
        top *= 2;
    for (int s = d->nwords ? top : 0; s; s >>= 1) {
        if (pos + s > d->nwords)
            continue;
        long long n = 0;
        for (int c = 0; c < m->ncls; c++)
            n += d->classes[m->cls[c]].fen[pos + s];
        if (n <= rem) {
            pos += s;
            rem -= n;
        }
    }
    unsigned long long u = match_word(m, pos);
    while (rem-- > 0)
        u &= u - 1;
    return pos * 64 + __builtin_ctzll(u);
}

/* ---- the control state's text ---- */

void omni_order_touched(omni_data *d, int idx)
{
    d->state->dirty[idx / STATE_BLOCK] = 1;
}

void omni_state_text(const omni_data *d, strbuf *counts, strbuf *maps)
{
    omni_state_cache *sc = d->state;
    pthread_mutex_lock(&sc->lock);
    for (int b = 0; b < sc->nblocks; b++) {
        strbuf *bc = &sc->counts[b], *bm = &sc->maps[b];
        if (sc->dirty[b]) {
            strbuf_reset(bc);
            strbuf_reset(bm);
            int end = (b + 1) * STATE_BLOCK < d->norders ? (b + 1) * STATE_BLOCK : d->norders;
            for (int i = b * STATE_BLOCK; i < end; i++) {
                const omni_order *x = &d->orders[i];
                if (x->sent_count) {
                    strbuf_addstr(bc, bc->len ? ", \"" : "\"");
                    omni_number(bc, i + 1);
                    strbuf_addf(bc, "\": %u", x->sent_count);
                }
                if (x->map_code) {
                    strbuf_addstr(bm, bm->len ? ", \"" : "\"");
                    omni_number(bm, i + 1);
                    strbuf_addstr(bm, "\": \"");
                    strbuf_add_json_escaped(bm, x->map_code, strlen(x->map_code));
                    strbuf_addch(bm, '"');
                }
            }
            sc->dirty[b] = 0;
        }
        if (bc->len) {
            if (counts->len)
                strbuf_addstr(counts, ", ");
            strbuf_add(counts, bc->buf, bc->len);
        }
        if (bm->len) {
            if (maps->len)
                strbuf_addstr(maps, ", ");
            strbuf_add(maps, bm->buf, bm->len);
        }
    }
    pthread_mutex_unlock(&sc->lock);
}

static omni_state_cache *state_cache_new(int norders)
{
    omni_state_cache *sc = xcalloc(1, sizeof(*sc));
    pthread_mutex_init(&sc->lock, NULL);
    sc->nblocks = (norders + STATE_BLOCK - 1) / STATE_BLOCK;
    sc->dirty = xcalloc((size_t)sc->nblocks + 1, 1);
    sc->counts = xcalloc((size_t)sc->nblocks + 1, sizeof(strbuf));
    sc->maps = xcalloc((size_t)sc->nblocks + 1, sizeof(strbuf));
    for (int b = 0; b < sc->nblocks; b++) {
        strbuf_init(&sc->counts[b], 0);
        strbuf_init(&sc->maps[b], 0);
    }
    return sc;
}

static void state_cache_free(omni_state_cache *sc)
{
    for (int b = 0; b < sc->nblocks; b++) {
        strbuf_release(&sc->counts[b]);
        strbuf_release(&sc->maps[b]);
    }
    free(sc->dirty);
    free(sc->counts);
    free(sc->maps);
    pthread_mutex_destroy(&sc->lock);
    free(sc);
}

/* ---- the data set ---- */

omni_data *omni_data_new(const omni_config *cfg)
{
    omni_data *d = xcalloc(1, sizeof(*d));
    d->cfg = *cfg;
    int n = cfg->orders < 0 ? 0 : cfg->orders;
    d->norders = n;
    d->orders = xcalloc((size_t)n + 1, sizeof(omni_order));
    d->items = xcalloc((size_t)n * 4 + 1, sizeof(omni_item));
    d->discs = xcalloc((size_t)n * 2 + 1, sizeof(omni_disc));
    for (int i = 0; i < n; i++) {
        omni_order *o = &d->orders[i];
        long long pk = i + 1;
        o->h = mix(cfg->seed * 0x100000001b3ull ^ (unsigned long long)pk);
        o->channel = cfg->channels[i % cfg->nchannels];
        o->status = (cfg->canceled_every > 0 && pk % cfg->canceled_every == 0) ? 100 : 400;
        o->item_first = d->nitems;
        o->item_count = 1 + (int)(o->h % 4);
        long long total = 0;
        for (int k = 0; k < o->item_count; k++) {
            omni_item *it = &d->items[d->nitems++];
            unsigned long long ih = mix(o->h + (unsigned long long)k + 1);
            it->order = i;
            it->product = (int)(ih % NPRODUCTS);
            it->quantity = (ih >> 20) % 5 == 0 ? 2 : 1;
            it->status = o->status;
            it->price = product_price(d, it->product);
            total += it->price * it->quantity;
        }
        o->disc_first = d->ndiscs;
        o->disc_count = (int)((o->h >> 8) % 3);
        o->discount = 0;
        for (int k = 0; k < o->disc_count; k++) {
            omni_disc *ds = &d->discs[d->ndiscs++];
            ds->order = i;
            ds->kind = (int)((o->h >> (12 + k)) & 1);
            ds->amount = ds->kind ? total / 10 : (total > 2000 ? 1000 : total / 2);
            total -= ds->amount;
            o->discount += ds->amount;
        }
        o->shipping = total >= 50000 ? 0 : 2999;
        o->amount = total + o->shipping;
    }
    index_build(d);
    d->state = state_cache_new(n);
    return d;
}

void omni_data_free(omni_data *d)
{
    if (!d)
        return;
    for (int i = 0; i < d->norders; i++)
        free(d->orders[i].map_code);
    for (int i = 0; i < d->nitems; i++) {
        free(d->items[i].map_code);
        json_decref(d->items[i].over);
    }
    for (int c = 0; c < d->nclasses; c++) {
        free(d->classes[c].bits);
        free(d->classes[c].fen);
    }
    free(d->classes);
    state_cache_free(d->state);
    free(d->orders);
    free(d->items);
    free(d->discs);
    free(d);
}

static long long created_us(const omni_order *o, long long pk)
{
    return (BASE_EPOCH + pk * 61 + (long long)(o->h % 60)) * 1000000LL + (long long)((o->h >> 24) % 1000000);
}

static long long modified_us(const omni_order *o, long long pk)
{
    return o->modified_us ? o->modified_us : created_us(o, pk) + 250123;
}

static void emit_channel(strbuf *sb, int ch)
{
    strbuf_addf(sb, "{\"pk\": %d, \"name\": \"Sales Channel %d\", \"channel_type\": \"sales_channel\", "
                    "\"catalog\": %d, \"modified_date\": \"2025-12-11T13:27:15.290446Z\", "
                    "\"created_date\": \"2022-12-05T10:47:24.864605Z\", \"category_tree\": 1, "
                    "\"is_active\": true, \"conf\": {}, \"schema\": {}}",
                ch, ch, ch);
}

static int customer_pk(const omni_data *d, const omni_order *o)
{
    int n = d->norders / 2 + 1;
    return 1 + (int)((o->h >> 32) % (unsigned long long)n);
}

static void emit_customer(strbuf *sb, const omni_data *d, const omni_order *o)
{
    int cpk = customer_pk(d, o);
    unsigned long long h = mix(d->cfg.seed ^ (0xc0570000ull + (unsigned long long)cpk));
    const char *fn = first_names[h % NELEM(first_names)];
    const char *ln = last_names[(h >> 8) % NELEM(last_names)];
    strbuf_addf(sb, "{\"pk\": %d, \"channel\": %d, \"email\": \"customer%d@example.com\", "
                    "\"first_name\": \"%s\", \"last_name\": \"%s\", \"phone_number\": \"05%09llu\", "
                    "\"is_active\": true, \"channel_code\": \"%llu\", \"erp_code\": null, \"extra_field\": {}, "
                    "\"modified_date\": \"2025-01-20T13:48:35.483131Z\", \"created_date\": \"2024-02-02T19:52:49.849547Z\", "
                    "\"date_joined\": \"2024-02-02T19:52:49.000000Z\", \"email_allowed\": %s, \"sms_allowed\": false, "
                    "\"call_allowed\": false, \"gender\": %s, \"attributes\": {}, \"user_type\": null, "
                    "\"date_of_birth\": null, \"attributes_kwargs\": {}, \"localized_attributes\": {}, "
                    "\"localized_attributes_kwargs\": {}}",
                cpk, o->channel, cpk, fn, ln, (h >> 16) % 1000000000ull, 20000000ull + (h >> 40) % 10000000ull,
                (h & 0x10000) ? "true" : "false", (h & 0x20000) ? "\"female\"" : "\"male\"");
}

static void emit_address(strbuf *sb, const omni_data *d, const omni_order *o, int apk, int kind)
{
    int cpk = customer_pk(d, o);
    unsigned long long h = mix(d->cfg.seed ^ (0xadd00000ull + (unsigned long long)apk));
    unsigned long long ch = mix(d->cfg.seed ^ (0xc0570000ull + (unsigned long long)cpk));
    int c = (int)(h % NELEM(cities));
    strbuf_addf(sb, "{\"pk\": %d, \"email\": \"customer%d@example.com\", \"phone_number\": \"05%09llu\", "
                    "\"first_name\": \"%s\", \"last_name\": \"%s\", "
                    "\"country\": {\"pk\": 1, \"name\": \"Türkiye\", \"code\": \"tr\"}, "
                    "\"city\": {\"pk\": %d, \"name\": \"%s\", \"country\": 1}, "
                    "\"line\": \"Atatürk Cd. No:%d D:%d\", \"title\": \"%s\", "
                    "\"township\": {\"pk\": %d, \"name\": \"%s\", \"city\": %d}, "
                    "\"district\": {\"pk\": %d, \"name\": \"%s\", \"city\": %d, \"township\": %d}, "
                    "\"postcode\": \"%05d\", \"notes\": null, \"company_name\": \"\", \"tax_office\": \"\", "
                    "\"tax_no\": \"\", \"e_bill_taxpayer\": false, \"address_type\": \"customer\", "
                    "\"retail_store\": null, \"remote_id\": null, \"identity_number\": null, "
                    "\"extra_field\": {}, \"user\": %d, \"is_active\": true, \"is_corporate\": false, "
                    "\"modified_date\": \"2025-01-20T13:48:35.483131Z\", \"created_date\": \"2024-02-02T19:52:49.849547Z\"}",
                apk, cpk, (ch >> 16) % 1000000000ull, first_names[ch % NELEM(first_names)],
                last_names[(ch >> 8) % NELEM(last_names)], c + 1, cities[c], 1 + (int)((h >> 8) % 200),
                1 + (int)((h >> 16) % 30), kind ? "İş" : "Ev", c * 10 + 1, townships[c], c + 1, c * 100 + 1,
                districts[c], c + 1, c * 10 + 1, 34000 + (int)((h >> 24) % 900), cpk);
}

static void emit_product(strbuf *sb, const omni_data *d, int p)
{
    unsigned long long h = mix(d->cfg.seed ^ (0x9d0c0000ull + (unsigned long long)p));
    const char *color = colors[(h >> 8) % NELEM(colors)];
    const char *noun = nouns[(h >> 16) % NELEM(nouns)];
    const char *size = sizes[(h >> 24) % NELEM(sizes)];
    strbuf_addf(sb, "{\"pk\": %d, \"name\": \"%s %s\", \"base_code\": \"AKN-%04d\", \"sku\": \"AKN-%04d-%s\", "
                    "\"product_type\": \"0\", \"is_active\": true, \"parent\": null, "
                    "\"attributes\": {\"color\": \"%s\", \"size\": \"%s\", \"barcode\": \"869%010llu\"}, "
                    "\"attributes_kwargs\": {}, \"extra_attributes\": {}, \"is_seller_product\": false, "
                    "\"group_products\": [], \"productimage_set\": [], \"attribute_set\": 6, "
                    "\"custom_attribute_set\": null, \"productization_date\": \"2024-01-25T12:21:04.609463Z\", "
                    "\"listing_code\": null, \"data_source\": null, \"modified_date\": \"2025-11-28T14:43:04.157117Z\", "
                    "\"uuid\": ",
                p + 1, color, noun, p + 1, p + 1, size, color, size, (h >> 20) % 10000000000ull);
    add_uuid(sb, h);
    strbuf_addstr(sb, ", \"created_date\": \"2023-01-25T12:21:04.609463Z\", \"localized_attributes\": {}, "
                      "\"localized_attributes_kwargs\": {}, \"tax_rate\": \"20.00\", \"weight\": null, "
                      "\"brand_id\": null, \"description\": null}");
}

static void emit_order_fields(strbuf *sb, const omni_data *d, int idx, int mode)
{
    const omni_order *o = &d->orders[idx];
    long long pk = idx + 1;
    int ship_pk = (int)pk * 2 - 1;
    int bill_pk = (o->h >> 40) % 3 == 0 ? ship_pk + 1 : ship_pk;
    strbuf_addf(sb, "{\"pk\": %lld, \"number\": \"", pk);
    omni_number(sb, pk);
    strbuf_addstr(sb, "\", \"channel\": ");
    if (mode == OMNI_LIST)
        strbuf_addf(sb, "%d", o->channel);
    else
        emit_channel(sb, o->channel);
    strbuf_addf(sb, ", \"status\": \"%d\", \"date_placed\": ", o->status);
    add_time(sb, created_us(o, pk) - 4000000);
    strbuf_addstr(sb, ", \"customer\": ");
    if (mode == OMNI_LIST)
        strbuf_addf(sb, "%d", customer_pk(d, o));
    else
        emit_customer(sb, d, o);
    strbuf_addstr(sb, ", \"shipping_address\": ");
    if (mode == OMNI_LIST)
        strbuf_addf(sb, "%d", ship_pk);
    else
        emit_address(sb, d, o, ship_pk, 0);
    strbuf_addstr(sb, ", \"billing_address\": ");
    if (mode == OMNI_LIST)
        strbuf_addf(sb, "%d", bill_pk);
    else
        emit_address(sb, d, o, bill_pk, bill_pk != ship_pk);
    strbuf_addstr(sb, ", \"currency\": \"try\", \"amount\": ");
    add_money(sb, o->amount);
    strbuf_addstr(sb, ", \"shipping_amount\": ");
    add_money(sb, o->shipping);
    strbuf_addstr(sb, ", \"shipping_tax_rate\": \"20.00\", \"extra_field\": {}, \"payment_option\": null, "
                      "\"payment_option_slug\": \"credit-card\", ");
    strbuf_addf(sb, "\"bin_number\": \"%06llu\", \"installment\": null, \"installment_count\": %d, "
                    "\"delivery_type\": null, \"installment_interest_amount\": \"0.00\", \"cargo_company\": %d, "
                    "\"invoice_number\": null, \"invoice_date\": null, \"e_archive_url\": null, "
                    "\"refund_amount\": \"0.00\", \"discount_refund_amount\": \"0.00\", "
                    "\"shipping_refund_amount\": \"0.00\", \"discount_amount\": ",
                400000 + (o->h >> 12) % 100000, 1 + (int)((o->h >> 44) % 3), 1 + (int)((o->h >> 48) % NELEM(cargo)));
    add_money(sb, o->discount);
    strbuf_addf(sb, ", \"is_send\": %s, \"net_shipping_amount\": ", o->is_send ? "true" : "false");
    add_money(sb, o->shipping);
    strbuf_addf(sb, ", \"shipping_interest_amount\": \"0.00\", \"tracking_number\": null, "
                    "\"carrier_shipping_code\": \"\", \"remote_addr\": \"10.0.%d.%d\", "
                    "\"fundstransfertransaction_set\": [], \"has_gift_box\": false, \"gift_box_note\": \"\", "
                    "\"external_status\": null, \"client_type\": \"default\", \"language_code\": \"tr-tr\", "
                    "\"notes\": \"\", \"delivery_range\": null, \"shipping_option_slug\": \"%s\", "
                    "\"segment\": null, \"modified_date\": ",
                (int)((o->h >> 50) % 250), (int)((o->h >> 52) % 250), cargo[(o->h >> 48) % NELEM(cargo)]);
    add_time(sb, modified_us(o, pk));
    strbuf_addstr(sb, ", \"checkout_provider_id\": null, \"created_date\": ");
    add_time(sb, created_us(o, pk));
    strbuf_addf(sb, ", \"cancellation_info\": {}, \"shipping_company\": null, \"cancel_status\": %s, "
                    "\"defined_tracking_url\": null, \"installment_free\": false, \"first_refund_strategy\": null",
                o->status == 100 ? "\"completed\"" : "null");
}

void omni_emit_order(strbuf *sb, const omni_data *d, int idx, int mode)
{
    const omni_order *o = &d->orders[idx];
    emit_order_fields(sb, d, idx, mode);
    if (mode == OMNI_FULL) {
        strbuf_addstr(sb, ", \"orderitem_set\": [");
        for (int k = 0; k < o->item_count; k++) {
            if (k)
                strbuf_addstr(sb, ", ");
            omni_emit_item(sb, d, o->item_first + k, OMNI_DETAIL);
        }
        strbuf_addstr(sb, "], \"discountitem_set\": [");
        for (int k = 0; k < o->disc_count; k++) {
            if (k)
                strbuf_addstr(sb, ", ");
            omni_emit_disc(sb, d, o->disc_first + k, OMNI_DETAIL);
        }
        strbuf_addch(sb, ']');
    }
    strbuf_addch(sb, '}');
}

/* Item fields a bulk status update may set; emitted from it->over when set. */
static const char *const over_fields[] = {
    "invoice_number", "invoice_date", "e_archive_url", "tracking_number", "shipping_company",
    "shipment_code", "external_status", "tracking_url", "estimated_delivery_date",
    "defined_tracking_url", "carrier_shipping_code", "cancel_status", NULL,
};

static void add_over(strbuf *sb, const omni_item *it, const char *key, const char *dflt)
{
    json_t *v = it->over ? json_object_get(it->over, key) : NULL;
    strbuf_addf(sb, ", \"%s\": ", key);
    if (v)
        jsontext_dump(v, sb, 0);
    else
        strbuf_addstr(sb, dflt);
}

void omni_emit_item(strbuf *sb, const omni_data *d, int idx, int mode)
{
    const omni_item *it = &d->items[idx];
    const omni_order *o = &d->orders[it->order];
    long long opk = it->order + 1;
    strbuf_addf(sb, "{\"pk\": %d, \"order\": %lld, \"product\": ", idx + 1, opk);
    if (mode == OMNI_LIST)
        strbuf_addf(sb, "%d", it->product + 1);
    else
        emit_product(sb, d, it->product);
    strbuf_addf(sb, ", \"status\": \"%d\", \"price_currency\": \"try\", \"price\": ", it->status);
    add_money(sb, it->price);
    strbuf_addf(sb, ", \"quantity\": %d, \"tax_rate\": \"20.00\", \"extra_field\": {}, \"price_list\": ", it->quantity);
    if (mode == OMNI_LIST)
        strbuf_addstr(sb, "1, \"stock_list\": 1");
    else
        strbuf_addstr(sb, "{\"pk\": 1, \"name\": \"Default Price List\", \"code\": \"try\", \"is_auto_sync\": false, "
                          "\"modified_date\": \"2023-01-26T08:19:31.230242Z\", \"created_date\": \"2023-01-26T08:19:31.230222Z\", "
                          "\"currency\": \"try\"}, \"stock_list\": {\"pk\": 1, \"name\": \"Default Stock List\", "
                          "\"code\": null, \"is_auto_sync\": false, \"modified_date\": \"2023-01-26T08:15:47.630013Z\", "
                          "\"created_date\": \"2023-01-26T08:15:47.629991Z\"}");
    add_over(sb, it, "invoice_number", "null");
    add_over(sb, it, "invoice_date", "null");
    add_over(sb, it, "e_archive_url", "null");
    add_over(sb, it, "cancel_status", it->status == 100 ? "\"completed\"" : "null");
    strbuf_addf(sb, ", \"status_display\": \"%s\", \"installment_interest_amount\": \"0.00\", \"net_amount\": ",
                status_display(it->status));
    add_money(sb, it->price * it->quantity);
    add_over(sb, it, "tracking_number", "null");
    add_over(sb, it, "shipping_company", "null");
    strbuf_addstr(sb, ", \"discount_amount\": \"0.00\"");
    add_over(sb, it, "shipment_code", "null");
    strbuf_addstr(sb, ", \"benefitapplicant_set\": []");
    add_over(sb, it, "external_status", "null");
    strbuf_addstr(sb, ", \"retail_price\": ");
    add_money(sb, it->price + it->price / 5);
    strbuf_addstr(sb, ", \"attributes\": {}, \"attributes_kwargs\": {}");
    add_over(sb, it, "tracking_url", "null");
    strbuf_addstr(sb, ", \"image\": null, \"parent\": null, \"data_source\": null");
    add_over(sb, it, "estimated_delivery_date", "null");
    strbuf_addstr(sb, ", \"datasource\": null");
    add_over(sb, it, "defined_tracking_url", "null");
    add_over(sb, it, "carrier_shipping_code", "null");
    strbuf_addstr(sb, ", \"shipping_option_group\": null, \"defined_shipping_company\": null, "
                      "\"forced_refund\": false");
    if (it->over) {
        const char *k;
        json_t *v;
        json_object_foreach(it->over, k, v) {
            int known = 0;
            for (int f = 0; over_fields[f]; f++)
                known |= !strcmp(k, over_fields[f]);
            if (known)
                continue;
            strbuf_addstr(sb, ", \"");
            strbuf_add_json_escaped(sb, k, strlen(k));
            strbuf_addstr(sb, "\": ");
            jsontext_dump(v, sb, 0);
        }
    }
    strbuf_addstr(sb, ", \"modified_date\": ");
    add_time(sb, it->modified_us ? it->modified_us : modified_us(o, opk));
    strbuf_addstr(sb, ", \"created_date\": ");
    add_time(sb, created_us(o, opk));
    strbuf_addch(sb, '}');
}

void omni_emit_disc(strbuf *sb, const omni_data *d, int idx, int mode)
{
    const omni_disc *ds = &d->discs[idx];
    const omni_order *o = &d->orders[ds->order];
    long long opk = ds->order + 1;
    strbuf_addf(sb, "{\"pk\": %d, \"order\": %lld, \"name\": \"%s\", \"code\": \"%s\", \"amount\": ", idx + 1, opk,
                ds->kind ? "Sepette %10 indirim" : "10 TL kupon", ds->kind ? "BASKET10" : "COUPON10");
    add_money(sb, ds->amount);
    strbuf_addf(sb, ", \"currency\": \"try\", \"offer_type\": \"%s\", \"session_offer\": null, ",
                ds->kind ? "basket_offer" : "voucher_code");
    if (mode == OMNI_LIST)
        strbuf_addf(sb, "\"promotion\": %d, ", 10 + ds->kind);
    else
        strbuf_addf(sb, "\"promotion\": {\"pk\": %d, \"name\": \"%s\", \"slug\": \"%s\", \"is_active\": true}, ",
                    10 + ds->kind, ds->kind ? "Sepette %10" : "Kupon 10 TL", ds->kind ? "basket-10" : "coupon-10");
    strbuf_addstr(sb, "\"extra_field\": {}, \"modified_date\": ");
    add_time(sb, modified_us(o, opk));
    strbuf_addstr(sb, ", \"created_date\": ");
    add_time(sb, created_us(o, opk));
    strbuf_addch(sb, '}');
}
