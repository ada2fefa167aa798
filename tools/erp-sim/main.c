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
        SIMHTTP_LONGOPTS,
        { "seed", required_argument, NULL, 's' },
        { "number-field", required_argument, NULL, 'n' },
        { "items-field", required_argument, NULL, 'i' },
        { "require-auth", no_argument, NULL, 'a' },
        { "username", required_argument, NULL, 'u' },
        { "password", required_argument, NULL, 'w' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    simhttp_options so = { NULL, 0, 0, NULL };
    erp_config cfg = { "number", "orderitem_set", 0, "flowfleet", "secret", 1 };
    int c;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (simhttp_option(&so, c, optarg))
            continue;
        switch (c) {
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
    int rc = simhttp_serve("erp-sim", &so, erp_handle, e);
    erp_free(e);
    return rc;
}
