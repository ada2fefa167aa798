/*
 * omnitron-sim: a simulated Omnitron (Akinon OMS) API for flowfleet's tests,
 * demo and benchmark. This file parses options and runs the server; the
 * routes are in omni.c and the generated data in omni_data.c.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "omni.h"
#include "simhttp.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: omnitron-sim [--orders N] [--channels 1,2] [--canceled-every K] [--seed S]\n"
            "                    [--port P] [--port-file F] [--bind ADDR] [--threads N]\n"
            "                    [--username U] [--password P]\n"
            "  --orders N: orders to generate (100); every K-th (by pk) is canceled (K=0: none)\n"
            "  --port 0 (default) picks a free port; --port-file gets the bound port.\n"
            "  Login: POST /api/v1/auth/login/ with the username/password (flowfleet/secret).\n");
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "orders", required_argument, NULL, 'o' },
        { "channels", required_argument, NULL, 'c' },
        { "canceled-every", required_argument, NULL, 'k' },
        { "seed", required_argument, NULL, 's' },
        SIMHTTP_LONGOPTS,
        { "username", required_argument, NULL, 'u' },
        { "password", required_argument, NULL, 'w' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    simhttp_options so = { NULL, 0, 0, NULL };
    omni_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.orders = 100;
    cfg.channels[0] = 1;
    cfg.nchannels = 1;
    cfg.seed = 1;
    cfg.username = "flowfleet";
    cfg.password = "secret";
    int c;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (simhttp_option(&so, c, optarg))
            continue;
        switch (c) {
        case 'o': cfg.orders = atoi(optarg); break;
        case 'c':
            if (omni_parse_channels(optarg, &cfg) != 0) {
                fprintf(stderr, "omnitron-sim: bad --channels '%s' (want e.g. 1,2)\n", optarg);
                return 2;
            }
            break;
        case 'k': cfg.canceled_every = atoi(optarg); break;
        case 's': cfg.seed = strtoull(optarg, NULL, 10); break;
        case 'u': cfg.username = optarg; break;
        case 'w': cfg.password = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc || cfg.orders < 0 || cfg.orders > 10000000 || cfg.canceled_every < 0) {
        usage(stderr);
        return 2;
    }
    omni *om = omni_new(&cfg);
    int rc = simhttp_serve("omnitron-sim", &so, omni_handle, om);
    omni_free(om);
    return rc;
}
