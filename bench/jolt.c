/*
 * bench/jolt.c: `bench-jolt [--java RUN] [--rounds R] [DIR [ITERS]]` - the
 * speed of engines/jolt, side by side with the Java Jolt library measured in
 * the same run.
 *
 * Without DIR it uses a built-in ~2 KB order with 3 items and a two-step
 * chain (a shift with ~20 renames and items.* -> line_items[&1], then a
 * default with array defaults). With DIR it reads DIR/input.json and
 * DIR/spec.json (and DIR/expected-output.json, compared with key order
 * ignored, when present); DIR "-" is the built-in case. ITERS (default
 * 10000) is the number of timed operations per round.
 *
 * Three figures, each the median of per-operation times within a round:
 * apply on an already parsed input, the first (shift) step alone, and
 * parse + apply + serialize. Apply and shift run on the engine's own
 * values (jolt_doc_parse once, jolt_apply_doc timed, its output freed
 * outside the timer as Java's is left to the GC); the full path goes text
 * to text through jolt_apply_text (which builds only the parts of the
 * input the first step can read). Both outputs are checked against
 * jolt_apply's first. The same three on jansson trees (jolt_apply, and
 * jsontext_parse + jolt_apply + jsontext_dump) are printed too, for
 * reference. With --java RUN (the driver of
 * ../shared/bench/jolt-java, see its README) rounds alternate: one JVM run of
 * `RUN --bench ITERS --warmup W --rounds 1` (W: JOLT_JAVA_WARMUP, default
 * 3 x ITERS), then one round of ours, R times (default 3); the figures
 * reported are the medians over the rounds, and the ratios are Java's over
 * ours. Java's output is also compared with ours, member order and number
 * kind significant. Without --java only our own figures are printed: no
 * ratio against numbers from another machine or day. The last line is one
 * JSON object with the figures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "jolt.h"
#include "jsontext.h"

#include "../tests/unit/same_json.h"
#include "../tools/jolt-conformance/java.h"

static const char *ORDER =
    "{\"orderId\":\"SO-2024-000123\",\"orderDate\":\"2024-03-14T09:26:53Z\",\"status\":\"CONFIRMED\","
    "\"currency\":\"EUR\",\"channel\":\"web\",\"customer\":{\"id\":\"C-99812\",\"firstName\":\"Ada\","
    "\"lastName\":\"Lovelace\",\"email\":\"ada@example.com\",\"phone\":\"+44 20 7946 0000\",\"tier\":\"gold\","
    "\"since\":\"2015-06-01\",\"marketingOptIn\":true},\"billing\":{\"street\":\"12 Analytical Row\","
    "\"city\":\"London\",\"zip\":\"NW1 6XE\",\"country\":\"GB\",\"vatId\":\"GB123456789\"},"
    "\"shipping\":{\"street\":\"12 Analytical Row\",\"city\":\"London\",\"zip\":\"NW1 6XE\",\"country\":\"GB\","
    "\"method\":\"express\",\"carrier\":\"DHL\",\"cost\":12.5,\"instructions\":\"Leave with the concierge if "
    "nobody answers the door; ring twice and wait a minute before leaving.\"},"
    "\"payment\":{\"method\":\"card\",\"brand\":\"VISA\",\"last4\":\"4242\",\"authorized\":true,"
    "\"amount\":1234.56,\"authCode\":\"A1B2C3\",\"capturedAt\":\"2024-03-14T09:27:10Z\"},"
    "\"items\":["
    "{\"sku\":\"ENG-001\",\"name\":\"Difference Engine replica, brass, 1:10 scale, with display case\","
    "\"qty\":1,\"unitPrice\":899.0,\"discount\":0.0,\"taxRate\":0.2,\"weightKg\":7.5,\"warehouse\":\"LON-1\","
    "\"attributes\":{\"color\":\"brass\",\"size\":\"L\",\"giftWrap\":false},\"tags\":[\"collectible\",\"metal\",\"large\"]},"
    "{\"sku\":\"BK-042\",\"name\":\"Sketch of the Analytical Engine (annotated translation, hardcover)\","
    "\"qty\":2,\"unitPrice\":45.5,\"discount\":5.0,\"taxRate\":0.0,\"weightKg\":0.9,\"warehouse\":\"LON-2\","
    "\"attributes\":{\"color\":\"navy\",\"size\":\"M\",\"giftWrap\":true},\"tags\":[\"book\",\"history\"]},"
    "{\"sku\":\"PC-777\",\"name\":\"Punched card set (100 cards) with wooden storage box and index\","
    "\"qty\":3,\"unitPrice\":81.52,\"discount\":0.0,\"taxRate\":0.2,\"weightKg\":1.2,\"warehouse\":\"MAN-1\","
    "\"attributes\":{\"color\":\"natural\",\"size\":\"S\",\"giftWrap\":false},\"tags\":[\"paper\",\"set\",\"wood\"]}],"
    "\"notes\":[\"Customer asked for a single shipment.\",\"Invoice must show the VAT id.\","
    "\"Priority handling requested by the account manager for the spring campaign.\"],"
    "\"audit\":{\"createdBy\":\"checkout-service\",\"createdAt\":\"2024-03-14T09:26:53Z\",\"updatedBy\":\"erp-sync\","
    "\"updatedAt\":\"2024-03-14T09:30:00Z\",\"version\":7,\"source\":\"eu-west-1\",\"traceId\":"
    "\"4bf92f3577b34da6a3ce929d0e0e4736\",\"spanId\":\"00f067aa0ba902b7\"}}";

static const char *CHAIN =
    "[{\"operation\":\"shift\",\"spec\":{"
    "\"orderId\":\"order.id\",\"orderDate\":\"order.date\",\"status\":\"order.status\",\"currency\":\"order.currency\","
    "\"channel\":\"order.channel\","
    "\"customer\":{\"id\":\"customer.ref\",\"firstName\":\"customer.given_name\",\"lastName\":\"customer.family_name\","
    "\"email\":\"customer.email\",\"phone\":\"customer.phone\",\"tier\":\"customer.tier\"},"
    "\"billing\":{\"street\":\"bill_to.line1\",\"city\":\"bill_to.city\",\"zip\":\"bill_to.postcode\","
    "\"country\":\"bill_to.country\",\"vatId\":\"bill_to.vat\"},"
    "\"shipping\":{\"method\":\"ship.method\",\"carrier\":\"ship.carrier\",\"cost\":\"ship.cost\",\"*\":\"ship_to.&\"},"
    "\"payment\":{\"method\":\"payment.type\",\"amount\":\"payment.total\",\"authorized\":\"payment.ok\"},"
    "\"items\":{\"*\":{\"sku\":\"line_items[&1].sku\",\"name\":\"line_items[&1].title\",\"qty\":\"line_items[&1].quantity\","
    "\"unitPrice\":\"line_items[&1].price\",\"discount\":\"line_items[&1].discount\",\"taxRate\":\"line_items[&1].tax_rate\","
    "\"attributes\":{\"*\":\"line_items[&2].attr.&\"},\"tags\":\"line_items[&1].tags\"}},"
    "\"notes\":\"notes\",\"audit\":{\"version\":\"meta.version\",\"traceId\":\"meta.trace\"}}},"
    "{\"operation\":\"default\",\"spec\":{\"order\":{\"source\":\"flowfleet\",\"priority\":\"normal\"},"
    "\"line_items[]\":{\"*\":{\"discount\":0.0,\"attr\":{\"giftWrap\":false},\"uom\":\"EA\"}},"
    "\"payment\":{\"captured\":false},\"flags[]\":{\"0\":\"new\",\"1\":\"unreviewed\"}}}]";

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* median of n values (sorts v) */
static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* One round's medians, in microseconds. */
typedef struct figs {
    double apply, shift, full, apply_tree, shift_tree, full_tree, parse, dump;
} figs;

