/* Sharded token buckets (handlers/ratelimit.h).
 *
 * Levels are integers: one token is period_ms units and a bucket gains
 * `count` units per elapsed millisecond, so refill is exact for any rate
 * (1/day included) without floating point. */
#include "handlers/ratelimit.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"

#define RL_KEY_MAX 127
#define RL_HEADS 64 /* hash chains per shard */
#define RL_SHARD_CAP (LIM_RATE_BUCKETS / LIM_RATE_SHARDS)

struct rl_bucket {
	struct rl_bucket *next;
	uint64_t hash;
	struct rl_rate rate;
	int64_t level; /* units; one token = period_ms units */
	int64_t last_ms;
	char key[RL_KEY_MAX + 1];
};

struct rl_shard {
	pthread_mutex_t lock;
	struct rl_bucket *heads[RL_HEADS];
	size_t n;
};

struct rl {
	struct ig_clock clock;
	struct rl_shard shards[LIM_RATE_SHARDS];
};

static uint64_t
key_hash(const char *k)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	for (; *k != '\0'; k++) {
		h ^= (unsigned char)*k;
		h *= 1099511628211ULL;
	}
	return h;
}

struct rl *
rl_new(const struct ig_clock *clock)
{
	struct rl *r = calloc(1, sizeof(*r));
	size_t i;

	if (r == NULL)
		return NULL;
	r->clock = clock != NULL ? *clock : IG_CLOCK_MONO;
	for (i = 0; i < LIM_RATE_SHARDS; i++) {
		if (pthread_mutex_init(&r->shards[i].lock, NULL) != 0) {
			while (i-- > 0)
				pthread_mutex_destroy(&r->shards[i].lock);
			free(r);
			return NULL;
		}
	}
	return r;
}

void
rl_free(struct rl *r)
{
	size_t i;
	size_t h;

	if (r == NULL)
		return;
	for (i = 0; i < LIM_RATE_SHARDS; i++) {
		for (h = 0; h < RL_HEADS; h++) {
			struct rl_bucket *b = r->shards[i].heads[h];

			while (b != NULL) {
				struct rl_bucket *next = b->next;

				free(b);
				b = next;
			}
		}
		pthread_mutex_destroy(&r->shards[i].lock);
	}
	free(r);
}

static int64_t
period_ms(struct rl_rate rate)
{
	return (int64_t)rate.period_s * 1000;
}

static int64_t
capacity(struct rl_rate rate)
{
	return (int64_t)rate.count * period_ms(rate);
}

/* Lock held. Brings b's level up to now. */
static void
refill(struct rl_bucket *b, int64_t now)
{
	int64_t cap = capacity(b->rate);
	int64_t dt = now - b->last_ms;

	if (dt <= 0)
		return;
	b->last_ms = now;
	/* dt * count cannot overflow before the cap matters: clamp dt first */
	if (dt > period_ms(b->rate))
		dt = period_ms(b->rate);
	b->level += dt * (int64_t)b->rate.count;
	if (b->level > cap)
		b->level = cap;
}

/* Lock held. Drops buckets that are full (a new bucket would be the same). */
static void
evict_full(struct rl_shard *s, int64_t now)
{
	size_t h;

	for (h = 0; h < RL_HEADS; h++) {
		struct rl_bucket **pp = &s->heads[h];

		while (*pp != NULL) {
			struct rl_bucket *b = *pp;

			refill(b, now);
			if (b->level >= capacity(b->rate)) {
				*pp = b->next;
				free(b);
				s->n--;
			} else {
				pp = &b->next;
			}
		}
	}
}

/* Lock held. The bucket for req, created full on first use; NULL when the
 * shard is full of buckets in use (or out of memory). */
