#ifndef IG_HANDLERS_DISPATCH_H
#define IG_HANDLERS_DISPATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "base/clock.h"
#include "base/err.h"

/* The dispatch chain (DESIGN §8): the one path from a prepared tools/call to
 * a tool's run() and back, for synchronous (batch), asynchronous and
 * deferred calls alike. For every call, in this order:
 *   1. input validation   (tool_args_check; ERR_INVALID_INPUT)
 *   2. token scope        (the account: `account` argument, else the token's
 *                          only account; an account the token does not hold
 *                          gets the very ERR_NOT_FOUND of a nonexistent one)
 *   3. effective posture  (handlers/policy.h, sub-capabilities included;
 *                          ERR_POSTURE_DENIED)
 *   4. circuit breaker    (per account; ERR_CIRCUIT_OPEN + retry_after_ms)
 *   5. rate limits        (per token and per account, drafts and sends
 *                          stricter; ERR_RATE_LIMITED + retry_after_ms)
 *   6. audit tool_start   (a failure refuses side-effecting tools)
 *   7. run()              (possibly deferred: tool_call_complete later)
 *   8. completion         (breaker outcome, audit tool_end, delivery through
 *                          call->complete when the transport set one)
 * tools/list answers come from here too, filtered per principal, so that
 * what is listed and what is accepted are computed by the same rules. */

struct disp;
struct ig_config;
struct tool_registry;
struct tool_call;
struct token_info;
struct buf;
struct audit;

/* Checks what the configuration says about tools against the registry:
 * every name in an account's tools_allow/tools_deny is a tool or a
 * sub-capability. IG_ECONFIG with a heap message naming the account and
 * key in *error_r (the caller frees it). */
enum ig_err disp_config_check(const struct ig_config *cfg, const struct tool_registry *reg,
			      char **error_r) IG_MUST_CHECK;

/* Creates the chain for cfg and reg (both borrowed; they outlive it) after
 * disp_config_check. clock: NULL for the real monotonic clock (tests pass
 * their own; it is copied). NULL with *error_r (heap) on failure. */
struct disp *disp_new(const struct ig_config *cfg, const struct tool_registry *reg,
		      const struct ig_clock *clock, char **error_r);
void disp_free(struct disp *d); /* NULL-safe; no call may be in flight */

/* The circuit breaker state of the account called account ("closed",
 * "open", "half-open"; brk_state_str), for the operator's account status;
 * NULL for an unknown account. Thread-safe. */
const char *disp_breaker_state(struct disp *d, const char *account);

/* Records every call in audit (borrowed; it outlives d): tool_start before
 * a call runs, tool_end when it ends, and a "rejected" tool_end for a call
 * the chain refused. Set before the first call; without it nothing is
 * recorded (unit tests and benchmarks). */
void disp_set_audit(struct disp *d, struct audit *audit);

/* Runs call through the chain. call was filled by the transport (def, args,
 * principal, cfg, accounts, hooks). When call->complete is set the outcome
 * is delivered through it, exactly once, possibly from another thread and
 * possibly before disp_call returns; the caller must not touch call after
 * disp_call unless call->complete is NULL (synchronous: the result is set
 * on return). */
void disp_call(struct disp *d, struct tool_call *call);

/* Appends the `tools` array of tools/list for tok to out: exactly the tools
 * tok may call on at least one of its accounts (or at all, for tools that
 * act on no account). Built once per distinct permission set (up to
 * LIM_LIST_CACHE sets) and copied from the cache afterwards. */
enum ig_err disp_tools_list(struct disp *d, const struct token_info *tok, struct buf *out);

#endif
