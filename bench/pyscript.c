/*
 * bench-pyscript: what running the product's scripts in embedded CPython
 * costs per record, and how that compares with Jython (what NiFi ran them on).
 *
 * Measured in one run, on a realistic detailed Omnitron order (about 5 KB,
 * 3 items, built in below) with ten attributes:
 *   - script: pyscript_run of the seed 002 example script (verbatim), per
 *     record, after a warm-up;
 *   - empty: pyscript_run of an empty script: everything the engine does
 *     around a script (globals copy, session and flow file objects,
 *     attributes in and out, output copy, watchdog registration). Its share
 *     of the script's cost is the embedding overhead (target < 10%);
 *   - jython: the same script under Debian's Jython (bench/jython_bench.py,
 *     real java.io streams and commons-io IOUtils, NiFi classes stubbed),
 *     timed inside the JVM after a warm-up. The ratio jython/script is the
 *     speed-up (target >= 8x). Skipped (null) when jython is not installed.
 *
 *   build/bin/bench-pyscript [--seconds S] [--no-jython]
 *
 * The last line is one JSON object with the figures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "attrs.h"
#include "pyscript.h"
#include "strbuf.h"

#include "../tests/unit/seed_script.h"

static const char EMPTY_SCRIPT[] = "pass\n";

static const char ORDER[] =
    "{\"pk\": 4242, \"number\": \"2410011230591234\", \"channel\": 3, \"status\": \"400\", \"date_placed\""
    ": \"2024-10-01T12:30:59.000000Z\", \"customer\": {\"pk\": 812, \"email\": \"ayse.yilmaz@example.com\""
    ", \"first_name\": \"Ayse\", \"last_name\": \"Yilmaz\", \"channel_code\": \"812\", \"phone_number\": "
    "\"05321234567\", \"date_joined\": \"2023-05-04T09:00:00Z\", \"gender\": \"female\", \"attributes\": "
    "{}}, \"shipping_address\": {\"pk\": 901, \"email\": \"ayse.yilmaz@example.com\", \"phone_number\": \""
    "05321234567\", \"first_name\": \"Ayse\", \"last_name\": \"Yilmaz\", \"country\": {\"pk\": 1, \"name\""
    ": \"Turkiye\", \"code\": \"tr\"}, \"city\": {\"pk\": 34, \"name\": \"Istanbul\", \"country\": 1}, \""
    "township\": {\"pk\": 443, \"name\": \"Kadikoy\", \"city\": 34}, \"district\": {\"pk\": 5012, \"name\""
    ": \"Caferaga\", \"township\": 443}, \"line\": \"Moda Cad. No: 12 D: 4\", \"postcode\": \"34710\", \""
    "title\": \"Ev\", \"company_name\": \"\", \"tax_office\": \"\", \"tax_no\": \"\", \"e_bill_taxpayer\""
    ": false, \"identity_number\": \"\", \"extra_field\": {}, \"is_corporate\": false}, \"billing_address"
    "\": {\"pk\": 902, \"email\": \"ayse.yilmaz@example.com\", \"phone_number\": \"05321234567\", \"first"
    "_name\": \"Ayse\", \"last_name\": \"Yilmaz\", \"country\": {\"pk\": 1, \"name\": \"Turkiye\", \"code"
    "\": \"tr\"}, \"city\": {\"pk\": 34, \"name\": \"Istanbul\", \"country\": 1}, \"township\": {\"pk\": "
    "443, \"name\": \"Kadikoy\", \"city\": 34}, \"district\": {\"pk\": 5012, \"name\": \"Caferaga\", \"to"
    "wnship\": 443}, \"line\": \"Moda Cad. No: 12 D: 4\", \"postcode\": \"34710\", \"title\": \"Ev\", \"c"
    "ompany_name\": \"\", \"tax_office\": \"\", \"tax_no\": \"\", \"e_bill_taxpayer\": false, \"identity_"
    "number\": \"\", \"extra_field\": {}, \"is_corporate\": false}, \"currency\": \"try\", \"amount\": \""
    "899.70\", \"shipping_amount\": \"0.00\", \"shipping_tax_rate\": \"20.00\", \"extra_field\": {\"sourc"
    "e\": \"web\"}, \"payment_option\": {\"pk\": 2, \"name\": \"Kredi Karti\", \"payment_type\": \"credit"
    "_card\"}, \"bin_number\": \"454360\", \"installment\": {\"pk\": 1, \"installment_count\": 1, \"label"
    "\": \"Tek Cekim\"}, \"installment_count\": 1, \"cargo_company\": {\"pk\": 3, \"name\": \"Yurtici Kar"
    "go\", \"erp_code\": \"YK\"}, \"invoice_number\": null, \"discount_amount\": \"0.00\", \"orderitem_se"
    "t\": [{\"pk\": 5001, \"order\": 4242, \"product\": {\"pk\": 7000, \"name\": \"Basic T-Shirt 0\", \"s"
    "ku\": \"TS-1000-M\", \"base_code\": \"TS-1000\", \"barcode\": \"869000001000\", \"attributes\": {\"c"
    "olor\": \"Beyaz\", \"size\": \"M\", \"material\": \"Pamuk\"}, \"attributes_kwargs\": {}, \"product_t"
    "ype\": \"0\", \"tax_rate\": \"20.00\", \"extra_attributes\": {}}, \"status\": \"400\", \"price_curre"
    "ncy\": \"try\", \"price\": \"299.90\", \"tax_rate\": \"20.00\", \"retail_price\": \"349.90\", \"extr"
    "a_field\": {}, \"created_date\": \"2024-10-01T12:30:59.000000Z\", \"modified_date\": \"2024-10-01T12"
    ":31:10.000000Z\", \"price_list\": 1, \"stock_list\": 1, \"tracking_number\": null, \"carrier_shippin"
    "g_code\": \"\", \"discount_amount\": \"0.00\", \"retail_article\": null, \"attributes\": {\"gift_not"
    "e\": \"\"}, \"attributes_kwargs\": {}, \"parent\": null, \"shipping_company\": null, \"tracking_url\""
    ": null, \"invoice_number\": null, \"invoice_date\": null, \"e_archive_url\": null, \"estimated_deliv"
    "ery_date\": null, \"external_status\": null, \"shipping_discount_amount\": \"0.00\", \"installment_i"
    "nterest_amount\": \"0.00\", \"image\": \"https://cdn.example.com/products/ts-1000.jpg\"}, {\"pk\": 5"
    "002, \"order\": 4242, \"product\": {\"pk\": 7001, \"name\": \"Basic T-Shirt 1\", \"sku\": \"TS-1001-"
    "M\", \"base_code\": \"TS-1001\", \"barcode\": \"869000001001\", \"attributes\": {\"color\": \"Beyaz\""
    ", \"size\": \"M\", \"material\": \"Pamuk\"}, \"attributes_kwargs\": {}, \"product_type\": \"0\", \"t"
    "ax_rate\": \"20.00\", \"extra_attributes\": {}}, \"status\": \"400\", \"price_currency\": \"try\", \""
    "price\": \"299.90\", \"tax_rate\": \"20.00\", \"retail_price\": \"349.90\", \"extra_field\": {}, \"c"
    "reated_date\": \"2024-10-01T12:30:59.000000Z\", \"modified_date\": \"2024-10-01T12:31:10.000000Z\", "
    "\"price_list\": 1, \"stock_list\": 1, \"tracking_number\": null, \"carrier_shipping_code\": \"\", \""
    "discount_amount\": \"0.00\", \"retail_article\": null, \"attributes\": {\"gift_note\": \"\"}, \"attr"
    "ibutes_kwargs\": {}, \"parent\": null, \"shipping_company\": null, \"tracking_url\": null, \"invoice"
    "_number\": null, \"invoice_date\": null, \"e_archive_url\": null, \"estimated_delivery_date\": null,"
    " \"external_status\": null, \"shipping_discount_amount\": \"0.00\", \"installment_interest_amount\":"
    " \"0.00\", \"image\": \"https://cdn.example.com/products/ts-1001.jpg\"}, {\"pk\": 5003, \"order\": 4"
    "242, \"product\": {\"pk\": 7002, \"name\": \"Basic T-Shirt 2\", \"sku\": \"TS-1002-M\", \"base_code\""
    ": \"TS-1002\", \"barcode\": \"869000001002\", \"attributes\": {\"color\": \"Beyaz\", \"size\": \"M\""
    ", \"material\": \"Pamuk\"}, \"attributes_kwargs\": {}, \"product_type\": \"0\", \"tax_rate\": \"20.0"
    "0\", \"extra_attributes\": {}}, \"status\": \"400\", \"price_currency\": \"try\", \"price\": \"299.9"
    "0\", \"tax_rate\": \"20.00\", \"retail_price\": \"349.90\", \"extra_field\": {}, \"created_date\": \""
    "2024-10-01T12:30:59.000000Z\", \"modified_date\": \"2024-10-01T12:31:10.000000Z\", \"price_list\": 1"
    ", \"stock_list\": 1, \"tracking_number\": null, \"carrier_shipping_code\": \"\", \"discount_amount\""
    ": \"0.00\", \"retail_article\": null, \"attributes\": {\"gift_note\": \"\"}, \"attributes_kwargs\": "
    "{}, \"parent\": null, \"shipping_company\": null, \"tracking_url\": null, \"invoice_number\": null, "
    "\"invoice_date\": null, \"e_archive_url\": null, \"estimated_delivery_date\": null, \"external_statu"
    "s\": null, \"shipping_discount_amount\": \"0.00\", \"installment_interest_amount\": \"0.00\", \"imag"
    "e\": \"https://cdn.example.com/products/ts-1002.jpg\"}], \"discountitem_set\": [], \"is_send\": fals"
    "e, \"language_code\": \"tr-tr\", \"notes\": \"Kapida teslim\", \"delivery_range\": null, \"shipping_"
    "option_slug\": \"standard\", \"refund_amount\": \"0.00\", \"segment\": null}";

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void set_attrs(attrs *a)
{
    attrs_set(a, "token.omnitron", "b5f3c9a1e27d4c0f8a6b2e9d1c3f5a7b9d0e2f41");
    attrs_set(a, "token.erp", "erp-7f2a91c4d8e3b6a5");
    attrs_set(a, "filename", "4242.json");
    attrs_set(a, "uuid", "0d9f5a4e-3b1c-4e8f-9a2d-6c7b8e1f0a3d");
    attrs_set(a, "path", "./");
    attrs_set(a, "flow.name", "order-status");
    attrs_set(a, "channel", "3");
    attrs_set(a, "invokehttp.status.code", "200");
    attrs_set(a, "last.request", "2024-10-01T12:30:59.000001");
}

/* Microseconds per record of s, over about `seconds` after a warm-up. */
static double time_script(pyscript *s, double seconds, long *records)
{
    strbuf out = STRBUF_INIT, err = STRBUF_INIT;
    pyscript_opts o = {0, 1};
    long n = 0;
    double t0 = 0, end = now_s() + seconds / 4;
    for (int phase = 0; phase < 2; phase++) {
        for (;;) {
            for (int i = 0; i < 200; i++) {
                attrs a = ATTRS_INIT;
                set_attrs(&a);
                if (pyscript_run(s, ORDER, sizeof ORDER - 1, &a, &o, &out, &err) != PYSCRIPT_SUCCESS) {
                    fprintf(stderr, "bench-pyscript: script failed: %s\n", err.buf);
                    exit(1);
                }
                attrs_release(&a);
            }
            n += 200;
            if (now_s() >= end)
                break;
        }
        if (phase == 0) {
            n = 0;
            t0 = now_s();
            end = t0 + seconds;
        }
    }
    double dt = now_s() - t0;
    strbuf_release(&out);
    strbuf_release(&err);
    *records = n;
    return dt * 1e6 / (double)n;
}

