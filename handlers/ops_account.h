#ifndef IG_HANDLERS_OPS_ACCOUNT_H
#define IG_HANDLERS_OPS_ACCOUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/limits.h"

/* Account status for the operator (GET /admin/accounts, `imapgate
 * accounts`; the coming console). Read-only: nothing is audited or changed.
 * Two kinds of facts:
 *   - live ones, known only inside `imapgate serve` (its account workers);
 *     a CLI process has no workers and reports them as unknown;
 *   - cache facts from data_dir/cache.db, which any process can read (the
 *     cache is opened only when the file exists: a status query never
 *     creates one). */

struct accounts;
struct cfg_account;
struct disp;
struct ig_config;

struct ops_account_status {
	const struct cfg_account *cfg; /* the configured account; borrowed */
	bool live;                     /* the live facts below were measured */
	bool worker_running;           /* live: the account has a worker thread */
	size_t jobs_pending;           /* live: IMAP jobs queued or running */
	int connected;       /* live: 1 logged in now, 0 not; -1 unknown */
	const char *breaker; /* live: "closed", "open", "half-open"; NULL: unknown */
	int64_t last_sync;   /* live: unix seconds of the last IMAP job or background
			      * sync slice that succeeded; 0: none yet or unknown */
	/* Cache: the folders searched within LIM_SYNC_RECENT_S, which the idle
	 * sync keeps warm besides the configured warm_folders (at most
	 * LIM_SYNC_WARM names; warm_more when there were more). */
	size_t n_warm;
	const char *warm[LIM_SYNC_WARM];
	bool warm_more;
};

/* The whole gateway's cache facts. */
struct ops_cache_facts {
	bool present;     /* data_dir/cache.db exists */
	bool readable;    /* and could be opened (else warm folders are unknown) */
	int64_t bytes;    /* cache.db plus its -wal file; 0 when absent */
};

/* Calls fn once per configured account, in configuration order, with its
 * status (valid only during the call). live and disp: the running server's
 * workers and dispatch chain (breakers), NULL in a CLI process. *cache_r
 * gets the cache facts. Returns IG_OK, or
 * IG_ENOMEM. */
enum ig_err ops_account_status(const struct ig_config *cfg, const struct accounts *live,
			       struct disp *disp,
			       void (*fn)(const struct ops_account_status *s, void *ctx),
			       void *ctx, struct ops_cache_facts *cache_r) IG_MUST_CHECK;

#endif
