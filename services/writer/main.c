/* flowfleet-writer: mapped -> ERP and Omnitron writes -> log topic. */
#include "stage.h"
#include "worker.h"

int main(int argc, char **argv)
{
    worker_config cfg = { .service = "writer", .input = TOPIC_MAPPED, .fn = stage_write,
                          .load_flags = FLOW_LOAD_SCRIPTS };
    worker_parse_args(&cfg, argc, argv);
    return worker_run(&cfg);
}