static struct rl_bucket *
bucket_get(struct rl_shard *s, const struct rl_req *req, uint64_t hash, int64_t now)
{
	struct rl_bucket **head = &s->heads[(hash >> 32) % RL_HEADS];
	struct rl_bucket *b;

	for (b = *head; b != NULL; b = b->next) {
		if (b->hash == hash && strcmp(b->key, req->key) == 0) {
			if (b->rate.count != req->rate.count ||
			    b->rate.period_s != req->rate.period_s) {
				b->rate = req->rate; /* a new rate starts full */
				b->level = capacity(b->rate);
			}
			return b;
		}
	}
	if (s->n >= RL_SHARD_CAP)
		evict_full(s, now);
	if (s->n >= RL_SHARD_CAP)
		return NULL;
	b = calloc(1, sizeof(*b));
	if (b == NULL)
		return NULL;
	b->hash = hash;
	b->rate = req->rate;
	b->level = capacity(req->rate);
	b->last_ms = now;
	memcpy(b->key, req->key, strlen(req->key) + 1);
	b->next = *head;
	*head = b;
	s->n++;
	return b;
}

/* Takes (sign 1) or gives back (sign -1) one token of req. */
static enum ig_err
bucket_take(struct rl *r, const struct rl_req *req, int sign, int64_t now, int64_t *retry_r)
{
	uint64_t hash = key_hash(req->key);
	struct rl_shard *s = &r->shards[hash % LIM_RATE_SHARDS];
	struct rl_bucket *b;
	enum ig_err err = IG_OK;
	int64_t one = period_ms(req->rate);

	pthread_mutex_lock(&s->lock);
	b = bucket_get(s, req, hash, now);
	if (b == NULL) {
		err = IG_EBUSY;
		goto out;
	}
	refill(b, now);
	if (sign < 0) {
		b->level = b->level + one > capacity(b->rate) ? capacity(b->rate) : b->level + one;
	} else if (b->level >= one) {
		b->level -= one;
	} else {
		/* units missing / units gained per ms, rounded up */
		*retry_r = (one - b->level + (int64_t)b->rate.count - 1) / (int64_t)b->rate.count;
		if (*retry_r < 1)
			*retry_r = 1;
		err = IG_ELIMIT;
	}
out:
	pthread_mutex_unlock(&s->lock);
	return err;
}

static bool
req_ok(const struct rl_req *q)
{
	return q->rate.count > 0 && q->rate.count <= LIM_RATE_COUNT && q->rate.period_s > 0 &&
	       q->rate.period_s <= 7U * 86400 && q->key != NULL && strlen(q->key) <= RL_KEY_MAX;
}

enum ig_err
rl_take(struct rl *r, const struct rl_req *reqs, size_t n, int64_t *retry_after_ms_r)
{
	int64_t now = r->clock.now_ms(r->clock.ctx);
	enum ig_err err = IG_OK;
	int64_t retry = 0;
	size_t i;
	size_t j;

	*retry_after_ms_r = 0;
	for (i = 0; i < n; i++) {
		if (reqs[i].rate.count == 0)
			continue; /* unlimited */
		if (!req_ok(&reqs[i])) {
			err = IG_EINVAL;
			break;
		}
		err = bucket_take(r, &reqs[i], 1, now, &retry);
		if (err != IG_OK)
			break;
	}
	if (err == IG_OK)
		return IG_OK;
	/* all or nothing: give back what this call already took */
	for (j = 0; j < i; j++) {
		if (reqs[j].rate.count != 0)
			(void)bucket_take(r, &reqs[j], -1, now, &retry);
	}
	if (err == IG_ELIMIT) {
		int64_t w = 0;

		/* report the longest wait among the refused buckets */
		for (j = i; j < n; j++) {
			int64_t t = 0;

			if (reqs[j].rate.count == 0 || !req_ok(&reqs[j]))
				continue;
			if (bucket_take(r, &reqs[j], 1, now, &t) == IG_OK)
				(void)bucket_take(r, &reqs[j], -1, now, &t);
			else if (t > w)
				w = t;
		}
		*retry_after_ms_r = w > 0 ? w : 1;
	}
	return err;
}

size_t
rl_count(struct rl *r)
{
	size_t total = 0;
	size_t i;

	for (i = 0; i < LIM_RATE_SHARDS; i++) {
		pthread_mutex_lock(&r->shards[i].lock);
		total += r->shards[i].n;
		pthread_mutex_unlock(&r->shards[i].lock);
	}
	return total;
}
