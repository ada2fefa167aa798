/* flowfleet-scheduler: one tick per flow per due time, from the leader. */
#include "scheduler.h"

int main(int argc, char **argv)
{
    worker_config cfg = { .service = "scheduler", .input = TOPIC_TICKS };
    worker_parse_args(&cfg, argc, argv);
    return scheduler_run(&cfg);
}
