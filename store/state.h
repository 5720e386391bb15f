#ifndef IG_STORE_STATE_H
#define IG_STORE_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/limits.h"
#include "base/slice.h"
#include "base/config.h"

/* state.db (DESIGN §7): durable data — tokens (hashed), later the outbox and
 * settings. The schema is an ordered list of migration steps keyed by
 * PRAGMA user_version (store/state.c), each applied once in its own
 * transaction. SQLite in WAL mode with busy_timeout; prepared statements only.
 * One struct state is one SQLite connection: use it from one thread at a time
 * (open one per thread that needs it). */

/* "igt_" + 43 base64url characters (32 random bytes). */
#define TOKEN_PREFIX "igt_"
#define TOKEN_SECRET_LEN 47

struct state;

struct token_info {
	int64_t id;
	char name[LIM_TOKEN_NAME + 1];
	/* Accounts this token may use: "*" (all configured) or a comma list. */
	char accounts[LIM_TOKEN_ACCOUNTS * (LIM_ACCOUNT_NAME + 1) + 2];
	enum posture posture_cap;
	bool admin;
	int64_t created_at; /* unix seconds */
	int64_t expires_at; /* 0: never */
	int64_t revoked_at; /* 0: active */
	/* Per-tool overrides (docs/security-model.md): comma lists of tool
	 * names and sub-capabilities ("search.advanced_query"); "" when unset.
	 * They only ever take permissions away. */
	char tools_allow[LIM_OVERRIDE_LIST + 1];
	char tools_deny[LIM_OVERRIDE_LIST + 1];
	bool rate_set;              /* false: [defaults] token_rate_limit applies */
	struct cfg_rate rate_limit; /* this token's own bucket when rate_set */
};

struct token_spec {
	const char *name;     /* required, printable ASCII, unique among active tokens */
	const char *accounts; /* NULL or "*": all; else comma list */
	enum posture posture_cap;
	bool admin;
	int64_t expires_at;   /* 0: never */
	const char *tools_allow; /* NULL or "": none; syntax checked here, names by the caller */
	const char *tools_deny;
	bool rate_set;
	struct cfg_rate rate_limit;
};

/* Opens (creating if needed, mode 0600, directory 0700) data_dir/state.db and
 * applies the schema. *st_r is owned by the caller (state_close). */
enum ig_err state_open(const char *data_dir, struct state **st_r, const char **error_r) IG_MUST_CHECK;
void state_close(struct state *st); /* NULL-safe */

/* Creates a token; writes the secret (shown once, NUL-terminated) to secret_r.
 * Only SHA-256(secret) is stored. IG_EEXIST when an active token has the name. */
enum ig_err state_token_create(struct state *st, const struct token_spec *spec,
			       char secret_r[TOKEN_SECRET_LEN + 1], struct token_info *info_r,
			       const char **error_r) IG_MUST_CHECK;

/* Looks the presented secret up (hash compared with sodium_memcmp). IG_OK and
 * *info_r for an active, unexpired token; IG_EAUTH otherwise (unknown, revoked,
 * expired, malformed); IG_EDB on a SQL failure or damaged row (a server error,
 * not an authentication failure). now: unix seconds. */
enum ig_err state_token_verify(struct state *st, struct slice secret, int64_t now,
			       struct token_info *info_r) IG_MUST_CHECK;

/* Revokes the not-yet-revoked (active or expired) token with this name, or
 * "#<id>". IG_ENOTFOUND if none; IG_EDB (see state_errmsg) on a SQL failure. */
enum ig_err state_token_revoke(struct state *st, const char *name_or_id) IG_MUST_CHECK;

/* One transaction around several steps (BEGIN IMMEDIATE ... COMMIT), for an
 * operator action whose audit record must be written before the change
 * counts (handlers/ops.c). state_token_create and the outbox_* updates
 * called inside do not begin or commit their own. A failed commit is rolled
 * back (IG_EDB, see state_errmsg); state_tx_rollback is a no-op outside a
 * transaction. */
enum ig_err state_tx_begin(struct state *st) IG_MUST_CHECK;
enum ig_err state_tx_commit(struct state *st) IG_MUST_CHECK;
void state_tx_rollback(struct state *st);

/* Calls fn for every token (active and revoked), oldest first. */
enum ig_err state_token_list(struct state *st,
			     void (*fn)(const struct token_info *info, void *ctx),
			     void *ctx) IG_MUST_CHECK;

/* The message for the last failure of a state_* call on this thread. Every
 * *error_r these functions set points to the same thread-local buffer: valid
 * until the next state_* call on the same thread. */
const char *state_errmsg(void);

/* True when the token may use the named account. */
bool token_allows_account(const struct token_info *info, const char *account);

#endif
