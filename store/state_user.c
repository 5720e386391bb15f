/* Operator users in state.db (store/state.h; the policy — password rules,
 * hashing, TOTP, lockout — is handlers/ops_user.c).
 *
 * The TOTP secret must be readable to verify a code, so it cannot be
 * hashed. It is sealed with XChaCha20-Poly1305 under a key kept beside the
 * database, <data_dir>/totp.key (32 random bytes, 0600, created when the
 * first secret is set), with "imapgate-totp-v1:<name>" as associated data:
 * a copy of state.db alone (a backup, a support bundle) reveals no second
 * factor, and a sealed value moved to another user's row does not open. An
 * attacker who reads data_dir whole has both, as with audit.key. */
#include "store/state.h"

#include <fcntl.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "store/audit_int.h"
#include "store/store_int.h"

#define TOTP_KEY_FILE "totp.key"
#define TOTP_AD_PREFIX "imapgate-totp-v1:"
#define SEALED_LEN                                                                                 \
	(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + USER_TOTP_SECRET_LEN +                     \
	 crypto_aead_xchacha20poly1305_ietf_ABYTES)

_Static_assert(USER_PWHASH_MAX == crypto_pwhash_STRBYTES, "USER_PWHASH_MAX");

#define USER_COLS                                                                                  \
	"id, name, admin, accounts, posture, totp_sealed IS NOT NULL, totp_last_step, disabled,"   \
	" created_at, updated_at, last_login_at, failed_count, failed_at, locked_until, pwhash"

static sqlite3_stmt *
prep(struct state *st, const char *sql)
{
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(state_db(st), sql, -1, &s, NULL) != SQLITE_OK) {
		(void)state_err_set("users", state_db(st));
		sqlite3_finalize(s);
		return NULL;
	}
	return s;
}

static bool
copy_col(char *dst, size_t dstsz, sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	int n = sqlite3_column_bytes(s, i);

	if (t == NULL || n < 0 || (size_t)n >= dstsz || memchr(t, '\0', (size_t)n) != NULL)
		return false;
	memcpy(dst, t, (size_t)n);
	dst[n] = '\0';
	return true;
}

/* Rows are read back validated: a damaged row must not become a wider grant. */
static enum ig_err
row_to_user(sqlite3_stmt *s, struct user_info *u, char pwhash_r[USER_PWHASH_MAX])
{
	char posture[32];

	memset(u, 0, sizeof(*u));
	u->id = sqlite3_column_int64(s, 0);
	if (!copy_col(u->name, sizeof(u->name), s, 1) ||
	    !copy_col(u->accounts, sizeof(u->accounts), s, 3) ||
	    !copy_col(posture, sizeof(posture), s, 4) || !posture_parse(posture, &u->posture_cap) ||
	    !state_accounts_ok(u->accounts) ||
	    (pwhash_r != NULL && !copy_col(pwhash_r, USER_PWHASH_MAX, s, 14))) {
		(void)state_err_set("invalid user row", NULL);
		return IG_EDB;
	}
	u->admin = sqlite3_column_int(s, 2) != 0;
	u->totp = sqlite3_column_int(s, 5) != 0;
	u->totp_last_step = sqlite3_column_int64(s, 6);
	u->disabled = sqlite3_column_int(s, 7) != 0;
	u->created_at = sqlite3_column_int64(s, 8);
	u->updated_at = sqlite3_column_int64(s, 9);
	u->last_login_at = sqlite3_column_int64(s, 10);
	u->failed_count = sqlite3_column_int64(s, 11);
	u->failed_at = sqlite3_column_int64(s, 12);
	u->locked_until = sqlite3_column_int64(s, 13);
	return IG_OK;
}

bool
state_user_name_ok(const char *name)
{
	return state_name_ok(name);
}

enum ig_err
state_user_add(struct state *st, const struct user_spec *spec, const char *pwhash, int64_t now,
               struct user_info *info_r, const char **error_r)
{
	const char *accounts = spec->accounts != NULL ? spec->accounts : "*";
	sqlite3_stmt *s = NULL;
	enum ig_err err = IG_EINVAL;
	const char *dummy;
	int rc;

