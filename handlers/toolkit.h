#ifndef IG_HANDLERS_TOOLKIT_H
#define IG_HANDLERS_TOOLKIT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/limits.h"
#include "imap/worker.h"

/* What the mail tools share: resolving the account a call addresses,
 * running a tool's IMAP work as a job on that account's worker while the
 * call is deferred (no executor or HTTP thread waits on the network),
 * shaping the result, the account's known domains, and the tool_def pieces
 * the read tools have in common. */

struct tool_call;
struct imap_error;
struct json_object;

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
	/* internal: cancellation seen (atomic; sticky), progress sent */
	bool cancelled;
	bool progress_sent;
	double progress_last;
	int64_t progress_ms;
};

/* Reports progress of j's call (notifications/progress, when the client
 * passed a progressToken), from the worker thread. Never blocks on the
 * client: the notification is queued on the call's stream (bounded; a
 * reader that falls behind loses its connection, not the worker's time).
 * Coalesced: the first report and the last (done >= total) always go out,
 * others at most every LIM_PROGRESS_MS; a value not above the last one
 * sent is dropped, so what the client sees strictly increases. message is
 * static text from a closed vocabulary (never server-derived), or NULL. */
void tk_job_progress(struct tk_job *j, double done, double total, const char *message);

/* Posts j to the account's worker and defers the call (or, in a batch,
 * waits for it). On failure the call gets its error (ERR_BUSY when the
 * account's queue is full) and j is freed. j belongs to the worker after. */
void tk_job_post(struct tool_call *call, struct tk_job *j, const char *account);
/* Delivers the result already set on j->call and releases j. Call once,
 * from done(). */
void tk_job_finish(struct tk_job *j);

/* Allocates a zeroed job of size bytes (the tool's struct, whose first
 * member is a struct tk_job): job.run, job.done and free_fn set,
 * job.idempotent false (a change is never replayed after a drop), and
 * job.cancelled asking the call (tool_call_cancelled): a job cancelled
 * while queued never runs, and run() stops at its safe points through
 * wk_job_cancelled; the call then ends with ERR_CANCELLED (audited with
 * status "cancelled"). NULL
 * after setting ERR_INTERNAL when out of memory. Until tk_job_post takes
 * it, the caller releases it with free_fn. */
void *tk_job_new(struct tool_call *call, size_t size,
		 void (*run)(struct wk_job *job, struct imap_conn *c, struct imap_error *err),
		 void (*done)(struct wk_job *job, const struct imap_error *err),
		 void (*free_fn)(struct tk_job *j));

/* tk_job_new for a read: job.idempotent true. */
void *tk_read_job_new(struct tool_call *call, size_t size,
		      void (*run)(struct wk_job *job, struct imap_conn *c, struct imap_error *err),
		      void (*done)(struct wk_job *job, const struct imap_error *err),
		      void (*free_fn)(struct tk_job *j));

/* {"meta": meta, "untrusted": untrusted}, the structuredContent every mail
 * tool starts from (DESIGN §4.4: what the gateway knows apart from what the
 * mail server said); takes both. The caller may add members after. */
struct json_object *tk_result_new(struct json_object *meta, struct json_object *untrusted);

/* From done(): sets structured (taken) as the call's result, appends extra
 * (taken; NULL for none) to the result's content array, and finishes j as
 * tk_job_finish does. */
void tk_job_reply(struct tk_job *j, struct json_object *structured, struct json_object *extra);

/* Sets the tool error for an IMAP failure (the one code table). The
 * message is fixed text per failure: text from the server (a NO or BAD
 * reason) is untrusted and could address the agent outside any fence, so
 * it goes to the log (filtered) and never into the result. */
void tk_imap_error(struct tool_call *call, const struct imap_error *err);

/* A heap copy of a server-supplied UTF-8 name (folder, attribute) with C0/C1
 * controls, DEL and bidirectional formatting characters replaced by U+FFFD.
 * NULL when out of memory. */
char *tk_name_filter(const char *s);

/* How many known_domains entries the look-alike checks use (content/msg.h);
 * the rest of the list is ignored, so a long list cannot slow every read. */
#define TK_KNOWN_MAX 64

/* An account's known_domains (a comma list in the config) split into
 * entries. v[] points into list, which k owns: free with tk_known_free. */
struct tk_known {
	char *list;
	const char *v[TK_KNOWN_MAX];
	size_t n;
};

/* Fills k (zeroed by the caller) from the configured known_domains of
 * account, entries trimmed of leading spaces, empty ones skipped, at most
 * TK_KNOWN_MAX. Empty when the account has none or memory runs out. */
void tk_known_load(struct tk_known *k, struct tool_call *call, const char *account);
/* Frees k's list and empties k; a zeroed k is fine. */
void tk_known_free(struct tk_known *k);

/* The JSON Schema property for the `account` argument, for input_schema
 * strings of account-scoped tools. */
#define TK_SCHEMA_ACCOUNT                                                                          \
	"\"account\":{\"type\":\"string\",\"description\":\"Account name from "                    \
	"list_accounts; required when the token holds several accounts.\"}"

/* The members every account-scoped read tool has in common, for use inside
 * a struct tool_def initializer (handlers/tools.h): read-only, idempotent
 * and open-world hints, read-only posture, the read rate class, and one
 * account per call. */
#define TK_READ_TOOL_DEF                                                                           \
	.hints = TOOL_READ_ONLY | TOOL_IDEMPOTENT | TOOL_OPEN_WORLD,                               \
	.min_posture = POSTURE_READONLY, .rate_class = TOOL_RATE_READ, .account_scoped = true

#endif
