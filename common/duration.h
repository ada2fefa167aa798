/*
 * duration: the one parser of human durations, used by flow files
 * ("timeout": "30s") and schedules ("@every 1h30m").
 */
#ifndef FF_DURATION_H
#define FF_DURATION_H

#include <stdint.h>

/* Parses a sum of number+unit pairs: "250ms", "30s", "5m", "1h30m", "2d".
 * A bare whole number means seconds. 0 with *out in milliseconds, or -1
 * when malformed or absurdly large. */
int duration_parse_ms(const char *text, int64_t *out);

#endif
