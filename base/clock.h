#ifndef IG_BASE_CLOCK_H
#define IG_BASE_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Monotonic seconds, for timeouts and idle expiry. */
static inline int64_t
mono_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec;
}

/* Wall-clock seconds since the epoch, for stored timestamps. */
static inline int64_t
wall_now_s(void)
{
	return (int64_t)time(NULL);
}

#endif
