#ifndef IG_HANDLERS_OPS_USER_H
#define IG_HANDLERS_OPS_USER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/slice.h"
#include "base/totp.h"
#include "store/state.h"

/* Operator users (issue 15; docs/cli.md "imapgate user"): the people who
 * log in to the operator console. Changes are operator actions, audited
 * before they count (handlers/ops.h): kind `user`, event added, passwd,
 * disabled, enabled, removed, totp_enabled, totp_disabled. Logins write
 * kind `login` records, success and failure alike (docs/audit.md).
 *
 * by names the operator acting (a console user) or is NULL for the command
 * line; it is the records' principal and sets their "via". *error_r (may
 * be NULL on success) is static text or state_errmsg() text.
 *
 * Passwords: LIM_USER_PASSWORD_MIN..LIM_USER_PASSWORD (code points, bytes),
 * valid UTF-8 without NUL, no composition rules, not normalised (the bytes
 * typed are the bytes hashed). Hashed with Argon2id, crypto_pwhash_str at
 * libsodium's INTERACTIVE limits (64 MiB, 2 passes; docs/cli.md gives the
 * measured cost). */

struct audit;
struct user_guard;

/* Room for ops_user_totp_enable's otpauth:// URI. */
#define OPS_TOTP_URI_MAX 400

/* Whether pw is an acceptable password; on false *why_r says why (static). */
bool ops_user_password_ok(struct slice pw, const char **why_r);

/* user add: spec's accounts must already be checked against the
 * configuration (ops_token_accounts_exist). IG_EINVAL for a bad password
 * or spec, IG_EEXIST for a taken name, IG_ENOMEM when hashing cannot get
 * its memory. info_r may be NULL. */
enum ig_err ops_user_add(struct state *st, struct audit *a, const char *by,
                         const struct user_spec *spec, struct slice password,
                         struct user_info *info_r, const char **error_r) IG_MUST_CHECK;

/* user list: every user by name as a heap array (free()), NULL when none.
 * Read-only, not audited. */
enum ig_err ops_user_list(struct state *st, struct user_info **v_r, size_t *n_r,
                          const char **error_r) IG_MUST_CHECK;

/* user passwd: a new password (also ends a lockout). IG_ENOTFOUND. */
enum ig_err ops_user_passwd(struct state *st, struct audit *a, const char *by, const char *name,
                            struct slice password, const char **error_r) IG_MUST_CHECK;

/* user disable / enable (enable also ends a lockout). A disabled user's
 * logins are refused like a wrong password. IG_ENOTFOUND. */
enum ig_err ops_user_disable(struct state *st, struct audit *a, const char *by, const char *name,
                             const char **error_r) IG_MUST_CHECK;
enum ig_err ops_user_enable(struct state *st, struct audit *a, const char *by, const char *name,
                            const char **error_r) IG_MUST_CHECK;

/* user remove. IG_ENOTFOUND. */
enum ig_err ops_user_remove(struct state *st, struct audit *a, const char *by, const char *name,
                            const char **error_r) IG_MUST_CHECK;

/* user totp enable: draws a new secret (replacing any), stores it sealed
 * (store/state.h state_user_totp_set) and returns it once, as base32 in
 * b32_r and as an otpauth://totp/ URI for an authenticator app in uri_r;
 * both are valid only on IG_OK (zeroed otherwise). From then on a login
 * needs the current code. IG_ENOTFOUND; IG_EIO when totp.key cannot be
 * created. */
enum ig_err ops_user_totp_enable(struct state *st, struct audit *a, const char *by,
                                 const char *name, char uri_r[OPS_TOTP_URI_MAX],
                                 char b32_r[TOTP_B32_LEN + 1], const char **error_r) IG_MUST_CHECK;

/* user totp disable. IG_ENOTFOUND. */
enum ig_err ops_user_totp_disable(struct state *st, struct audit *a, const char *by,
                                  const char *name, const char **error_r) IG_MUST_CHECK;

/* ---- login ---------------------------------------------------------------- */

/* The closed set of answers to a login. None says whether the name exists:
 * an unknown name, a wrong password, a missing, wrong or replayed TOTP code
 * and a disabled user are all USER_LOGIN_DENIED, and an unknown name costs
 * the same Argon2id verification (against a dummy hash) as a known one. */
enum user_login {
	USER_LOGIN_OK,
	USER_LOGIN_DENIED,      /* wrong credentials (which part is not said) */
	USER_LOGIN_LOCKED,      /* too many failures for this name or from this address,
	                           or too many attempts from it: try again later */
	USER_LOGIN_UNAVAILABLE, /* the login could not be recorded (audit log, state.db) */
};

/* "ok", "denied", "locked", "unavailable" (static). */
const char *ops_user_login_str(enum user_login r);

/* The login limiter: bounded in-memory tables of names (existing or not)
 * and client addresses with recent failures, keyed by a keyed hash (names
 * and addresses are not kept), LIM_LOGIN_NAMES and LIM_LOGIN_ADDRS
 * entries; when full, the entry idle longest is reused. Thread-safe. Its
 * creation computes the dummy hash (one Argon2id run). NULL on failure. */
struct user_guard *ops_user_guard_new(void);
void ops_user_guard_free(struct user_guard *g); /* NULL-safe */

/* Checks a console login at unix time now. totp_code may be NULL or "";
 * client_address is the peer's address text (recorded, and the key of the
 * per-address limits). Limits (base/limits.h LIM_LOGIN_*): a name is
 * locked after LIM_LOGIN_USER_FAILS failures within LIM_LOGIN_WINDOW_S, for
 * LIM_LOGIN_USER_LOCK_S doubling per further failure up to
 * LIM_LOGIN_USER_LOCK_MAX_S (kept in state.db for existing users, so a
 * restart does not reset it); an address after LIM_LOGIN_ADDR_FAILS
 * failures, for LIM_LOGIN_ADDR_LOCK_S, and after LIM_LOGIN_ADDR_RATE
 * attempts in a minute. A locked name does not lock other names; a
 * success clears its name's failures. Every attempt writes a `login`
 * record (fdatasync) before the answer: a success whose record cannot be
 * written is USER_LOGIN_UNAVAILABLE (refused), a failure stays refused.
 * On USER_LOGIN_OK *info_r (may be NULL) is the user. */
enum user_login ops_user_login(struct state *st, struct audit *a, struct user_guard *g,
                               const char *name, struct slice password, const char *totp_code,
                               const char *client_address, int64_t now, struct user_info *info_r);

/* Whether the console may show this operator the account (the tokens'
 * tenancy rule: an account the user does not hold is as if it did not
 * exist). Admins see every account; a disabled user none. */
bool ops_user_can_see_account(const struct user_info *u, const char *account);

#endif