	if (error_r == NULL)
		error_r = &dummy;
	if (!state_name_ok(spec->name)) {
		*error_r = state_err_set("user name must be 1..64 printable ASCII characters "
		                         "without spaces or commas, not starting with '#'",
		                         NULL);
		return IG_EINVAL;
	}
	if (!state_accounts_ok(accounts) ||
	    strlen(accounts) >= sizeof(((struct user_info *)NULL)->accounts)) {
		*error_r = state_err_set("accounts must be * or a comma list of distinct account "
		                         "names",
		                         NULL);
		return IG_EINVAL;
	}
	if ((unsigned)spec->posture_cap > POSTURE_DESTRUCTIVE || pwhash == NULL ||
	    strlen(pwhash) >= USER_PWHASH_MAX) {
		*error_r = state_err_set("invalid posture or password hash", NULL);
		return IG_EINVAL;
	}
	err = IG_EDB;
	s = prep(st, "INSERT INTO users (name, pwhash, admin, accounts, posture, created_at,"
	             " updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)");
	if (s == NULL)
		goto fail;
	if (sqlite3_bind_text(s, 1, spec->name, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 2, pwhash, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int(s, 3, spec->admin ? 1 : 0) != SQLITE_OK ||
	    sqlite3_bind_text(s, 4, accounts, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 5, posture_str(spec->posture_cap), -1, SQLITE_STATIC) !=
	        SQLITE_OK ||
	    sqlite3_bind_int64(s, 6, now) != SQLITE_OK)
		goto fail;
	rc = sqlite3_step(s);
	if (rc == SQLITE_CONSTRAINT_UNIQUE) {
		*error_r = state_err_set("a user with this name exists", NULL);
		err = IG_EEXIST;
		goto out;
	}
	if (rc != SQLITE_DONE)
		goto fail;
	if (info_r != NULL) {
		memset(info_r, 0, sizeof(*info_r));
		info_r->id = sqlite3_last_insert_rowid(state_db(st));
		(void)snprintf(info_r->name, sizeof(info_r->name), "%s", spec->name);
		(void)snprintf(info_r->accounts, sizeof(info_r->accounts), "%s", accounts);
		info_r->admin = spec->admin;
		info_r->posture_cap = spec->posture_cap;
		info_r->created_at = now;
		info_r->updated_at = now;
	}
	err = IG_OK;
	goto out;
fail:
	*error_r = state_err_set("adding user", state_db(st));
out:
	sqlite3_finalize(s);
	return err;
}

enum ig_err
state_user_get(struct state *st, const char *name, struct user_info *info_r,
               char pwhash_r[USER_PWHASH_MAX])
{
	sqlite3_stmt *s = prep(st, "SELECT " USER_COLS " FROM users WHERE name = ?1");
	enum ig_err err = IG_EDB;
	int rc;

	if (s == NULL)
		return IG_EDB;
	if (sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC) != SQLITE_OK) {
		(void)state_err_set("user", state_db(st));
		goto out;
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		err = IG_ENOTFOUND;
		goto out;
	}
	if (rc != SQLITE_ROW) {
		(void)state_err_set("user", state_db(st));
		goto out;
	}
	err = row_to_user(s, info_r, pwhash_r);
out:
	sqlite3_finalize(s);
	return err;
}

enum ig_err
state_user_list(struct state *st, void (*fn)(const struct user_info *u, void *ctx), void *ctx)
{
	sqlite3_stmt *s = prep(st, "SELECT " USER_COLS " FROM users ORDER BY name");
	struct user_info u;
	enum ig_err err = IG_OK;
	int rc;

	if (s == NULL)
		return IG_EDB;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if ((err = row_to_user(s, &u, NULL)) != IG_OK)
			goto out;
		fn(&u, ctx);
	}
	if (rc != SQLITE_DONE) {
		(void)state_err_set("listing users", state_db(st));
		err = IG_EDB;
	}
out:
	sqlite3_finalize(s);
	return err;
}

/* Runs an UPDATE/DELETE whose ?1 is the name, with int64 parameters from
 * ?2 on (and, when text is not NULL, text as the last one). IG_ENOTFOUND
 * when no row changed. */
