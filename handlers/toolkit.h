#ifndef IG_HANDLERS_TOOLKIT_H
#define IG_HANDLERS_TOOLKIT_H

#include <pthread.h>
#include <stdbool.h>

#include "base/limits.h"
#include "imap/worker.h"

/* What the mail tools share: resolving the account a call addresses, and
 * running a tool's IMAP work as a job on that account's worker while the
 * call is deferred (no executor or HTTP thread waits on the network). */

struct tool_call;
struct imap_error;

/* The name of the account the call addresses, as the dispatch chain
 * resolved and scope-checked it (tool_call_account); borrowed from the
 * config. NULL (after setting ERR_INTERNAL) only for a tool not declared
 * account_scoped. */
const char *tk_account_resolve(struct tool_call *call);

/* A tool's job on an account worker. Embed it as the FIRST member of the
 * tool's own job struct; set job.run, job.done, free_fn and (for reads)
 * job.idempotent = true, optionally job.timeout_s, then call
 * tk_job_post. In done(), set the call's result and call tk_job_finish. */
struct tk_job {
	struct wk_job job;
	struct tool_call *call;
	char account[LIM_ACCOUNT_NAME + 1];
	/* Frees the containing struct (and what it owns); required. */
	void (*free_fn)(struct tk_job *j);
	/* internal: a 2025-03-26 batch runs tools synchronously on its
	 * executor thread (no completion hook), so it waits here instead. */
	bool sync;
	bool finished;
	pthread_mutex_t lock;
	pthread_cond_t cond;
};

/* Posts j to the account's worker and defers the call (or, in a batch,
 * waits for it). On failure the call gets its error (ERR_BUSY when the
 * account's queue is full) and j is freed. j belongs to the worker after. */
void tk_job_post(struct tool_call *call, struct tk_job *j, const char *account);
/* Delivers the result already set on j->call and releases j. Call once,
 * from done(). */
void tk_job_finish(struct tk_job *j);

/* Sets the tool error for an IMAP failure (the one code table). */
void tk_imap_error(struct tool_call *call, const struct imap_error *err);

/* A heap copy of a server-supplied UTF-8 name (folder, attribute) with C0/C1
 * controls, DEL and bidirectional formatting characters replaced by U+FFFD.
 * NULL when out of memory. */
char *tk_name_filter(const char *s);

#endif
