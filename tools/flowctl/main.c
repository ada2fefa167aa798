/* flowctl: dispatch to the commands, and what they share: the fleet's
 * options, loading one flow, and checking that a broker answers before a
 * command hands the brokers to librdkafka (which would otherwise retry for
 * its whole timeout and say little about which broker it could not reach). */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "flow.h"
#include "flowctl.h"
#include "strbuf.h"

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *help;
} cmds[] = {
    { "validate", cmd_validate, "validate DIR|FILE                check flow files; every problem with file and field" },
    { "trigger", cmd_trigger, "trigger FLOW [--param k=v]...     emit a manual tick (is_triggered, triggered_by you)" },
    { "replay", cmd_replay, "replay FLOW [--since T] [--until T] [--error TEXT] [--key K] [--parked] [--dry-run]\n"
                            "                                  re-publish failed records (each once, its newest failure) to the\n"
                            "                                  stage they failed in, clearing their attempts; --parked: only\n"
                            "                                  records parked after max_attempts failures" },
    { "tail", cmd_tail, "tail [FLOW] [--from-beginning] [--no-follow] [--flow F] [--outcome O[,O]] [--key K]\n"
                        "     [--run R] [--steps] [--json]\n"
                        "                                  the log topic, human-readable, in order per run" },
    { "runs", cmd_runs, "runs [FLOW] [--last N]            the runs in the log topic, with their counts from Redis" },
    { "run", cmd_run, "run RUN_ID                        one run: its counters (Redis) and its records' events (log topic)" },
    { "show-failed", cmd_show_failed, "show-failed FLOW KEY              a failed record's newest copy: its body and failure context" },
    { "preview", cmd_preview, "preview FLOW --input FILE [--attr k=v]... [--json]\n"
                              "                                  run the flow's steps up to its writes and print the requests\n"
                              "                                  it would send (nothing is sent)" },
    { "order", cmd_order, "order FLOW NUMBER                 print one detailed order from Omnitron (script test input)" },
    { "example", cmd_order, "example FLOW KEY                  print one record as the flow's reader would publish it" },
    { "settings", cmd_settings, "settings [TYPE]                   print the settings table (shared, or a flow type's) as Markdown" },
    { "map", cmd_map, "map --spec SPEC --input IN [--context CTX]   run a Jolt mapping" },
    { "el", cmd_el, "el 'EXPR' [--attr k=v]...         evaluate a NiFi Expression Language template" },
    { "next", cmd_next, "next FLOW [N] [--from TIME]       the next N due times (default 5), local and UTC" },
    { "test-script", cmd_test_script, "test-script --script F --input F [--attr k=v]...   run a script on one record" },
};

void flowctl_env_init(flowctl_env *env)
{
    const char *v;
    env->brokers = (v = getenv("FLOWFLEET_BROKERS")) && *v ? v : "127.0.0.1:9092";
    env->prefix = (v = getenv("FLOWFLEET_PREFIX")) && *v ? v : "ff";
    env->flows = (v = getenv("FLOWFLEET_FLOWS")) && *v ? v : "flows";
    env->redis = (v = getenv("FLOWFLEET_REDIS")) && *v ? v : "127.0.0.1:6379";
    env->kafka = NULL;
    bus_settings_add(&env->kafka, getenv("FLOWFLEET_KAFKA"));
}

bus_config flowctl_bus_config(const flowctl_env *env)
{
    bus_config bc = { env->brokers, "flowctl", NULL, 0, 0, (const char *const *)env->kafka };
    return bc;
}

/* Whether one "host:port" of a broker list answers a TCP connect within
 * timeout_ms. 0, or -1 with the reason in why. */
static int broker_reachable(const char *hostport, int timeout_ms, strbuf *why)
{
    strbuf host = STRBUF_INIT;
    const char *hp = hostport;
    const char *scheme = strstr(hp, "://");
    if (scheme)
        hp = scheme + 3;
    const char *colon = strrchr(hp, ':');
    const char *port = colon ? colon + 1 : "9092";
    if (hp[0] == '[' && colon && colon > hp && colon[-1] == ']')
        strbuf_add(&host, hp + 1, (size_t)(colon - hp - 2));
    else
        strbuf_add(&host, hp, colon ? (size_t)(colon - hp) : strlen(hp));
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    int g = getaddrinfo(host.buf, port, &hints, &res);
    strbuf_release(&host);
    if (g != 0) {
        strbuf_setf(why, "%s: %s", hostport, gai_strerror(g));
        return -1;
    }
    int ok = -1;
    strbuf_setf(why, "%s: no address", hostport);
    for (struct addrinfo *a = res; a && ok < 0; a = a->ai_next) {
        int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK, a->ai_protocol);
        if (fd < 0)
            continue;
        int r = connect(fd, a->ai_addr, a->ai_addrlen);
        if (r < 0 && errno == EINPROGRESS) {
            struct pollfd p = { fd, POLLOUT, 0 };
            int soerr = 0;
            socklen_t sl = sizeof soerr;
            if (poll(&p, 1, timeout_ms) == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0)
                r = soerr ? -1 : 0, errno = soerr;
            else
                r = -1, errno = ETIMEDOUT;
        }
        if (r == 0)
            ok = 0;
        else
            strbuf_setf(why, "%s: %s", hostport, strerror(errno));
        close(fd);
    }
    freeaddrinfo(res);
    return ok;
}