static enum ig_err
user_change(struct state *st, const char *sql, const char *name, const int64_t *v, int n,
            const char *text)
{
	sqlite3_stmt *s = prep(st, sql);
	enum ig_err err = IG_EDB;
	int i;

	if (s == NULL)
		return IG_EDB;
	if (sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC) != SQLITE_OK)
		goto fail;
	for (i = 0; i < n; i++) {
		if (sqlite3_bind_int64(s, i + 2, v[i]) != SQLITE_OK)
			goto fail;
	}
	if (text != NULL && sqlite3_bind_text(s, n + 2, text, -1, SQLITE_STATIC) != SQLITE_OK)
		goto fail;
	if (sqlite3_step(s) != SQLITE_DONE)
		goto fail;
	err = sqlite3_changes(state_db(st)) > 0 ? IG_OK : IG_ENOTFOUND;
	goto out;
fail:
	(void)state_err_set("updating user", state_db(st));
out:
	sqlite3_finalize(s);
	return err;
}

enum ig_err
state_user_passwd(struct state *st, const char *name, const char *pwhash, int64_t now)
{
	int64_t v[] = {now};

	if (pwhash == NULL || strlen(pwhash) >= USER_PWHASH_MAX)
		return IG_EINVAL;
	return user_change(st,
	                   "UPDATE users SET updated_at = ?2, pwhash = ?3, failed_count = 0,"
	                   " failed_at = 0, locked_until = 0 WHERE name = ?1",
	                   name, v, 1, pwhash);
}

enum ig_err
state_user_set_disabled(struct state *st, const char *name, bool disabled, int64_t now)
{
	int64_t v[] = {now, disabled ? 1 : 0};

	if (disabled)
		return user_change(
		    st, "UPDATE users SET updated_at = ?2, disabled = ?3 WHERE name = ?1", name, v,
		    2, NULL);
	return user_change(st,
	                   "UPDATE users SET updated_at = ?2, disabled = ?3, failed_count = 0,"
	                   " failed_at = 0, locked_until = 0 WHERE name = ?1",
	                   name, v, 2, NULL);
}

enum ig_err
state_user_remove(struct state *st, const char *name)
{
	return user_change(st, "DELETE FROM users WHERE name = ?1", name, NULL, 0, NULL);
}

enum ig_err
state_user_login_ok(struct state *st, const char *name, int64_t now, int64_t totp_step)
{
	int64_t v[] = {now, totp_step};
	enum ig_err err;

	if (totp_step <= 0)
		return user_change(st,
		                   "UPDATE users SET last_login_at = ?2, failed_count = 0,"
		                   " failed_at = 0, locked_until = 0 WHERE name = ?1",
		                   name, v, 1, NULL);
	/* the guard is in the WHERE: two processes cannot both accept one step */
	err = user_change(st,
	                  "UPDATE users SET last_login_at = ?2, failed_count = 0, failed_at = 0,"
	                  " locked_until = 0, totp_last_step = ?3"
	                  " WHERE name = ?1 AND totp_last_step < ?3",
	                  name, v, 2, NULL);
	return err == IG_ENOTFOUND ? IG_EAUTH : err;
}

enum ig_err
state_user_failures_set(struct state *st, const char *name, int64_t failed_count, int64_t failed_at,
                        int64_t locked_until)
{
	int64_t v[] = {failed_count, failed_at, locked_until};

	return user_change(st,
	                   "UPDATE users SET failed_count = ?2, failed_at = ?3, locked_until = ?4"
	                   " WHERE name = ?1",
	                   name, v, 3, NULL);
}

/* ---- TOTP secret at rest ----------------------------------------------- */

