/*
 * java.c: the differential mode of jolt-conformance (`--java RUN`). Every
 * case the corpus runner runs through engines/jolt is also run through the
 * Java Jolt library itself, by its small driver (`RUN --compact SPEC INPUT`,
 * see ../shared/bench/jolt-java/README.md), and the two results are compared
 * as JSON values with member order and number kind significant
 * (same_json_ordered). A case agrees when both reject the spec (driver exit
 * 2, our compile fails), both fail the transform (exit 3, our apply fails), or
 * both produce the same value; each disagreement is printed with the first
 * path where the values part, and a summary line closes the run.
 *
 * The driver takes a chain and an input only, so single operations are
 * wrapped into a one-step chain, and cases that need a context or the test
 * classes' own functions are counted as skipped. One JVM per case: slow
 * (about half a second each), but it is the library itself, unchanged.
 *
 * Member order includes the keys a "default" step adds. Java's Defaultr
 * keeps its spec keys in a HashSet of objects without a hashCode of their
 * own, so with the JVM's usual identity hashes that order depends on the
 * thread's history (it differs under NiFi from one start to the next, and
 * with -XX:hashCode=N). The driver is therefore run with constant
 * identity hashes (JOLT_JAVA_IDENTITY in java.h, prepended to JAVA_OPTS):
 * the HashSet then iterates in insertion order, which is spec order within
 * Java's precedence classes, the order engines/jolt gives. Every
 * difference, member order included, counts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "java.h"
#include "jsontext.h"
#include "strbuf.h"

#include "../../tests/unit/same_json.h"

static const char *java_run;
static char tmpdir[64];
static int n_same, n_diff, n_skip;

int javadiff_init(const char *run)
{
    java_run = run;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/jolt-javadiff.XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("jolt-conformance: mkdtemp");
        return -1;
    }
    return 0;
}

int javadiff_active(void)
{
    return java_run != NULL;
}

/* Appends the path of the first place where a and b differ (with member
 * order significant) to path; returns 1 when they differ. */
static int first_diff(const json_t *a, const json_t *b, strbuf *path)
{
    if (same_json_ordered(a, b))
        return 0;
    if (a && b && json_is_object(a) && json_is_object(b)) {
        void *ia = json_object_iter((json_t *)a), *ib = json_object_iter((json_t *)b);
        for (; ia && ib; ia = json_object_iter_next((json_t *)a, ia), ib = json_object_iter_next((json_t *)b, ib)) {
            const char *ka = json_object_iter_key(ia), *kb = json_object_iter_key(ib);
            if (strcmp(ka, kb)) {
                strbuf_addf(path, " (member order: ours '%s', Java '%s')", ka, kb);
                return 1;
            }
            size_t mark = path->len;
            strbuf_addf(path, ".%s", ka);
            if (first_diff(json_object_iter_value(ia), json_object_iter_value(ib), path))
                return 1;
            strbuf_setlen(path, mark);
        }
        strbuf_addstr(path, " (member count)");
        return 1;
    }
    if (a && b && json_is_array(a) && json_is_array(b) && json_array_size(a) == json_array_size(b)) {
        for (size_t i = 0; i < json_array_size(a); i++) {
            size_t mark = path->len;
            strbuf_addf(path, "[%zu]", i);
            if (first_diff(json_array_get(a, i), json_array_get(b, i), path))
                return 1;
            strbuf_setlen(path, mark);
        }
    }
    return 1;
}

static int write_json(const char *path, const json_t *v)
{
    strbuf sb = STRBUF_INIT;
    if (v)
        jsontext_dump(v, &sb, 0);
    else
        strbuf_addstr(&sb, "null");
    FILE *f = fopen(path, "w");
    int rc = -1;
    if (f) {
        rc = fwrite(sb.buf, 1, sb.len, f) == sb.len ? 0 : -1;
        if (fclose(f))
            rc = -1;
    }
    strbuf_release(&sb);
    return rc;
}