typedef struct bench_case {
    const char *text; /* input JSON text */
    size_t len;
    json_t *input;    /* parsed */
    jolt_doc *doc;    /* parsed into the engine's own values */
    jolt_spec *chain;
    jolt_spec *shift; /* the first step when it is a shift, or NULL */
} bench_case;

/* Median microseconds of applying s to the parsed input, iters times:
 * on the engine's own values (doc) or on the jansson tree. */
static double time_apply(const bench_case *c, const jolt_spec *s, int doc, int iters, double *t)
{
    for (int i = 0; i < iters; i++) {
        double t0 = now_ns();
        if (doc) {
            jolt_doc *o = jolt_apply_doc(s, c->doc, NULL, NULL);
            t[i] = now_ns() - t0;
            jolt_doc_free(o);
        } else {
            json_t *o = jolt_apply(s, c->input, NULL, NULL);
            t[i] = now_ns() - t0;
            json_decref(o);
        }
    }
    return median(t, iters) / 1e3;
}

static void our_round(const bench_case *c, int iters, double *t, figs *f)
{
    strbuf ser = STRBUF_INIT;
    f->apply = time_apply(c, c->chain, 1, iters, t);
    f->apply_tree = time_apply(c, c->chain, 0, iters, t);
    f->shift = c->shift ? time_apply(c, c->shift, 1, iters, t) : 0;
    f->shift_tree = c->shift ? time_apply(c, c->shift, 0, iters, t) : 0;
    for (int i = 0; i < iters; i++) {
        double t0 = now_ns();
        strbuf_reset(&ser);
        jolt_apply_text(c->chain, c->text, c->len, NULL, &ser, NULL);
        t[i] = now_ns() - t0;
    }
    f->full = median(t, iters) / 1e3;
    for (int i = 0; i < iters; i++) {
        double t0 = now_ns();
        json_t *in = jsontext_parse(c->text, c->len, NULL);
        json_t *o = jolt_apply(c->chain, in, NULL, NULL);
        strbuf_reset(&ser);
        jsontext_dump(o, &ser, 0);
        t[i] = now_ns() - t0;
        json_decref(o);
        json_decref(in);
    }
    f->full_tree = median(t, iters) / 1e3;
    for (int i = 0; i < iters; i++) {
        double t0 = now_ns();
        json_t *in = jsontext_parse(c->text, c->len, NULL);
        t[i] = now_ns() - t0;
        json_decref(in);
    }
    f->parse = median(t, iters) / 1e3;
    for (int i = 0; i < iters; i++) {
        double t0 = now_ns();
        strbuf_reset(&ser);
        jsontext_dump(c->input, &ser, 0);
        t[i] = now_ns() - t0;
    }
    f->dump = median(t, iters) / 1e3;
    strbuf_release(&ser);
}

