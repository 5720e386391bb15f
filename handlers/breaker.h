#ifndef IG_HANDLERS_BREAKER_H
#define IG_HANDLERS_BREAKER_H

#include <stdbool.h>
#include <stdint.h>

#include "base/clock.h"
#include "base/err.h"

/* The circuit breaker of one account (DESIGN §8). Closed: calls run;
 * LIM_BREAKER_ERRORS service-health errors within LIM_BREAKER_WINDOW_MS, or
 * one authentication failure, open it. Open: calls are refused until the
 * cooldown (LIM_BREAKER_COOLDOWN_MS, doubled after every failed probe, capped
 * at LIM_BREAKER_COOLDOWN_MAX_MS) has passed. Half-open: exactly one call (the
 * probe) runs; success closes the breaker, a service-health error opens it
 * again, any other outcome frees the probe slot for the next call (it proves
 * nothing about the server). A probe not reported within LIM_BREAKER_PROBE_MS
 * is presumed lost and its slot given to the next call, so the breaker can
 * never stay stuck half-open. Thread-safe (one mutex per breaker). */

enum brk_state { BRK_CLOSED, BRK_OPEN, BRK_HALF_OPEN };

/* What a finished call tells the breaker. */
enum brk_outcome {
	BRK_SUCCESS,   /* no error */
	BRK_UNRELATED, /* an error that says nothing about the server's health */
	BRK_SERVICE,   /* timeout, connection lost, TLS, protocol errors */
	BRK_AUTH,      /* authentication failed: opens at once */
};

struct breaker;

/* A new closed breaker on clock (copied; NULL: the real monotonic clock).
 * NULL when out of memory. */
struct breaker *brk_new(const struct ig_clock *clock);
void brk_free(struct breaker *b); /* NULL-safe */

/* Asks to run one call. IG_OK: run it, and report its outcome with
 * brk_record(b, *ticket_r, …); *ticket_r is non-zero when the call is the
 * half-open probe. IG_EBUSY: the breaker is open (or a probe is out);
 * *retry_after_ms_r says when to try again (>= 1). */
enum ig_err brk_admit(struct breaker *b, uint64_t *ticket_r, int64_t *retry_after_ms_r) IG_MUST_CHECK;
/* Reports the outcome of a call brk_admit admitted. */
void brk_record(struct breaker *b, uint64_t ticket, enum brk_outcome o);

enum brk_state brk_state(struct breaker *b);
/* The cooldown the next opening will use (for tests and metrics). */
int64_t brk_cooldown_ms(struct breaker *b);
const char *brk_state_str(enum brk_state s);

/* Classifies a tool error code (DESIGN §4.4; NULL: success). The
 * dispatcher does not ask for a call whose error is the server's refusal
 * of that call's own command (tool_call.brk_refused): BRK_UNRELATED. Only
 * service-health codes count, as the fault column of handlers/errors.c
 * says: ERR_TIMEOUT, ERR_CONNECTION_LOST, ERR_TLS, ERR_IMAP_PROTOCOL,
 * ERR_SMTP_PROTOCOL, ERR_SERVER_UNAVAILABLE, ERR_SERVER_ERROR (BRK_SERVICE)
 * and ERR_AUTH (BRK_AUTH). */
enum brk_outcome brk_classify(const char *error_code);

#endif