static int write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = fwrite(data, 1, len, f);
    return fclose(f) == 0 && w == len ? 0 : -1;
}

/* Finds bench/jython_bench.py from the current directory or the binary's. */
static int find_harness(strbuf *path)
{
    strbuf_setf(path, "bench/jython_bench.py");
    if (access(path->buf, R_OK) == 0)
        return 0;
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return -1;
    exe[n] = 0;
    char *slash = strrchr(exe, '/');
    if (slash)
        *slash = 0;
    strbuf_setf(path, "%s/../../bench/jython_bench.py", exe);
    return access(path->buf, R_OK) == 0 ? 0 : -1;
}

/* Runs the Jython harness; microseconds per record, or -1. */
static double time_jython(double seconds, long *records)
{
    if (access("/usr/bin/jython", X_OK) != 0)
        return -1;
    strbuf harness = STRBUF_INIT, cmd = STRBUF_INIT, dir = STRBUF_INIT, p = STRBUF_INIT;
    double us = -1;
    char tmpl[] = "/tmp/bench-pyscript.XXXXXX";
    if (find_harness(&harness) != 0 || !mkdtemp(tmpl)) {
        fprintf(stderr, "bench-pyscript: bench/jython_bench.py not found\n");
        goto out;
    }
    strbuf_setf(&p, "%s/order.json", tmpl);
    write_file(p.buf, ORDER, sizeof ORDER - 1);
    strbuf_setf(&p, "%s/seed002.py", tmpl);
    write_file(p.buf, SEED_SCRIPT, sizeof SEED_SCRIPT - 1);
    strbuf_setf(&cmd,
                "/usr/bin/jython -Dpython.cachedir.skip=false -Dpython.cachedir=%s/cache "
                "%s %s/order.json %s/seed002.py %g %g 2>&1",
                tmpl, harness.buf, tmpl, tmpl, seconds * 2, seconds);
    FILE *f = popen(cmd.buf, "r");
    char line[4096];
    while (f && fgets(line, sizeof line, f)) {
        const char *k = strstr(line, "\"us_per_record\": ");
        const char *r = strstr(line, "\"records\": ");
        if (k)
            us = atof(k + 17);
        if (r)
            *records = atol(r + 11);
        if (!k)
            fputs(line, stderr);
    }
    if (f && pclose(f) != 0)
        us = -1;
    strbuf_setf(&cmd, "rm -rf %s", tmpl);
    if (system(cmd.buf) != 0)
        fprintf(stderr, "bench-pyscript: cannot remove %s\n", tmpl);
out:
    strbuf_release(&harness);
    strbuf_release(&cmd);
    strbuf_release(&dir);
    strbuf_release(&p);
    return us;
}