static enum ig_err
totp_key(struct state *st, bool create,
         unsigned char key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES])
{
	int dfd = open(state_data_dir(st), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	enum ig_err err;

	if (dfd < 0) {
		(void)state_err_set("totp.key: cannot open data_dir", NULL);
		return IG_EIO;
	}
	err = audit_key_load(dfd, TOTP_KEY_FILE, key, crypto_aead_xchacha20poly1305_ietf_KEYBYTES,
	                     create, NULL);
	(void)close(dfd);
	if (err != IG_OK) {
		(void)state_err_set(create ? "cannot read or create <data_dir>/totp.key"
		                           : "cannot read <data_dir>/totp.key",
		                    NULL);
		return IG_EIO;
	}
	return IG_OK;
}

/* The associated data: the prefix and the user's name (unterminated bytes). */
static size_t
totp_ad(const char *name, unsigned char ad[sizeof(TOTP_AD_PREFIX) + LIM_TOKEN_NAME])
{
	static const char prefix[] = TOTP_AD_PREFIX;
	size_t n = strnlen(name, LIM_TOKEN_NAME);
	size_t i;

	for (i = 0; i < sizeof(prefix) - 1; i++)
		ad[i] = (unsigned char)prefix[i];
	for (i = 0; i < n; i++)
		ad[sizeof(prefix) - 1 + i] = (unsigned char)name[i];
	return sizeof(prefix) - 1 + n;
}

enum ig_err
state_user_totp_set(struct state *st, const char *name, const unsigned char *secret, int64_t now)
{
	unsigned char key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
	unsigned char sealed[SEALED_LEN];
	unsigned char ad[sizeof(TOTP_AD_PREFIX) + LIM_TOKEN_NAME];
	unsigned long long clen = 0;
	sqlite3_stmt *s = NULL;
	enum ig_err err;

	if (secret == NULL) {
		int64_t v[] = {now};

		return user_change(st,
		                   "UPDATE users SET updated_at = ?2, totp_sealed = NULL,"
		                   " totp_last_step = 0 WHERE name = ?1",
		                   name, v, 1, NULL);
	}
	if ((err = totp_key(st, true, key)) != IG_OK)
		return err;
	randombytes_buf(sealed, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
	if (crypto_aead_xchacha20poly1305_ietf_encrypt(
	        sealed + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, &clen, secret,
	        USER_TOTP_SECRET_LEN, ad, totp_ad(name, ad), NULL, sealed, key) != 0 ||
	    clen + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES != SEALED_LEN) {
		err = IG_EINTERNAL;
		goto out;
	}
	err = IG_EDB;
	s = prep(st, "UPDATE users SET updated_at = ?2, totp_sealed = ?3, totp_last_step = 0"
	             " WHERE name = ?1");
	if (s == NULL)
		goto out;
	if (sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 2, now) != SQLITE_OK ||
	    sqlite3_bind_blob(s, 3, sealed, sizeof(sealed), SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_DONE) {
		(void)state_err_set("setting TOTP", state_db(st));
		goto out;
	}
	err = sqlite3_changes(state_db(st)) > 0 ? IG_OK : IG_ENOTFOUND;
out:
	sqlite3_finalize(s);
	sodium_memzero(key, sizeof(key));
	return err;
}

enum ig_err
state_user_totp_get(struct state *st, const char *name,
                    unsigned char secret_r[USER_TOTP_SECRET_LEN])
{
	unsigned char key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
	unsigned char ad[sizeof(TOTP_AD_PREFIX) + LIM_TOKEN_NAME];
	unsigned long long mlen = 0;
	sqlite3_stmt *s = prep(st, "SELECT totp_sealed FROM users WHERE name = ?1");
	const unsigned char *blob;
	enum ig_err err = IG_EDB;
	int rc;

	if (s == NULL)
		return IG_EDB;
	if (sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC) != SQLITE_OK) {
		(void)state_err_set("reading TOTP", state_db(st));
		goto out;
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE || (rc == SQLITE_ROW && sqlite3_column_type(s, 0) == SQLITE_NULL)) {
		err = IG_ENOTFOUND;
		goto out;
	}
	if (rc != SQLITE_ROW) {
		(void)state_err_set("reading TOTP", state_db(st));
		goto out;
	}
	err = IG_EIO;
	blob = sqlite3_column_blob(s, 0);
	if (blob == NULL || sqlite3_column_bytes(s, 0) != SEALED_LEN) {
		(void)state_err_set("damaged TOTP secret", NULL);
		goto out;
	}
	if (totp_key(st, false, key) != IG_OK)
		goto out;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(
	        secret_r, &mlen, NULL, blob + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
	        SEALED_LEN - crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, ad, totp_ad(name, ad),
	        blob, key) != 0 ||
	    mlen != USER_TOTP_SECRET_LEN) {
		sodium_memzero(secret_r, USER_TOTP_SECRET_LEN);
		(void)state_err_set("the TOTP secret does not open with <data_dir>/totp.key", NULL);
		goto out;
	}
	err = IG_OK;
out:
	sodium_memzero(key, sizeof(key));
	sqlite3_finalize(s);
	return err;
}
