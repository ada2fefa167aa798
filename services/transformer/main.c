/* flowfleet-transformer: records -> Script Step -> Mapping Step -> mapped. */
#include "stage.h"
#include "worker.h"

int main(int argc, char **argv)
{
    worker_config cfg = { .service = "transformer", .input = TOPIC_RECORDS, .fn = stage_transform,
                          .load_flags = FLOW_LOAD_SCRIPTS };
    worker_parse_args(&cfg, argc, argv);
    return worker_run(&cfg);
}