/* Value of "name=123" in a driver line, or -1. */
static double field(const char *line, const char *name)
{
    size_t nl = strlen(name);
    for (const char *p = line; (p = strstr(p, name)); p += nl)
        if ((p == line || p[-1] == ' ') && p[nl] == '=')
            return atof(p + nl + 1);
    return -1;
}

/* One JVM run of the driver's benchmark; 0 with f filled (microseconds). */
static int java_round(const char *run, const char *spec, const char *input, int iters, int warmup, figs *f)
{
    strbuf cmd = STRBUF_INIT;
    strbuf_addf(&cmd, "'%s' --bench %d --warmup %d --rounds 1 '%s' '%s' 2>/dev/null", run, iters, warmup, spec,
                input);
    FILE *p = popen(cmd.buf, "r");
    strbuf_release(&cmd);
    if (!p)
        return -1;
    char line[1024];
    int got = 0;
    while (fgets(line, sizeof line, p)) {
        if (strncmp(line, "round=", 6))
            continue;
        f->apply = field(line, "median") / 1e3;
        f->shift = field(line, "shift_median") / 1e3;
        f->full = field(line, "full_median") / 1e3;
        got = f->apply > 0 && f->full > 0;
    }
    int st = pclose(p);
    return got && st == 0 ? 0 : -1;
}

