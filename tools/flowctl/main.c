/* flowctl: dispatch to the commands. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    { "tail", cmd_tail, "tail [FLOW] [--from-beginning]    follow the log topic, human-readable" },
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
    strbuf err = STRBUF_INIT;
    flow_set_load(set, env->flows, 0, &err);
    *f = flow_set_find(set, name);
    if (!*f) {
        fprintf(stderr, "flowctl: no valid flow named \"%s\" in %s\n%s%s", name, env->flows, err.buf,
                err.len ? "\n" : "");
        flow_set_free(set);
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
        if (strcmp(argv[1], cmds[i].name) == 0)
            return cmds[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "flowctl: unknown command \"%s\"\n", argv[1]);
    usage(stderr);
    return 2;
}
