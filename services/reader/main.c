/* flowfleet-reader: ticks -> one message per record on the records topic. */
#include <stdio.h>
#include <string.h>

#include "stages.h"
#include "worker.h"

static void on_tick(stage_ctx *c, envelope *tick)
{
    const flow *f = flow_set_find(c->flows, tick->flow);
    if (!f) {
        fprintf(stderr, "reader: tick for unknown flow \"%s\" ignored\n", tick->flow);
        return;
    }
    stage_read_orders(c, f, tick);
}

int main(int argc, char **argv)
{
    worker_config cfg = { .service = "reader", .input = TOPIC_TICKS, .fn = on_tick };
    worker_parse_args(&cfg, argc, argv);
    return worker_run(&cfg);
}
