/* Per-account circuit breaker (DESIGN §8); state machine in breaker.h. */
#include "handlers/breaker.h"

#include <pthread.h>
#include <stdlib.h>

#include "base/limits.h"
#include "handlers/errors.h"

struct breaker {
	pthread_mutex_t lock;
	struct ig_clock clock;
	enum brk_state state;
	/* closed: times of the last LIM_BREAKER_ERRORS service-health errors */
	int64_t errors[LIM_BREAKER_ERRORS];
	size_t n_errors;
	size_t next_error;
	int64_t open_until;   /* open: when the next call may probe */
	int64_t cooldown_ms;  /* used by the next opening */
	uint64_t probe_gen;   /* ticket of the probe out (half-open), 0: none out */
	uint64_t next_gen;
	int64_t probe_since;
};

struct breaker *
brk_new(const struct ig_clock *clock)
{
	struct breaker *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return NULL;
	if (pthread_mutex_init(&b->lock, NULL) != 0) {
		free(b);
		return NULL;
	}
	b->clock = clock != NULL ? *clock : IG_CLOCK_MONO;
	b->state = BRK_CLOSED;
	b->cooldown_ms = LIM_BREAKER_COOLDOWN_MS;
	return b;
}

void
brk_free(struct breaker *b)
{
	if (b == NULL)
		return;
	pthread_mutex_destroy(&b->lock);
	free(b);
}

/* Lock held. */
static void
brk_open_locked(struct breaker *b, int64_t now)
{
	b->state = BRK_OPEN;
	b->open_until = now + b->cooldown_ms;
	b->probe_gen = 0;
	b->n_errors = 0;
	b->next_error = 0;
}

static int64_t
doubled(int64_t ms)
{
	return ms >= LIM_BREAKER_COOLDOWN_MAX_MS / 2 ? LIM_BREAKER_COOLDOWN_MAX_MS : ms * 2;
}

enum ig_err
brk_admit(struct breaker *b, uint64_t *ticket_r, int64_t *retry_after_ms_r)
{
	int64_t now = b->clock.now_ms(b->clock.ctx);
	enum ig_err err = IG_OK;

	*ticket_r = 0;
	*retry_after_ms_r = 0;
	pthread_mutex_lock(&b->lock);
	if (b->state == BRK_OPEN) {
		if (now < b->open_until) {
			*retry_after_ms_r = b->open_until - now;
			err = IG_EBUSY;
			goto out;
		}
		b->state = BRK_HALF_OPEN;
		b->probe_gen = 0;
	}
	if (b->state == BRK_HALF_OPEN) {
		/* one probe at a time; a probe silent for too long is lost */
		if (b->probe_gen != 0 && now - b->probe_since < (int64_t)LIM_BREAKER_PROBE_MS) {
			*retry_after_ms_r = 1000;
			err = IG_EBUSY;
			goto out;
		}
		b->probe_gen = ++b->next_gen;
		b->probe_since = now;
		*ticket_r = b->probe_gen;
	}
out:
	pthread_mutex_unlock(&b->lock);
	return err;
}

void
brk_record(struct breaker *b, uint64_t ticket, enum brk_outcome o)
{
	int64_t now = b->clock.now_ms(b->clock.ctx);

	pthread_mutex_lock(&b->lock);
	if (b->state == BRK_HALF_OPEN && ticket != 0 && ticket == b->probe_gen) {
		switch (o) {
		case BRK_SUCCESS:
			b->state = BRK_CLOSED;
			b->probe_gen = 0;
			b->n_errors = 0;
			b->next_error = 0;
			b->cooldown_ms = LIM_BREAKER_COOLDOWN_MS;
			break;
		case BRK_UNRELATED:
			b->probe_gen = 0; /* proves nothing: the next call probes */
			break;
		case BRK_SERVICE:
		case BRK_AUTH:
			b->cooldown_ms = doubled(b->cooldown_ms);
			brk_open_locked(b, now);
			break;
		}
		goto out;
	}
	/* Outcomes of calls admitted before the breaker left the closed state
	 * say nothing new: it already opened for the same trouble. */
	if (b->state != BRK_CLOSED)
		goto out;
	if (o == BRK_AUTH) {
		b->cooldown_ms = LIM_BREAKER_COOLDOWN_MS;
		brk_open_locked(b, now);
	} else if (o == BRK_SERVICE) {
		b->errors[b->next_error] = now;
		b->next_error = (b->next_error + 1) % LIM_BREAKER_ERRORS;
		if (b->n_errors < LIM_BREAKER_ERRORS)
			b->n_errors++;
		/* next_error now indexes the oldest of the last LIM_BREAKER_ERRORS */
		if (b->n_errors == LIM_BREAKER_ERRORS &&
		    now - b->errors[b->next_error] <= LIM_BREAKER_WINDOW_MS) {
			b->cooldown_ms = LIM_BREAKER_COOLDOWN_MS;
			brk_open_locked(b, now);
		}
	}
out:
	pthread_mutex_unlock(&b->lock);
}

enum brk_state
brk_state(struct breaker *b)
{
	enum brk_state s;

	pthread_mutex_lock(&b->lock);
	s = b->state;
	pthread_mutex_unlock(&b->lock);
	return s;
}

int64_t
brk_cooldown_ms(struct breaker *b)
{
	int64_t c;

	pthread_mutex_lock(&b->lock);
	c = b->cooldown_ms;
	pthread_mutex_unlock(&b->lock);
	return c;
}

const char *
brk_state_str(enum brk_state s)
{
	switch (s) {
	case BRK_CLOSED:
		return "closed";
	case BRK_OPEN:
		return "open";
	case BRK_HALF_OPEN:
		return "half-open";
	}
	return "?";
}

/* Which codes speak of the server's health is a column of the error table
 * (handlers/errors.c); text that is no code there is unrelated. */
enum brk_outcome
brk_classify(const char *code)
{
	enum tool_err e;

	if (code == NULL)
		return BRK_SUCCESS;
	if (!tool_err_parse(code, &e))
		return BRK_UNRELATED;
	switch (tool_err_fault(e)) {
	case TOOL_FAULT_SERVICE:
		return BRK_SERVICE;
	case TOOL_FAULT_AUTH:
		return BRK_AUTH;
	case TOOL_FAULT_NONE:
		break;
	}
	return BRK_UNRELATED;
}