/* Java's output for the case (new reference), or NULL. The JVM runs with
 * constant identity hashes, so that the keys a "default" step adds come in
 * an order of Java's that does not change from run to run (see
 * tools/jolt-conformance/java.c); the timed runs use the usual hashes. */
static json_t *java_output(const char *run, const char *spec, const char *input)
{
    strbuf cmd = STRBUF_INIT, out = STRBUF_INIT;
    const char *opts = getenv("JAVA_OPTS");
    strbuf_addf(&cmd, "JAVA_OPTS='%s %s' '%s' --compact '%s' '%s' 2>/dev/null", JOLT_JAVA_IDENTITY, opts ? opts : "",
                run, spec, input);
    FILE *p = popen(cmd.buf, "r");
    json_t *v = NULL;
    if (p) {
        char buf[4096];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, p)) > 0)
            strbuf_add(&out, buf, n);
        if (pclose(p) == 0)
            v = jsontext_parse(out.buf, out.len, NULL);
    }
    strbuf_release(&cmd);
    strbuf_release(&out);
    return v;
}

static int write_file(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    int rc = fwrite(text, 1, len, f) == len ? 0 : -1;
    if (fclose(f))
        rc = -1;
    return rc;
}

#define MAX_ROUNDS 50

int main(int argc, char **argv)
{
    const char *java = NULL, *dir = NULL;
    int rounds = 3, iters = 10000;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--java") && i + 1 < argc)
            java = argv[++i];
        else if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
            rounds = atoi(argv[++i]);
        else if (!dir)
            dir = argv[i];
        else
            iters = atoi(argv[i]);
    }
    if (dir && (!*dir || !strcmp(dir, "-")))
        dir = NULL; /* "-": the built-in case, with ITERS after it */
    if (iters < 1)
        iters = 1;
    if (rounds < 1)
        rounds = 1;
    if (rounds > MAX_ROUNDS)
        rounds = MAX_ROUNDS;
    strbuf err = STRBUF_INIT, text = STRBUF_INIT, spectext = STRBUF_INIT;
    strbuf specpath = STRBUF_INIT, inpath = STRBUF_INIT;
    char tmpdir[64] = "";
    json_t *expected = NULL;
    if (dir) {
        strbuf_addf(&inpath, "%s/input.json", dir);
        strbuf_addf(&specpath, "%s/spec.json", dir);
        if (strbuf_read_file(&text, inpath.buf) || strbuf_read_file(&spectext, specpath.buf)) {
            fprintf(stderr, "bench-jolt: cannot read %s/{input,spec}.json\n", dir);
            return 1;
        }
        strbuf path = STRBUF_INIT;
        strbuf_addf(&path, "%s/expected-output.json", dir);
        if (access(path.buf, R_OK) == 0)
            expected = jsontext_load_file(path.buf, &err);
        strbuf_release(&path);
    } else {
        strbuf_addstr(&text, ORDER);
        strbuf_addstr(&spectext, CHAIN);
        if (java) {
            /* the driver reads files: write the built-in case out */
            snprintf(tmpdir, sizeof tmpdir, "/tmp/bench-jolt.XXXXXX");
            if (!mkdtemp(tmpdir)) {
                perror("bench-jolt: mkdtemp");
                return 1;
            }
            strbuf_addf(&inpath, "%s/input.json", tmpdir);
            strbuf_addf(&specpath, "%s/spec.json", tmpdir);
            if (write_file(inpath.buf, text.buf, text.len) || write_file(specpath.buf, spectext.buf, spectext.len)) {
                fprintf(stderr, "bench-jolt: cannot write %s\n", tmpdir);
                return 1;
            }
        }
    }
    json_t *spec = jsontext_parse(spectext.buf, spectext.len, &err);
    bench_case c = {text.buf, text.len, NULL, NULL, NULL, NULL};
    c.input = spec ? jsontext_parse(text.buf, text.len, &err) : NULL;
    c.doc = c.input ? jolt_doc_parse(text.buf, text.len, &err) : NULL;
    c.chain = c.input ? jolt_compile(spec, &err) : NULL;
    if (!c.chain) {
        fprintf(stderr, "bench-jolt: %s\n", err.buf);
        return 1;
    }
    json_t *first = json_is_array(spec) ? json_array_get(spec, 0) : spec;
    json_t *opname = json_object_get(first, "operation");
    if (json_is_string(opname) && !strcmp(json_string_value(opname), "shift"))
        c.shift = jolt_compile_op("shift", json_object_get(first, "spec"), &err);

    json_t *out = jolt_apply(c.chain, c.input, NULL, &err);
    /* the full path goes text to text: it must give jolt_apply's output */
    strbuf viatext = STRBUF_INIT, direct = STRBUF_INIT;
    jsontext_dump(out, &direct, 0);
    if (jolt_apply_text(c.chain, text.buf, text.len, NULL, &viatext, &err) || strcmp(viatext.buf, direct.buf)) {
        fprintf(stderr, "bench-jolt: jolt_apply_text differs from jolt_apply\n");
        return 1;
    }
    jolt_doc *dout = jolt_apply_doc(c.chain, c.doc, NULL, &err);
    strbuf_reset(&viatext);
    if (dout)
        jolt_doc_dump(dout, &viatext);
    jolt_doc_free(dout);
    if (strcmp(viatext.buf, direct.buf)) {
        fprintf(stderr, "bench-jolt: jolt_apply_doc differs from jolt_apply\n");
        return 1;
    }
    strbuf_release(&viatext);
    strbuf_release(&direct);
    int equal = expected ? same_json(expected, out) : -1;
    int java_equal = -1, java_equal_unordered = -1;
    if (java) {
        json_t *jout = java_output(java, specpath.buf, inpath.buf);
        if (!jout) {
            fprintf(stderr, "bench-jolt: %s gave no output: measuring ours only\n", java);
            java = NULL;
        } else {
            java_equal = same_json_ordered(jout, out);
            java_equal_unordered = same_json(jout, out);
        }
        json_decref(jout);
    }
    json_decref(out);

    int warmup = getenv("JOLT_JAVA_WARMUP") ? atoi(getenv("JOLT_JAVA_WARMUP")) : 3 * iters;
    double *t = malloc((size_t)iters * sizeof *t);
    figs ours[MAX_ROUNDS], theirs[MAX_ROUNDS];
    int njava = 0;
    our_round(&c, iters < 1000 ? iters : 1000, t, &ours[0]); /* warm caches and the allocator */
    for (int r = 0; r < rounds; r++) {
        if (java) {
            if (java_round(java, specpath.buf, inpath.buf, iters, warmup, &theirs[njava]) == 0)
                njava++;
            else
                fprintf(stderr, "bench-jolt: Java round %d failed\n", r + 1);
        }
        our_round(&c, iters, t, &ours[r]);
        if (java && njava)
            fprintf(stderr, "round %d: apply %.2f / Java %.2f us, shift %.2f / %.2f us, full %.2f / %.2f us\n", r + 1,
                    ours[r].apply, theirs[njava - 1].apply, ours[r].shift, theirs[njava - 1].shift, ours[r].full,
                    theirs[njava - 1].full);
    }
    free(t);
    /* medians over the rounds */
    double v[MAX_ROUNDS];
    figs m = {0, 0, 0, 0, 0, 0, 0, 0}, jm = {0, 0, 0, 0, 0, 0, 0, 0};
