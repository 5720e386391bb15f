#ifndef IG_HANDLERS_RATELIMIT_H
#define IG_HANDLERS_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#include "base/clock.h"
#include "base/err.h"

/* Token buckets (DESIGN §8): a bucket of `count` tokens refilled evenly over
 * `period_s`, so a burst of up to `count` calls passes and the steady rate is
 * count/period. Buckets are keyed by short strings chosen by the caller
 * ("t:<token id>", "a:<account>:send", ...) and created on first use. Locks
 * are sharded by key hash (LIM_RATE_SHARDS), so a tenant at its limit never
 * waits for another tenant. At most LIM_RATE_BUCKETS buckets exist; full
 * buckets (indistinguishable from new ones) are evicted first. Refusal is
 * immediate, never a wait. Thread-safe. */

struct rl;

struct rl_rate {
	uint32_t count;    /* tokens per period; 0: unlimited (no bucket) */
	uint32_t period_s; /* >= 1 */
};

/* One bucket to draw one token from. key: at most 127 bytes. */
struct rl_req {
	const char *key;
	struct rl_rate rate;
};

/* A limiter on clock (copied; NULL: the real monotonic clock), or NULL. */
struct rl *rl_new(const struct ig_clock *clock);
void rl_free(struct rl *r); /* NULL-safe */

/* Takes one token from every bucket in reqs, or from none: IG_OK, or
 * IG_ELIMIT with *retry_after_ms_r (>= 1) = when the emptiest refused bucket
 * will hold a token again; IG_EBUSY when the bucket table is full. */
enum ig_err rl_take(struct rl *r, const struct rl_req *reqs, size_t n,
		    int64_t *retry_after_ms_r) IG_MUST_CHECK;

/* Buckets held now (for tests and metrics). */
size_t rl_count(struct rl *r);

#endif
