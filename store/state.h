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

/* ---- operator users (store/state_user.c; policy in handlers/ops_user.c) ---- */

#define USER_PWHASH_MAX 128    /* crypto_pwhash_STRBYTES: an Argon2id string + NUL */
#define USER_TOTP_SECRET_LEN 20 /* bytes (base/totp.h TOTP_SECRET_LEN) */

struct user_info {
	int64_t id;
	char name[LIM_TOKEN_NAME + 1]; /* the token-name rule */
	bool admin;
	/* Accounts this operator may see and act on: "*" or a comma list (as
	 * token_info.accounts; an admin holds every account regardless). */
	char accounts[LIM_TOKEN_ACCOUNTS * (LIM_ACCOUNT_NAME + 1) + 2];
	enum posture posture_cap; /* the highest posture this operator may grant */
	bool totp;                /* a TOTP secret is set */
	int64_t totp_last_step;   /* last TOTP step a code was accepted for (0: none) */
	bool disabled;
	int64_t created_at; /* unix seconds */
	int64_t updated_at; /* last change by an operator action */
	int64_t last_login_at; /* 0: never */
	int64_t failed_count;  /* failures in the current lockout window */
	int64_t failed_at;     /* last failure, 0: none */
	int64_t locked_until;  /* 0 or unix seconds */
};

struct user_spec {
	const char *name;     /* the token-name rule; unique */
	const char *accounts; /* NULL or "*": all; else comma list */
	enum posture posture_cap;
	bool admin;
};

/* Whether name follows the user (and token) name rule: 1..LIM_TOKEN_NAME
 * printable ASCII characters without space or comma, not starting with '#'. */
bool state_user_name_ok(const char *name);

/* Adds a user whose password hash (crypto_pwhash_str output) is pwhash.
 * IG_EEXIST when the name is taken, IG_EINVAL (message in *error_r) for a
 * bad name, account list or posture. info_r may be NULL. */
enum ig_err state_user_add(struct state *st, const struct user_spec *spec, const char *pwhash,
			   int64_t now, struct user_info *info_r, const char **error_r) IG_MUST_CHECK;

/* The user and, when pwhash_r is not NULL, the stored hash. IG_ENOTFOUND
 * when there is no such user; IG_EDB on a SQL failure or damaged row. */
enum ig_err state_user_get(struct state *st, const char *name, struct user_info *info_r,
			   char pwhash_r[USER_PWHASH_MAX]) IG_MUST_CHECK;

/* Calls fn for every user, by name. */
enum ig_err state_user_list(struct state *st, void (*fn)(const struct user_info *u, void *ctx),
			    void *ctx) IG_MUST_CHECK;

/* Replaces the password hash; also clears the lockout. IG_ENOTFOUND. */
enum ig_err state_user_passwd(struct state *st, const char *name, const char *pwhash,
			      int64_t now) IG_MUST_CHECK;

/* Sets or clears the disabled flag (enabling also clears the lockout).
 * IG_ENOTFOUND. */
enum ig_err state_user_set_disabled(struct state *st, const char *name, bool disabled,
				    int64_t now) IG_MUST_CHECK;

/* Deletes the user. IG_ENOTFOUND. */
enum ig_err state_user_remove(struct state *st, const char *name) IG_MUST_CHECK;

/* Stores secret (USER_TOTP_SECRET_LEN bytes) sealed with
 * XChaCha20-Poly1305 under <data_dir>/totp.key (32 random bytes, 0600,
 * created on first use), bound to the user's name; NULL removes it. The
 * last accepted step is reset. IG_ENOTFOUND; IG_EIO when the key cannot be
 * read or created. */
enum ig_err state_user_totp_set(struct state *st, const char *name, const unsigned char *secret,
				int64_t now) IG_MUST_CHECK;

/* Opens the user's TOTP secret into secret_r. IG_ENOTFOUND when the user
 * has none; IG_EIO when totp.key is missing or the sealed value does not
 * open (a wrong key or a damaged or moved row). */
enum ig_err state_user_totp_get(struct state *st, const char *name,
				unsigned char secret_r[USER_TOTP_SECRET_LEN]) IG_MUST_CHECK;

/* A successful login: last_login_at = now, the lockout cleared and, when
 * totp_step > 0, the step recorded — only if it is later than the last
 * accepted one (IG_EAUTH otherwise: a replayed code; nothing changes).
 * IG_ENOTFOUND. */
enum ig_err state_user_login_ok(struct state *st, const char *name, int64_t now,
				int64_t totp_step) IG_MUST_CHECK;

/* Stores the lockout counters the caller computed. IG_ENOTFOUND. */
enum ig_err state_user_failures_set(struct state *st, const char *name, int64_t failed_count,
				    int64_t failed_at, int64_t locked_until) IG_MUST_CHECK;

/* The message for the last failure of a state_* call on this thread. Every
 * *error_r these functions set points to the same thread-local buffer: valid
 * until the next state_* call on the same thread. */
const char *state_errmsg(void);

/* True when the token may use the named account. */
bool token_allows_account(const struct token_info *info, const char *account);

#endif
