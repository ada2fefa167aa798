/*
 * clock: the one clock of the fleet. Two readings, never mixed:
 *
 *   clock_wall_ms()  milliseconds since the epoch (CLOCK_REALTIME): what is
 *                    written down (log events, run start times, cron due
 *                    times, tokens' "stored at" stamps);
 *   clock_mono_ms()  milliseconds on a clock that never jumps
 *                    (CLOCK_MONOTONIC), with sub-millisecond precision: what
 *                    is measured (durations, timeouts, sleeps, deadlines).
 *
 * A duration is always the difference of two clock_mono_ms() readings; a
 * wall time never measures one (NTP may step it).
 */
#ifndef FF_CLOCK_H
#define FF_CLOCK_H

#include <stdint.h>

int64_t clock_wall_ms(void);
double clock_mono_ms(void);

#endif
