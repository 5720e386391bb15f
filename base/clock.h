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

/* Monotonic milliseconds, for rate limits, breakers and durations. */
static inline int64_t
mono_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wall-clock seconds since the epoch, for stored timestamps. */
static inline int64_t
wall_now_s(void)
{
	return (int64_t)time(NULL);
}

/* An injectable monotonic millisecond clock: components that decide by time
 * (rate limits, circuit breakers) take one so that tests can drive time by
 * hand. now_ms must be callable from any thread. */
struct ig_clock {
	int64_t (*now_ms)(void *ctx);
	void *ctx;
};

static inline int64_t
ig_clock_mono_ms(void *ctx)
{
	(void)ctx;
	return mono_now_ms();
}

/* The real clock (CLOCK_MONOTONIC). */
#define IG_CLOCK_MONO ((struct ig_clock){ig_clock_mono_ms, NULL})

/* Now on c, or on the real clock when c is NULL. */
static inline int64_t
ig_clock_now(const struct ig_clock *c)
{
	return c != NULL ? c->now_ms(c->ctx) : mono_now_ms();
}

#endif