int flowctl_brokers_reachable(const flowctl_env *env, const char *what)
{
    strbuf list = STRBUF_INIT, why = STRBUF_INIT, whys = STRBUF_INIT;
    strbuf_addstr(&list, env->brokers);
    int ok = 0;
    for (char *save = NULL, *t = strtok_r(list.buf, ",", &save); t && !ok; t = strtok_r(NULL, ",", &save)) {
        while (*t == ' ')
            t++;
        if (!*t)
            continue;
        if (broker_reachable(t, 3000, &why) == 0)
            ok = 1;
        else
            strbuf_addf(&whys, "%s%s", whys.len ? "; " : "", why.buf);
    }
    if (!ok)
        fprintf(stderr, "%s: cannot reach the Kafka broker%s %s (--brokers or FLOWFLEET_BROKERS): %s\n", what,
                strchr(env->brokers, ',') ? "s" : "", env->brokers, whys.len ? whys.buf : "no broker given");
    strbuf_release(&list);
    strbuf_release(&why);
    strbuf_release(&whys);
    return ok ? 0 : -1;
}

int flowctl_env_opt(flowctl_env *env, int argc, char **argv, int *i)
{
    const char *names[] = { "--brokers", "--prefix", "--flows", "--redis" };
    const char **dst[] = { &env->brokers, &env->prefix, &env->flows, &env->redis };
    for (int k = 0; k < 4; k++)
        if (strcmp(argv[*i], names[k]) == 0 && *i + 1 < argc) {
            *dst[k] = argv[++*i];
            return 1;
        }
    if (strcmp(argv[*i], "--kafka") == 0 && *i + 1 < argc) {
        bus_settings_add(&env->kafka, argv[++*i]);
        return 1;
    }
    return 0;
}

int flowctl_kv(attrs *a, const char *kv, const char *what)
{
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv) {
        fprintf(stderr, "%s wants k=v, got '%s'\n", what, kv);
        return -1;
    }
    strbuf key = STRBUF_INIT;
    strbuf_add(&key, kv, (size_t)(eq - kv));
    attrs_set(a, key.buf, eq + 1);
    strbuf_release(&key);
    return 0;
}

int flowctl_load_flow(const flowctl_env *env, const char *name, flow_set *set, const flow **f)
{
    return flowctl_load_flow_flags(env, name, 0, set, f);
}

int flowctl_load_flow_flags(const flowctl_env *env, const char *name, int flags, flow_set *set, const flow **f)
{
    strbuf err = STRBUF_INIT;
    flow_set_load(set, env->flows, flags, &err);
    *f = flow_set_find(set, name);
    if (!*f) {
        fprintf(stderr, "flowctl: no valid flow named \"%s\" in %s\n%s%s", name, env->flows, err.buf,
                err.len ? "\n" : "");
        flow_set_release(set);
    }
    strbuf_release(&err);
    return *f ? 0 : -1;
}

static void usage(FILE *out)
{
    fprintf(out, "usage: flowctl COMMAND [ARGS]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        fprintf(out, "  %s\n", cmds[i].help);
    fprintf(out, "\nshared options: --brokers HOST:PORT --prefix ff --flows DIR --redis HOST:PORT\n"
                 "                --kafka KEY=VALUE (a librdkafka setting; repeatable)\n"
                 "(or FLOWFLEET_BROKERS, FLOWFLEET_PREFIX, FLOWFLEET_FLOWS, FLOWFLEET_REDIS,\n"
                 " FLOWFLEET_KAFKA=\"KEY=VALUE;KEY=VALUE\")\n");
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (strcmp(argv[1], cmds[i].name) == 0) {
            /* --help on any command: its line of the usage, never an attempt
             * to run it with "--help" as an argument */
            for (int k = 2; k < argc; k++)
                if (!strcmp(argv[k], "--help") || !strcmp(argv[k], "-h")) {
                    printf("usage: flowctl %s\n", cmds[i].help);
                    printf("shared options: --brokers HOST:PORT --prefix ff --flows DIR --redis HOST:PORT --kafka KEY=VALUE\n");
                    return 0;
                }
            return cmds[i].fn(argc - 1, argv + 1);
        }
    fprintf(stderr, "flowctl: unknown command \"%s\"\n", argv[1]);
    usage(stderr);
    return 2;
}