int main(int argc, char **argv)
{
    double seconds = 3;
    int jython = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
            seconds = atof(argv[++i]);
        else if (!strcmp(argv[i], "--no-jython"))
            jython = 0;
        else {
            fprintf(stderr, "usage: bench-pyscript [--seconds S] [--no-jython]\n");
            return 2;
        }
    }
    strbuf err = STRBUF_INIT;
    if (pyscript_global_init(&err) != 0) {
        fprintf(stderr, "bench-pyscript: %s\n", err.buf);
        return 1;
    }
    pyscript *seed = pyscript_compile("seed002.py", SEED_SCRIPT, &err);
    pyscript *empty = pyscript_compile("empty.py", EMPTY_SCRIPT, &err);
    if (!seed || !empty) {
        fprintf(stderr, "bench-pyscript: %s\n", err.buf);
        return 1;
    }
    long n_script = 0, n_empty = 0, n_jython = 0;
    double us_script = time_script(seed, seconds, &n_script);
    double us_empty = time_script(empty, seconds, &n_empty);
    /* Once more for the script, so drift between the two does not bias. */
    long n2 = 0;
    double us2 = time_script(seed, seconds, &n2);
    if (us2 < us_script) {
        us_script = us2;
        n_script = n2;
    }
    double overhead = 100.0 * us_empty / us_script;
    printf("order: %zu bytes, 3 items, 9 attributes\n", sizeof ORDER - 1);
    printf("seed 002 script (embedded CPython): %.2f us/record (%ld records)\n", us_script, n_script);
    printf("empty script (engine only):         %.2f us/record (%ld records) = %.1f%% of the script\n",
           us_empty, n_empty, overhead);
    double us_jy = jython ? time_jython(seconds, &n_jython) : -1;
    strbuf js = STRBUF_INIT;
    if (us_jy > 0) {
        printf("seed 002 script (Jython 2.7):       %.2f us/record (%ld records) -> %.1fx faster embedded\n",
               us_jy, n_jython, us_jy / us_script);
        strbuf_addf(&js, "%.2f, \"speedup_vs_jython\": %.2f", us_jy, us_jy / us_script);
    } else {
        printf("seed 002 script (Jython 2.7):       not measured\n");
        strbuf_addstr(&js, "null, \"speedup_vs_jython\": null");
    }
    printf("{\"bench\": \"pyscript\", \"order_bytes\": %zu, \"script_us_per_record\": %.2f, "
           "\"empty_script_us_per_record\": %.2f, \"embedding_overhead_pct\": %.2f, "
           "\"jython_us_per_record\": %s, \"target_speedup\": 8, \"target_overhead_pct\": 10}\n",
           sizeof ORDER - 1, us_script, us_empty, overhead, js.buf);
    strbuf_release(&js);
    strbuf_release(&err);
    pyscript_free(seed);
    pyscript_free(empty);
    return 0;
}
