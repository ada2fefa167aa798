/* flowfleet-receiver: ERP pushes and trigger URLs -> Kafka (receiver.h). */
#include "receiver.h"

int main(int argc, char **argv)
{
    worker_config cfg = { .service = "receiver", .input = TOPIC_RECORDS };
    worker_parse_args(&cfg, argc, argv);
    return receiver_run(&cfg);
}
