/*
 * cmd_next.c: `flowctl next FLOW [N]` prints the flow's next N due times
 * (5 by default), each as the wall clock in the flow's time zone with its
 * UTC offset and as UTC, so that an integration engineer can check a
 * pasted expression (and what the DST rule does to it) before deploying:
 *
 *   $ flowctl next orders 3
 *   orders: "0 0,30 * * * ? *" (quartz) in Europe/Istanbul
 *   2026-12-02 09:30:00 +03:00   2026-12-02 06:30:00Z
 *   ...
 *
 * --from TIME starts from another instant than now (UTC, "2026-03-29
 * 00:00[:SS]" or epoch milliseconds), to look at a DST change ahead. It
 * reads the flow files only (--flows); no broker or Redis.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "cron.h"
#include "flow.h"
#include "flowctl.h"

/* "YYYY-MM-DD HH:MM[:SS]" (or with a T, optional Z) in UTC, or epoch ms. */
static int parse_from(const char *s, int64_t *out)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    char sep = 0;
    int n = sscanf(s, "%d-%d-%d%c%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &sep, &tm.tm_hour, &tm.tm_min,
                   &tm.tm_sec);
    if (n >= 6 && (sep == ' ' || sep == 'T')) {
        tm.tm_year -= 1900;
        tm.tm_mon -= 1;
        *out = (int64_t)timegm(&tm) * 1000;
        return 0;
    }
    char *end;
    long long ms = strtoll(s, &end, 10);
    if (*s && !*end) {
        *out = ms;
        return 0;
    }
    return -1;
}

int cmd_next(int argc, char **argv)
{
    flowctl_env env;
    const char *name = NULL, *count = NULL, *from = NULL;
    flowctl_env_init(&env);
    for (int i = 1; i < argc; i++) {
        if (flowctl_env_opt(&env, argc, argv, &i))
            continue;
        if (strcmp(argv[i], "--from") == 0 && i + 1 < argc)
            from = argv[++i];
        else if (!name && argv[i][0] != '-')
            name = argv[i];
        else if (!count && argv[i][0] != '-')
            count = argv[i];
        else
            name = NULL, i = argc;
    }
    char *end = NULL;
    long n = count ? strtol(count, &end, 10) : 5;
    if (!name || (count && (*end || n < 1 || n > 1000))) {
        fprintf(stderr, "usage: flowctl next FLOW [N] [--from TIME]   (N 1-1000, default 5)\n");
        return 2;
    }
    int64_t t = clock_wall_ms();
    if (from && parse_from(from, &t) < 0) {
        fprintf(stderr, "flowctl next: --from wants \"YYYY-MM-DD HH:MM[:SS]\" (UTC) or epoch ms, got \"%s\"\n",
                from);
        return 2;
    }
    flow_set set;
    const flow *f;
    /* only the schedule is looked at: the flow's secrets need not be set here */
    if (flowctl_load_flow_flags(&env, name, FLOW_LOAD_NO_ENV, &set, &f) < 0)
        return 1;
    int rc = 0;
    const char *tz = f->timezone && *f->timezone ? f->timezone : "UTC";
    if (!f->cron) {
        fprintf(stderr, "flowctl next: flow \"%s\" has no schedule.cron (it runs when triggered only)\n", name);
        rc = 1;
    } else {
        printf("%s: \"%s\" (%s) in %s\n", f->name, f->cron_text ? f->cron_text : "", cron_kind(f->cron), tz);
        strbuf line = STRBUF_INIT;
        for (long k = 0; k < n; k++) {
            t = cron_next(f->cron, t, tz);
            if (t < 0) {
                printf("(no further due time within 5 years)\n");
                break;
            }
            time_t s = (time_t)(t / 1000);
            struct tm u;
            char ubuf[40];
            gmtime_r(&s, &u);
            strftime(ubuf, sizeof ubuf, "%Y-%m-%d %H:%M:%S", &u);
            strbuf_reset(&line);
            cron_local_time(t, tz, &line);
            if (t % 1000)
                printf("%s   %s.%03dZ\n", line.buf, ubuf, (int)(t % 1000));
            else
                printf("%s   %sZ\n", line.buf, ubuf);
        }
        strbuf_release(&line);
    }
    flow_set_release(&set);
    return rc;
}
