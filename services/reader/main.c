/* flowfleet-reader: ticks -> one message per record on the records topic. */
#include "stage.h"
#include "worker.h"

int main(int argc, char **argv)
{
    worker_config cfg = { .service = "reader", .input = TOPIC_TICKS, .fn = stage_read };
    worker_parse_args(&cfg, argc, argv);
    return worker_run(&cfg);
}