/* Runs the driver on chain and input; returns its exit status (0 output in
 * out, 2 spec rejected, 3 transform threw, other: the driver failed). */
static int run_java(const json_t *chain, const json_t *input, strbuf *out)
{
    strbuf sp = STRBUF_INIT, ip = STRBUF_INIT, cmd = STRBUF_INIT;
    strbuf_addf(&sp, "%s/spec.json", tmpdir);
    strbuf_addf(&ip, "%s/input.json", tmpdir);
    int st = -1;
    if (!write_json(sp.buf, chain) && !write_json(ip.buf, input)) {
        const char *opts = getenv("JAVA_OPTS");
        strbuf_addf(&cmd, "JAVA_OPTS='%s %s' '%s' --compact '%s' '%s' 2>/dev/null", JOLT_JAVA_IDENTITY, opts ? opts : "",
                    java_run, sp.buf, ip.buf);
        FILE *p = popen(cmd.buf, "r");
        if (p) {
            char buf[4096];
            size_t n;
            while ((n = fread(buf, 1, sizeof buf, p)) > 0)
                strbuf_add(out, buf, n);
            int ws = pclose(p);
            st = WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
        }
    }
    strbuf_release(&sp);
    strbuf_release(&ip);
    strbuf_release(&cmd);
    return st;
}

static const char *status_name(int st)
{
    return st == 0 ? "output" : st == 2 ? "spec rejected" : st == 3 ? "transform failed" : "driver failed";
}

void javadiff_case(const char *folder, const char *label, const char *op, const json_t *spec,
                   const json_t *input, const json_t *ctx, const json_t *ours, int our_status)
{
    if (!java_run)
        return;
    if (ctx || !strncmp(label, "labelsLookupTest", 16)) {
        n_skip++;
        return;
    }
    json_t *chain;
    if (op) {
        json_t *step = json_pack("{s:s}", "operation", op);
        if (spec)
            json_object_set(step, "spec", (json_t *)spec);
        chain = json_pack("[o]", step);
    } else {
        chain = json_incref((json_t *)spec);
    }
    strbuf text = STRBUF_INIT, err = STRBUF_INIT, path = STRBUF_INIT;
    int st = run_java(chain, input, &text);
    json_t *theirs = st == 0 ? jsontext_parse(text.buf, text.len, &err) : NULL;
    int same;
    if (st != our_status)
        same = 0;
    else if (st == 0)
        same = theirs && !first_diff(ours, theirs, &path);
    else
        same = 1;
    if (same) {
        n_same++;
    } else {
        n_diff++;
        printf("JAVA-DIFF %s/%s: ", folder, label);
        if (st != our_status) {
            printf("Java %s, ours %s\n", status_name(st), status_name(our_status));
        } else {
            printf("values differ at %s\n", path.len ? path.buf : "(top)");
        }
        strbuf sb = STRBUF_INIT;
        if (ours) {
            jsontext_dump(ours, &sb, 0);
            printf("  ours: %.600s\n", sb.buf);
        }
        if (text.len)
            printf("  Java: %.600s\n", text.buf);
        strbuf_release(&sb);
    }
    json_decref(theirs);
    json_decref(chain);
    strbuf_release(&text);
    strbuf_release(&err);
    strbuf_release(&path);
}

void javadiff_skip(void)
{
    if (java_run)
        n_skip++;
}

int javadiff_finish(void)
{
    if (!java_run)
        return 0;
    strbuf p = STRBUF_INIT;
    strbuf_addf(&p, "%s/spec.json", tmpdir);
    unlink(p.buf);
    strbuf_reset(&p);
    strbuf_addf(&p, "%s/input.json", tmpdir);
    unlink(p.buf);
    strbuf_release(&p);
    rmdir(tmpdir);
    printf("jolt vs java: %d same, %d differ, %d skipped\n", n_same, n_diff, n_skip);
    return n_diff;
}