#define MED(dst, arr, n, fld)                 \
    do {                                      \
        for (int i_ = 0; i_ < (n); i_++)      \
            v[i_] = (arr)[i_].fld;            \
        (dst).fld = (n) ? median(v, (n)) : 0; \
    } while (0)
    MED(m, ours, rounds, apply);
    MED(m, ours, rounds, shift);
    MED(m, ours, rounds, full);
    MED(m, ours, rounds, full_tree);
    MED(m, ours, rounds, apply_tree);
    MED(m, ours, rounds, shift_tree);
    MED(m, ours, rounds, parse);
    MED(m, ours, rounds, dump);
    MED(jm, theirs, njava, apply);
    MED(jm, theirs, njava, shift);
    MED(jm, theirs, njava, full);

    printf("input: %zu bytes, %d steps, %d iterations x %d rounds%s\n", text.len, jolt_steps(c.chain), iters,
           rounds, njava ? ", alternating with the Java library" : " (no Java library: no ratios)");
    if (njava) {
        printf("                             flowfleet    Java (same run)   ratio\n");
        printf("apply (input parsed):        %8.2f us   %8.2f us        %5.1fx\n", m.apply, jm.apply, jm.apply / m.apply);
        if (c.shift)
            printf("shift step alone:            %8.2f us   %8.2f us        %5.1fx\n", m.shift, jm.shift,
                   jm.shift / m.shift);
        printf("parse + apply + serialize:   %8.2f us   %8.2f us        %5.1fx\n", m.full, jm.full, jm.full / m.full);
    } else {
        printf("apply (input parsed):        %8.2f us\n", m.apply);
        if (c.shift)
            printf("shift step alone:            %8.2f us\n", m.shift);
        printf("parse + apply + serialize:   %8.2f us\n", m.full);
    }
    printf("on jansson trees (jolt_apply): apply %.2f us, shift %.2f us, jsontext_parse + jolt_apply + "
           "jsontext_dump %.2f us\n",
           m.apply_tree, m.shift_tree, m.full_tree);
    printf("parse input alone:           %8.2f us\n", m.parse);
    printf("serialize input alone:       %8.2f us\n", m.dump);
    if (expected)
        printf("equal to expected-output.json (key order ignored): %s\n", equal ? "true" : "false");
    if (java_equal >= 0)
        printf("equal to Java's output (member order significant): %s%s\n", java_equal ? "true" : "false",
               !java_equal && java_equal_unordered ? " (equal with key order ignored)" : "");
    printf("{\"bench\":\"jolt\",\"input_bytes\":%zu,\"rounds\":%d,\"iterations\":%d,\"apply_us\":%.3f,\"shift_us\":%.3f,"
           "\"parse_us\":%.3f,\"dump_us\":%.3f,\"full_us\":%.3f,\"apply_tree_us\":%.3f,\"shift_tree_us\":%.3f,\"full_tree_us\":%.3f",
           text.len, rounds, iters, m.apply, m.shift, m.parse, m.dump, m.full, m.apply_tree, m.shift_tree, m.full_tree);
    if (njava)
        printf(",\"java_rounds\":%d,\"java_apply_us\":%.3f,\"java_shift_us\":%.3f,\"java_full_us\":%.3f,"
               "\"speedup_apply\":%.2f,\"speedup_shift\":%.2f,\"speedup_full\":%.2f",
               njava, jm.apply, jm.shift, jm.full, jm.apply / m.apply, m.shift > 0 ? jm.shift / m.shift : 0.0,
               jm.full / m.full);
    if (expected)
        printf(",\"equal\":%s", equal ? "true" : "false");
    if (java_equal >= 0)
        printf(",\"equal_java_ordered\":%s", java_equal ? "true" : "false");
    printf("}\n");
    if (tmpdir[0]) {
        unlink(inpath.buf);
        unlink(specpath.buf);
        rmdir(tmpdir);
    }
    jolt_doc_free(c.doc);
    jolt_free(c.shift);
    jolt_free(c.chain);
    json_decref(spec);
    json_decref(c.input);
    json_decref(expected);
    strbuf_release(&err);
    strbuf_release(&text);
    strbuf_release(&spectext);
    strbuf_release(&specpath);
    strbuf_release(&inpath);
    return 0;
}
