/* flowctl: the operators' and integration engineers' command line. Each
 * command is one function cmd_<name>; related commands share a file
 * (cmd_ops.c: validate, trigger, replay; cmd_tail.c: tail; cmd_runs.c:
 * runs, run, show-failed; cmd_preview.c: preview); main.c dispatches. */
#ifndef FLOWCTL_H
#define FLOWCTL_H

#include "attrs.h"
#include "bus.h"

int cmd_validate(int argc, char **argv);
int cmd_trigger(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_tail(int argc, char **argv);
int cmd_order(int argc, char **argv);
int cmd_settings(int argc, char **argv);
int cmd_map(int argc, char **argv);
int cmd_el(int argc, char **argv);
int cmd_test_script(int argc, char **argv);
int cmd_next(int argc, char **argv);
int cmd_runs(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_show_failed(int argc, char **argv);
int cmd_preview(int argc, char **argv);

/* Shared option values: --brokers, --prefix, --flows (and FLOWFLEET_* env). */
typedef struct flowctl_env {
    const char *brokers;
    const char *prefix;
    const char *flows;
    const char *redis;
    char **kafka;               /* librdkafka settings: FLOWFLEET_KAFKA, then --kafka */
} flowctl_env;
void flowctl_env_init(flowctl_env *env);
/* The bus configuration of a flowctl command (producer only). */
bus_config flowctl_bus_config(const flowctl_env *env);
/* 0 when one of env->brokers answers a TCP connect (3 s each); -1 after
 * saying on stderr, prefixed by what ("flowctl trigger"), which broker
 * could not be reached and why. */
int flowctl_brokers_reachable(const flowctl_env *env, const char *what);
/* Consumes a shared option at argv[*i] (advancing *i); 1 if it was one. */
int flowctl_env_opt(flowctl_env *env, int argc, char **argv, int *i);

struct flow;
struct flow_set;
/* Loads the flows of env->flows and finds name: 0, or -1 after saying why
 * (the set is then freed). */
int flowctl_load_flow(const flowctl_env *env, const char *name, struct flow_set *set, const struct flow **f);
/* The same with flow_load's flags (FLOW_LOAD_NO_ENV: secrets not needed). */
int flowctl_load_flow_flags(const flowctl_env *env, const char *name, int flags, struct flow_set *set,
                            const struct flow **f);

/* Parses one "key=value" argument of --attr / --param into a (value may be
 * empty or hold more '='; key may not be empty). 0, or -1 after printing
 * "<what> wants k=v, got '<kv>'" on stderr, what being e.g.
 * "flowctl el: --attr". */
int flowctl_kv(attrs *a, const char *kv, const char *what);

#endif
