/*
 * erp-sim: a simulated ERP over HTTP for flowfleet's tests, demo and
 * benchmark. This file parses options and runs the server; the routes and
 * state are in erp.c.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "erp.h"
#include "simhttp.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: erp-sim [--port P] [--port-file F] [--bind ADDR] [--threads N] [--seed S]\n"
            "               [--number-field PATH] [--items-field PATH]\n"
            "               [--require-auth] [--username U] [--password P]\n"
            "  --port 0 (default) picks a free port; --port-file gets the bound port.\n"
            "  --number-field: dotted path of the order number in written bodies (number)\n"
            "  --items-field: dotted path of the item array (orderitem_set)\n");
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "port", required_argument, NULL, 'p' },
        { "port-file", required_argument, NULL, 'f' },
        { "bind", required_argument, NULL, 'b' },
        { "threads", required_argument, NULL, 't' },
        { "seed", required_argument, NULL, 's' },
        { "number-field", required_argument, NULL, 'n' },
        { "items-field", required_argument, NULL, 'i' },
        { "require-auth", no_argument, NULL, 'a' },
        { "username", required_argument, NULL, 'u' },
        { "password", required_argument, NULL, 'w' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    simhttp_options so = { NULL, 0, 0 };
    erp_config cfg = { "number", "orderitem_set", 0, "flowfleet", "secret", 1 };
    const char *port_file = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'p': so.port = atoi(optarg); break;
        case 'f': port_file = optarg; break;
        case 'b': so.bind = optarg; break;
        case 't': so.threads = atoi(optarg); break;
        case 's': cfg.seed = strtoull(optarg, NULL, 10); break;
        case 'n': cfg.number_field = optarg; break;
        case 'i': cfg.items_field = optarg; break;
        case 'a': cfg.require_auth = 1; break;
        case 'u': cfg.username = optarg; break;
        case 'w': cfg.password = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        usage(stderr);
        return 2;
    }
    erp *e = erp_new(&cfg);
    strbuf err = STRBUF_INIT;
    simhttp_block_signals();
    simhttp_server *s = simhttp_start(&so, erp_handle, e, &err);
    if (!s) {
        fprintf(stderr, "erp-sim: %s\n", err.buf);
        return 1;
    }
    if (port_file && simhttp_write_port_file(port_file, simhttp_port(s), &err) != 0) {
        fprintf(stderr, "erp-sim: %s\n", err.buf);
        simhttp_stop(s);
        return 1;
    }
    printf("listening on %s:%d\n", so.bind ? so.bind : "127.0.0.1", simhttp_port(s));
    fflush(stdout);
    simhttp_run_until_signal();
    simhttp_stop(s);
    erp_free(e);
    strbuf_release(&err);
    return 0;
}
